import CDirectPipeRealtime
import CDirectPipeShm
import DirectPipeAudioFile
import DirectPipeEngine
import Foundation
import Synchronization

/// A WAV or FLAC file as the microphone: played once through the engine,
/// paced in real time (like a device) or as fast as the machine goes (to
/// process a recording, optionally writing what the OBS pipe carries to
/// another file). The run ends when the file does.
/// Unchecked Sendable: `thread` and `startReport` are set only in start(); the pass runs on its own thread; results use Atomic/Mutex.
public final class FileBackend: AudioBackend, @unchecked Sendable {
    public enum Pacing: Sendable {
        case realTime
        case asFastAsPossible
    }

    public let name = "file"
    public let path: String
    public let pacing: Pacing
    public private(set) var startReport: RealtimeThread.Report?
    private let output: AudioFileWriter?
    private var thread: RealtimeThread?
    private let finished = Atomic<Bool>(false)
    /// Who waits in ``untilFinished()``, resumed when the pass ends (after the audio has all been played).
    private let finishWaiters = Mutex<(done: Bool, next: Int, waiting: [Int: CheckedContinuation<Void, Never>])>((false, 0, [:]))
    private let outputFailure = Mutex<String?>(nil)

    /// `output`, if given (as-fast-as-possible only), receives the pipe's signal; it is finished (moved into
    /// place) when the file has been played through.
    public init(path: String, pacing: Pacing, output: AudioFileWriter? = nil) {
        precondition(output == nil || pacing == .asFastAsPossible, "writing a file is for offline runs")
        self.path = path
        self.pacing = pacing
        self.output = output
    }

    public var countedAllocations: Int64? { thread?.countedAllocations }
    public var isConnected: Bool { true }
    public var reconnects: Int { 0 }
    public var hasFinished: Bool { finished.load(ordering: .acquiring) }

    /// Returns once the file has been played through (or the backend stopped), at once if it has been, or when
    /// the waiting task is cancelled.
    public func untilFinished() async {
        let id = finishWaiters.withLock { state in
            defer { state.next += 1 }
            return state.next
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { waiter in
                let now = finishWaiters.withLock { state in
                    if !state.done, !Task.isCancelled { state.waiting[id] = waiter }
                    return state.done || Task.isCancelled
                }
                if now { waiter.resume() }
            }
        } onCancel: {
            finishWaiters.withLock { $0.waiting.removeValue(forKey: id) }?.resume()
        }
    }

    /// Why the output file could not be written, if it could not.
    public var outputError: String? { outputFailure.withLock { $0 } }

    public func start(_ engine: Engine) throws(BackendError) {
        let format = engine.format
        let input = try PreparedInput(.file(path: path), sampleRate: format.sampleRate, channels: format.inputChannels)
        guard input.channels == format.inputChannels else {
            throw .badInput("\(path) has \(input.channels) channels but the engine expects \(format.inputChannels)")
        }
        let thread = RealtimeThread(
            realtime: pacing == .realTime, body: { [self, engine, input] thread in run(engine, input, thread) },
            whenDone: { [self] in resumeFinishWaiters() })
        self.thread = thread
        startReport = try thread.start()
    }

    public func stop() {
        thread?.stop()
    }

    /// One pass over the file, a period at a time (the last one shorter).
    private func run(_ engine: Engine, _ input: PreparedInput, _ thread: RealtimeThread) {
        let period = engine.format.periodFrames
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: period * input.channels)
        defer { buffer.deallocate() }
        let rate = UInt64(engine.format.sampleRate)
        let start = dp_monotonic_ns()
        var done = 0
        var iteration = 0
        while thread.isRunning, done < input.frames {
            let frames = min(period, input.frames - done)
            let startNs = start + UInt64(done) * 1_000_000_000 / rate
            if pacing == .realTime { dp_rt_sleep_until(startNs + UInt64(frames) * 1_000_000_000 / rate) }
            input.next(frames, into: buffer)
            engine.process(input: buffer, frames: frames, captureTimeNs: startNs)
            if let output { write(engine.output(.pipe), to: output) }
            done += frames
            iteration += 1
            thread.noteCallback(iteration)
        }
        if let output, outputError == nil {
            do { try output.finish() } catch { outputFailure.withLock { $0 = error.description } }
        }
        finished.store(true, ordering: .releasing)
    }

    /// After the pass, off the counted audio path: whoever waits in ``untilFinished()`` goes on.
    private func resumeFinishWaiters() {
        let waiting = finishWaiters.withLock { state in
            state.done = true
            defer { state.waiting = [:] }
            return state.waiting.values
        }
        for waiter in waiting { waiter.resume() }
    }

    private func write(_ samples: UnsafeBufferPointer<Float>, to output: AudioFileWriter) {
        guard outputError == nil else { return }
        do { try output.write(samples) } catch { outputFailure.withLock { $0 = error.description } }
    }
}
