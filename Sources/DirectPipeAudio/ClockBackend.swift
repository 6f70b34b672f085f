import CDirectPipeRealtime
import CDirectPipeShm
import DirectPipeEngine

/// The backend with no audio server at all: a real-time thread paced by
/// CLOCK_MONOTONIC deadlines, fed by a tone, silence or a file. The default
/// where no server runs (as on CI), so `directpipe run` always starts.
/// Unchecked Sendable: `thread` and `startReport` are plain vars set only in start(); the audio loop's state lives on its own thread.
public final class ClockBackend: AudioBackend, @unchecked Sendable {
    public let name = "clock"
    public let input: ClockInput
    /// How far this clock runs from true time, in parts per million (0: exact). Real devices drift
    /// by tens to hundreds of ppm; this stands in for one when testing what follows the drift.
    public let driftPPM: Double
    public private(set) var startReport: RealtimeThread.Report?
    private var thread: RealtimeThread?

    public init(input: ClockInput, driftPPM: Double = 0) {
        self.input = input
        self.driftPPM = driftPPM
    }

    public var countedAllocations: Int64? { thread?.countedAllocations }
    /// The clock never loses its device.
    public var isConnected: Bool { true }
    public var reconnects: Int { 0 }

    public func start(_ engine: Engine) throws(BackendError) {
        let format = engine.format
        let prepared = try PreparedInput(input, sampleRate: format.sampleRate, channels: format.inputChannels)
        guard prepared.channels == format.inputChannels else {
            throw .badInput("\(input) has \(prepared.channels) channels but the engine expects \(format.inputChannels)")
        }
        let thread = RealtimeThread { [engine, prepared, driftPPM] thread in
            Self.run(engine: engine, input: prepared, driftPPM: driftPPM, thread: thread)
        }
        self.thread = thread
        startReport = try thread.start()
    }

    public func stop() {
        thread?.stop()
    }

    /// The audio loop: sleep to each period's deadline, process, repeat. A
    /// period that starts more than a period late counts as an overrun (xrun).
    private static func run(engine: Engine, input: PreparedInput, driftPPM: Double, thread: RealtimeThread) {
        let frames = engine.format.periodFrames
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: frames * engine.format.inputChannels)
        buffer.initialize(repeating: 0, count: frames * engine.format.inputChannels)
        defer { buffer.deallocate() }
        // Frames per second of true time: the nominal rate, drifted.
        let rate = UInt64((Double(engine.format.sampleRate) * (1 + driftPPM / 1e6)).rounded())
        let start = dp_monotonic_ns()
        var periods: UInt64 = 0
        var iteration = 0
        while thread.isRunning {
            // Deadlines from the frame count, not by adding rounded periods: no drift.
            let deadline = start + (periods + 1) * UInt64(frames) * 1_000_000_000 / rate
            dp_rt_sleep_until(deadline)
            if dp_monotonic_ns() > deadline + engine.format.periodNs { engine.meters.countOverrun() }
            input.next(frames, into: buffer)
            let captureNs = start + periods * UInt64(frames) * 1_000_000_000 / rate
            engine.process(input: buffer, frames: frames, captureTimeNs: captureNs)
            periods += 1
            iteration += 1
            thread.noteCallback(iteration)
        }
    }
}
