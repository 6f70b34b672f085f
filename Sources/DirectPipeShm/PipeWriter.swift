import Atomics
import CDirectPipeShm

#if canImport(Glibc)
    import Glibc
#endif

/// The producer side of a pipe (protocol v1, writer rules 1–5).
///
/// Create it off the audio thread; call ``write(_:captureTimeNs:)`` from the
/// audio thread only: it allocates nothing, takes no lock and makes no system
/// call except one futex wake, and only when a reader waits.
/// Unchecked Sendable: `write` runs on one thread (the audio thread) and `stop` only once that thread has stopped;
/// other threads read only the shared atomics.
public final class PipeWriter: @unchecked Sendable {
    public let name: PipeName
    public let format: PipeFormat

    private let object: SharedMemoryObject  // keeps the descriptor open while mapped
    private let mapping: SharedMemoryMapping
    private let header: UnsafeMutablePointer<dp_header>
    private let data: UnsafeMutablePointer<Float>
    // The header's atomic fields, resolved once so the real-time path does no
    // key-path work. Swift atomics (not the C helpers) so that @_noAllocation
    // can verify the whole write path: the compiler sees into them.
    private let writePos: UnsafeAtomic<UInt64>
    private let readPos: UnsafeAtomic<UInt64>
    private let active: UnsafeAtomic<UInt32>
    private let generation: UnsafeAtomic<UInt32>
    private let dataSeq: UnsafeAtomic<UInt32>
    private let futexWord: UnsafeMutablePointer<UInt32>
    private let waiters: UnsafeAtomic<UInt32>
    private let clockSeq: UnsafeAtomic<UInt32>
    private let clockPos: UnsafeAtomic<UInt64>
    private let clockNs: UnsafeAtomic<UInt64>

    private let capacity: UInt64
    private let channels: Int
    private let maxBlock: UInt64
    private var position: UInt64
    public private(set) var isActive = false

    /// Creates the pipe, or takes over an existing object of the right size
    /// (readers still mapped to it carry on). An object of another size is
    /// retired (readers told) and replaced. Fails with ``PipeError/busy(_:writerPID:)``
    /// if another live process writes it.
    public init(name: PipeName = .standard, format: PipeFormat) throws(PipeError) {
        self.name = name
        self.format = format
        (object, mapping) = try Self.openSegment(name, format: format)
        header = mapping.base.assumingMemoryBound(to: dp_header.self)
        data = dp_segment_data(header)
        writePos = header.atomic(\.write_pos)
        readPos = header.atomic(\.read_pos)
        active = header.atomic(\.active)
        generation = header.atomic(\.generation)
        dataSeq = header.atomic(\.data_seq)
        futexWord = header.pointer(to: \.data_seq)!
        waiters = header.atomic(\.waiters)
        clockSeq = header.atomic(\.clock_seq)
        clockPos = header.atomic(\.clock_pos)
        clockNs = header.atomic(\.clock_ns)
        capacity = UInt64(format.capacityFrames)
        channels = Int(format.channels)
        maxBlock = UInt64(format.maxBlockFrames)
        position = writePos.load(ordering: .acquiring)
        start()
    }

    deinit {
        stop()
    }

    /// Writer rule 1: announce this writer and its format.
    private func start() {
        active.store(0, ordering: .releasing)
        header.pointee.sample_rate = format.sampleRate
        header.pointee.channels = format.channels
        header.pointee.buffer_frames = format.capacityFrames
        header.pointee.magic = DP_MAGIC
        header.pointee.version = DP_PROTOCOL_VERSION
        header.pointee.header_bytes = DP_HEADER_BYTES
        header.pointee.writer_pid = UInt32(bitPattern: getpid())
        // A writer killed inside the clock seqlock left it odd: even it out, or
        // readers would never trust a timestamp from this writer.
        let clock = clockSeq.load(ordering: .relaxed)
        if clock & 1 != 0 { clockSeq.store(clock &+ 1, ordering: .releasing) }
        // Readers killed while they waited left their count behind: without this reset every publish of this
        // writer and the next would make a futex call for nobody. A reader waiting now decrements no lower
        // than 0 and misses at most this writer's first wake (its wait times out in ≤ 500 ms).
        waiters.store(0, ordering: .sequentiallyConsistent)
        generation.wrappingIncrement(ordering: .releasing)
        active.store(1, ordering: .releasing)
        isActive = true
    }

    /// Publishes interleaved frames whose first frame was captured at
    /// `captureTimeNs` (CLOCK_MONOTONIC). Never waits for readers: the oldest
    /// audio is overwritten. A trailing partial frame is ignored.
    @_noAllocation
    public func write(_ samples: UnsafeBufferPointer<Float>, captureTimeNs: UInt64) {
        guard let source = samples.baseAddress else { return }
        let frames = UInt64(samples.count / channels)
        var done: UInt64 = 0
        while done < frames {
            let block = min(frames - done, maxBlock)
            publish(
                source + Int(done) * channels, frames: block,
                captureTimeNs: captureTimeNs &+ done &* 1_000_000_000 / UInt64(format.sampleRate))
            done += block
        }
    }

    /// Writer rule 3, for one block of at most capacity/4 frames.
    @_noAllocation
    private func publish(_ source: UnsafePointer<Float>, frames: UInt64, captureTimeNs: UInt64) {
        // No new sample may become visible before the write_pos that precedes it.
        atomicMemoryFence(ordering: .releasing)
        let first = position & (capacity - 1)
        let head = min(capacity - first, frames)
        let frameBytes = channels * MemoryLayout<Float>.stride
        UnsafeMutableRawPointer(data + Int(first) * channels)
            .copyMemory(from: source, byteCount: Int(head) * frameBytes)
        if head < frames {
            UnsafeMutableRawPointer(data)
                .copyMemory(from: source + Int(head) * channels, byteCount: Int(frames - head) * frameBytes)
        }
        // The clock pair, under its seqlock.
        let seq = clockSeq.load(ordering: .relaxed)
        clockSeq.store(seq &+ 1, ordering: .relaxed)
        atomicMemoryFence(ordering: .releasing)
        clockPos.store(position, ordering: .relaxed)
        clockNs.store(captureTimeNs, ordering: .relaxed)
        clockSeq.store(seq &+ 2, ordering: .releasing)
        // Wrapping: a reused object may hold any position (another process of the user can write it), and a
        // trap here would take the audio thread down. Readers resync when write_pos falls behind them.
        position &+= frames
        writePos.store(position, ordering: .releasing)
        // Sequentially consistent with the readers' waiters increment: either
        // they see the new data_seq, or we see them waiting.
        dataSeq.wrappingIncrement(ordering: .sequentiallyConsistent)
        if waiters.load(ordering: .sequentiallyConsistent) > 0 {
            wakeReaders(futexWord)
        }
    }

    /// Writer rule 5: tell readers this writer is gone. The object stays.
    public func stop() {
        guard isActive else { return }
        isActive = false
        active.store(0, ordering: .releasing)
        dataSeq.wrappingIncrement(ordering: .sequentiallyConsistent)
        _ = dp_futex_wake_all(futexWord)
        object.unlockForWriting()  // the pipe is free for the next writer, in this process or another
    }

    /// Frames written since the object was created.
    public var writePosition: UInt64 { writePos.load(ordering: .acquiring) }
    /// The position the most recent reader has consumed up to (display only).
    public var readPosition: UInt64 { readPos.load(ordering: .acquiring) }
    /// Readers blocked (or about to block) waiting for audio.
    public var waitingReaders: UInt32 { waiters.load(ordering: .acquiring) }
    /// Another process shrank the object under us: what we write since goes
    /// nowhere (but never crashes the audio thread). Recreate the writer.
    public var isDamaged: Bool { mapping.isDamaged }
    /// Incremented each time a writer (re)starts on this object.
    public var generationNumber: UInt32 { generation.load(ordering: .acquiring) }

    /// Removes the pipe's name for good (the user turned the pipe off).
    public static func remove(_ name: PipeName) throws(PipeError) {
        do {
            try SharedMemoryObject.unlink(name: name.rawValue)
        } catch {
            throw error.errno == ENOENT ? .notFound(name) : .system(error)
        }
    }

    /// Writer rule 1 and 2: opens or creates the object at the right size. An
    /// object of another size is told it is over (readers re-open) and replaced.
    private static func openSegment(
        _ name: PipeName, format: PipeFormat
    ) throws(PipeError) -> (SharedMemoryObject, SharedMemoryMapping) {
        func system<T>(_ body: () throws(SystemError) -> T) throws(PipeError) -> T {
            do { return try body() } catch {
                throw error.errno == EACCES || error.errno == EPERM ? .permissionDenied(name) : .system(error)
            }
        }
        /// The object's writer lock, or busy: the pid its header names, if it got that far.
        func lock(_ object: SharedMemoryObject) throws(PipeError) {
            guard try system({ () throws(SystemError) in try object.lockForWriting() }) else {
                var pid: Int32 = 0
                if (try? object.size()) ?? 0 >= Int(DP_HEADER_BYTES), let header = try? object.map(bytes: Int(DP_HEADER_BYTES)) {
                    pid = Int32(bitPattern: header.base.assumingMemoryBound(to: dp_header.self).pointee.writer_pid)
                }
                throw .busy(name, writerPID: pid)
            }
        }
        var object = try system { () throws(SystemError) in try SharedMemoryObject(name: name.rawValue, create: true) }
        try lock(object)
        var existing = try system { () throws(SystemError) in try object.size() }
        if existing != 0 && existing != format.segmentBytes {
            if existing >= Int(DP_HEADER_BYTES) {
                let old = try system { () throws(SystemError) in try object.map(bytes: Int(DP_HEADER_BYTES)) }
                let header = old.base.assumingMemoryBound(to: dp_header.self)
                if let pid = liveWriter(header) { throw .busy(name, writerPID: pid) }
                retire(header)
            }
            try system { () throws(SystemError) in try SharedMemoryObject.unlink(name: name.rawValue) }
            object = try system { () throws(SystemError) in try SharedMemoryObject(name: name.rawValue, create: true) }
            try lock(object)
            existing = try system { () throws(SystemError) in try object.size() }
        }
        try system { () throws(SystemError) in try object.restrictToOwner() }
        if existing == 0 { try system { () throws(SystemError) in try object.resize(to: format.segmentBytes) } }
        let mapping = try system { () throws(SystemError) in try object.map(bytes: format.segmentBytes) }
        if existing != 0, let pid = liveWriter(mapping.base.assumingMemoryBound(to: dp_header.self)) {
            throw .busy(name, writerPID: pid)
        }
        return (object, mapping)
    }

    /// Marks a header's writer gone and wakes its readers, so they re-open.
    private static func retire(_ header: UnsafeMutablePointer<dp_header>) {
        header.atomic(\.active).store(0, ordering: .releasing)
        header.atomic(\.generation).wrappingIncrement(ordering: .releasing)
        header.atomic(\.data_seq).wrappingIncrement(ordering: .sequentiallyConsistent)
        _ = dp_futex_wake_all(header.pointer(to: \.data_seq)!)
    }

    /// The pid of another process that is actively writing this header, if any.
    private static func liveWriter(_ header: UnsafeMutablePointer<dp_header>) -> Int32? {
        guard header.pointee.magic == DP_MAGIC,
            header.atomic(\.active).load(ordering: .acquiring) == 1
        else { return nil }
        let pid = Int32(bitPattern: header.pointee.writer_pid)
        guard pid > 0, pid != getpid() else { return nil }
        return kill(pid, 0) == 0 || errno == EPERM ? pid : nil
    }
}

/// The one system call the real-time path may make, and only when a reader waits.
@_noLocks
private func wakeReaders(_ word: UnsafeMutablePointer<UInt32>) {
    _unsafePerformance { _ = dp_futex_wake_all(word) }
}

extension UnsafeMutablePointer where Pointee == dp_header {
    /// An atomic view of a header field (the protocol's "atomic" fields).
    func atomic<Value: AtomicValue>(_ field: WritableKeyPath<dp_header, Value>) -> UnsafeAtomic<Value>
    where Value.AtomicRepresentation == Value.AtomicRepresentation {
        let address = UnsafeMutableRawPointer(pointer(to: field)!)
        return UnsafeAtomic(at: address.assumingMemoryBound(to: Value.AtomicRepresentation.self))
    }
}
