import Atomics

/// A lock-free single-producer single-consumer ring of interleaved float
/// frames, for handing an output to a thread on another clock (the monitor on
/// another device, a virtual mic in another graph). The audio thread writes
/// with ``write(_:frames:)`` (no allocation, no lock, no system call); one
/// consumer thread reads. When the consumer falls behind, new frames are
/// dropped and counted, never torn.
/// Unchecked Sendable: one producer and one consumer share raw sample memory, ordered by the atomic positions (release/acquire).
public final class SampleRing: @unchecked Sendable {
    public let channels: Int
    /// Capacity in frames (a power of two).
    public let capacity: Int
    private let samples: UnsafeMutablePointer<Float>
    private let writePosition: UnsafeAtomic<UInt64>
    private let readPosition: UnsafeAtomic<UInt64>
    private let droppedFrames: UnsafeAtomic<UInt64>
    private let lastWriteNs: UnsafeAtomic<UInt64>
    private let lastWriteFrames: UnsafeAtomic<UInt64>

    /// A ring of at least `minimumFrames` frames.
    public init(channels: Int, minimumFrames: Int) {
        precondition(channels > 0 && minimumFrames > 0)
        var capacity = 1
        while capacity < minimumFrames { capacity <<= 1 }
        self.channels = channels
        self.capacity = capacity
        samples = .allocate(capacity: capacity * channels)
        samples.initialize(repeating: 0, count: capacity * channels)
        writePosition = .create(0)
        readPosition = .create(0)
        droppedFrames = .create(0)
        lastWriteNs = .create(0)
        lastWriteFrames = .create(0)
    }

    deinit {
        samples.deallocate()
        writePosition.destroy()
        readPosition.destroy()
        droppedFrames.destroy()
        lastWriteNs.destroy()
        lastWriteFrames.destroy()
    }

    /// Frames written and not yet read.
    public var availableFrames: Int {
        Int(writePosition.load(ordering: .acquiring) &- readPosition.load(ordering: .acquiring))
    }

    /// Frames the producer dropped because the ring was full.
    public var dropped: UInt64 { droppedFrames.load(ordering: .relaxed) }

    /// The fill as if the producer delivered frame by frame rather than a period at once:
    /// ``availableFrames`` minus the last block, plus what of it `nowNs` has "arrived" at
    /// `sampleRate`. Without this, the beat between the two sides' periods saws the fill by a
    /// whole period, and a controller steering by it wobbles the pitch.
    public func smoothedFill(nowNs: UInt64, sampleRate: Int) -> Double {
        let block = Double(lastWriteFrames.load(ordering: .relaxed))
        let since = Double(nowNs &- lastWriteNs.load(ordering: .relaxed)) * Double(sampleRate) / 1e9
        return Double(availableFrames) - block + min(block, max(0, since))
    }

    /// The producer (the audio thread): appends `frames` frames at `timeNs` (CLOCK_MONOTONIC),
    /// or drops what does not fit.
    @_noAllocation
    public func write(_ block: UnsafeBufferPointer<Float>, frames: Int, timeNs: UInt64) {
        let write = writePosition.load(ordering: .relaxed)
        let free = capacity - Int(write &- readPosition.load(ordering: .acquiring))
        let count = min(frames, free)
        if count < frames { droppedFrames.wrappingIncrement(by: UInt64(frames - count), ordering: .relaxed) }
        var remaining = count
        var from = 0
        var at = Int(write & UInt64(capacity - 1))
        while remaining > 0 {
            let run = min(remaining, capacity - at)
            let target = samples + at * channels
            for index in 0..<run * channels { target[index] = block[from * channels + index] }
            remaining -= run
            from += run
            at = 0
        }
        lastWriteFrames.store(UInt64(count), ordering: .relaxed)
        lastWriteNs.store(timeNs, ordering: .relaxed)
        writePosition.store(write &+ UInt64(count), ordering: .releasing)
    }

    /// The consumer: moves up to `maxFrames` frames into `destination`; returns how many.
    public func read(into destination: UnsafeMutablePointer<Float>, maxFrames: Int) -> Int {
        let read = readPosition.load(ordering: .relaxed)
        let count = min(maxFrames, Int(writePosition.load(ordering: .acquiring) &- read))
        var remaining = count
        var to = 0
        var at = Int(read & UInt64(capacity - 1))
        while remaining > 0 {
            let run = min(remaining, capacity - at)
            (destination + to * channels).update(from: samples + at * channels, count: run * channels)
            remaining -= run
            to += run
            at = 0
        }
        readPosition.store(read &+ UInt64(count), ordering: .releasing)
        return count
    }

    /// The consumer: forgets everything written so far (to start again at the newest frames).
    public func discardAll() {
        readPosition.store(writePosition.load(ordering: .acquiring), ordering: .releasing)
    }
}
