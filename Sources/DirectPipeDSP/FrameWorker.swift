import Atomics
import Foundation

/// A model too heavy or too unpredictable for the audio thread (DeepFilterNet allocates and can take longer than a
/// frame), run on a thread of its own: the audio thread hands it numbered frames through one lock-free ring and takes
/// the processed frames back through another, never waiting and making no system call. The worker looks for work
/// every millisecond when idle.
///
/// If the worker falls behind, the frame the audio thread asks for is simply not there (``take(_:into:)`` says so)
/// and the caller plays something else; stale results are skipped. A full input ring drops the frame (counted).
/// Unchecked Sendable: the rings are single-producer single-consumer, their positions atomics; the model runs on the worker only.
public final class FrameWorker: @unchecked Sendable {
    public let frameSize: Int
    private let capacity: Int
    private let inputs: UnsafeMutablePointer<Float>
    private let inputSequences: UnsafeMutablePointer<Int>
    private let outputs: UnsafeMutablePointer<Float>
    private let outputSequences: UnsafeMutablePointer<Int>
    /// What the model returned for each output frame (DeepFilterNet: its local SNR).
    private let outputResults: UnsafeMutablePointer<Float>
    private let inputWritten = UnsafeAtomic<Int>.create(0)
    private let inputRead = UnsafeAtomic<Int>.create(0)
    private let outputWritten = UnsafeAtomic<Int>.create(0)
    private let outputRead = UnsafeAtomic<Int>.create(0)
    /// The newest frame the worker has finished (−1: none yet).
    private let finished = UnsafeAtomic<Int>.create(-1)
    private let stopping = UnsafeAtomic<Bool>.create(false)
    private let stopped = UnsafeAtomic<Bool>.create(false)
    /// Frames the audio thread could not hand over (the input ring was full).
    private let droppedFrames = UnsafeAtomic<Int>.create(0)

    /// Starts the worker thread, which calls `process` on each frame in place. `extraDelay`: a pause before each
    /// frame, to make it slow on purpose (tests of the hand-over).
    public init(
        frameSize: Int, capacity: Int = 16, name: String, extraDelay: Duration? = nil,
        process: @escaping @Sendable (UnsafeMutablePointer<Float>) -> Float
    ) {
        self.frameSize = frameSize
        self.capacity = capacity
        inputs = .allocate(capacity: capacity * frameSize)
        inputs.initialize(repeating: 0, count: capacity * frameSize)
        outputs = .allocate(capacity: capacity * frameSize)
        outputs.initialize(repeating: 0, count: capacity * frameSize)
        inputSequences = .allocate(capacity: capacity)
        inputSequences.initialize(repeating: -1, count: capacity)
        outputSequences = .allocate(capacity: capacity)
        outputSequences.initialize(repeating: -1, count: capacity)
        outputResults = .allocate(capacity: capacity)
        outputResults.initialize(repeating: 0, count: capacity)
        let thread = Thread { [self] in run(process, extraDelay: extraDelay) }
        thread.name = name
        thread.start()
    }

    deinit {
        stop()
        inputs.deallocate()
        outputs.deallocate()
        inputSequences.deallocate()
        outputSequences.deallocate()
        outputResults.deallocate()
        for atomic in [inputWritten, inputRead, outputWritten, outputRead, finished, droppedFrames] { atomic.destroy() }
        stopping.destroy()
        stopped.destroy()
    }

    /// Ends the worker thread and waits for it (off the audio thread). Idempotent.
    public func stop() {
        stopping.store(true, ordering: .releasing)
        while !stopped.load(ordering: .acquiring) { usleep(500) }
    }

    /// The newest frame finished so far (−1: none). Audio thread safe.
    @inline(__always)
    public var newestFinished: Int { finished.load(ordering: .acquiring) }

    /// Frames not handed over because the worker was too far behind.
    public var dropped: Int { droppedFrames.load(ordering: .relaxed) }

    /// Hands frame number `sequence` to the worker; false when its ring is full (the frame is dropped). Audio thread.
    @inline(__always)
    @discardableResult
    public func submit(_ frame: UnsafePointer<Float>, sequence: Int) -> Bool {
        let written = inputWritten.load(ordering: .relaxed)
        guard written - inputRead.load(ordering: .acquiring) < capacity else {
            droppedFrames.wrappingIncrement(ordering: .relaxed)
            return false
        }
        let slot = written % capacity
        (inputs + slot * frameSize).update(from: frame, count: frameSize)
        inputSequences[slot] = sequence
        inputWritten.store(written + 1, ordering: .releasing)
        return true
    }

    /// Copies processed frame `sequence` into `frame` if it is ready, skipping older ones, and returns what the model
    /// returned for it; nil when it is not there (not finished yet, or dropped). Audio thread.
    @inline(__always)
    public func take(_ sequence: Int, into frame: UnsafeMutablePointer<Float>) -> Float? {
        var read = outputRead.load(ordering: .relaxed)
        let written = outputWritten.load(ordering: .acquiring)
        defer { outputRead.store(read, ordering: .releasing) }
        while read < written {
            let slot = read % capacity
            let found = outputSequences[slot]
            if found > sequence { return nil }
            read += 1
            if found == sequence {
                frame.update(from: outputs + slot * frameSize, count: frameSize)
                return outputResults[slot]
            }
        }
        return nil
    }

    private func run(_ process: (UnsafeMutablePointer<Float>) -> Float, extraDelay: Duration?) {
        let frame = UnsafeMutablePointer<Float>.allocate(capacity: frameSize)
        defer {
            frame.deallocate()
            stopped.store(true, ordering: .releasing)
        }
        while !stopping.load(ordering: .acquiring) {
            let read = inputRead.load(ordering: .relaxed)
            guard read < inputWritten.load(ordering: .acquiring) else {
                usleep(1000)
                continue
            }
            let slot = read % capacity, sequence = inputSequences[slot]
            frame.update(from: inputs + slot * frameSize, count: frameSize)
            inputRead.store(read + 1, ordering: .releasing)
            if let extraDelay {
                Thread.sleep(forTimeInterval: Double(extraDelay.components.seconds) + Double(extraDelay.components.attoseconds) / 1e18)
            }
            let result = process(frame)
            // The audio thread empties the output ring as it plays; wait for room rather than overwrite.
            while outputWritten.load(ordering: .relaxed) - outputRead.load(ordering: .acquiring) >= capacity {
                if stopping.load(ordering: .acquiring) { return }
                usleep(500)
            }
            let written = outputWritten.load(ordering: .relaxed), outSlot = written % capacity
            (outputs + outSlot * frameSize).update(from: frame, count: frameSize)
            outputSequences[outSlot] = sequence
            outputResults[outSlot] = result
            outputWritten.store(written + 1, ordering: .releasing)
            finished.store(sequence, ordering: .releasing)
        }
    }
}
