import DirectPipeAudio
import DirectPipeEngine
import DirectPipeShm
import Foundation

/// What `directpipe run` reports of a running session, each second and at the end: as JSON for scripts (snake_case
/// keys, `event` "status" or "final") or as one line for people. Made from the session the host runs at the time.
public struct RunReport: Encodable, Sendable {
    public var event: String
    public var timeNs: UInt64
    public var backend: String
    /// False while the device or server is gone.
    public var backendConnected: Bool
    public var backendReconnects: Int
    public var rate: Int
    public var period: Int
    public var channels: Int
    public var inputPeakDbfs: [Double]
    public var outputPeakDbfs: [Double]
    public var outputRmsDbfs: [Double]
    public var clipped: Bool
    public var cpuLoad: Double
    public var maxCpuLoad: Double
    public var callbacks: UInt64
    /// DirectPipe's own: periods started late or processed for longer than a period.
    public var overruns: UInt64
    /// The graph's: cycles the server skipped or reported as xruns (whoever was late).
    public var graphXruns: UInt64
    public var nonFiniteSamples: UInt64
    /// How far the safety guard turned the signal down since the previous report, in dB (0: not at all).
    public var guardReductionDb: Double
    /// The output's loudness (EBU R 128): momentary, short-term and integrated in LUFS (absent for silence), the
    /// highest true peak since the previous report in dBTP.
    public var loudnessMomentaryLufs: Double?
    public var loudnessShortTermLufs: Double?
    public var loudnessIntegratedLufs: Double?
    public var truePeakDbtp: Double?
    public var pipe: String
    /// Frames written to the pipe that its most recent reader has not yet consumed.
    public var pipeReaderLag: UInt64
    public var pipeWaitingReaders: UInt32
    /// Only at the end, only with the allocation counter preloaded (tests).
    public var audioThreadAllocations: Int64?
    /// CPU time (user + system, all threads) this process used since audio started.
    public var processCPUNs: UInt64
    /// Only at the end: how often the run's main loop woke (reports, signals, a file's end checks).
    public var mainLoopWakeups: Int?
    /// The monitor on another clock: the drift corrected (ppm), the bridge's latency and fill, its troubles.
    public var monitorDriftPpm: Int?
    public var monitorLatencyFrames: Int?
    public var monitorFillFrames: Int?
    public var monitorUnderflows: Int?
    public var monitorDeviceUnderruns: Int?
    public var monitorResyncs: Int?
    /// Only at the end, only with the allocation counter preloaded (tests): the monitor bridge's thread.
    public var monitorThreadAllocations: Int64?
    /// The virtual mic fed into PipeWire from another clock: the drift corrected (ppm), its dropouts.
    public var micDriftPpm: Int?
    public var micUnderflows: Int?
    /// Times the mic's bridge dropped to its target after a stall left far too much in its ring.
    public var micResyncs: Int?
    /// Cycles the PipeWire graph skipped over the mic's feed (its xruns; a gap for the mic's listeners).
    public var micGraphXruns: Int?

    /// The report on `session` now. `final`: the end of the run (with what the allocation counters saw, in tests);
    /// `processCPUNs`: CPU time the process used since audio started; `wakeups`, at the end: how often the main
    /// loop woke.
    public init(_ session: AudioSession, final: Bool, processCPUNs: UInt64, wakeups: Int? = nil) {
        let engine = session.engine, writer = session.writer, backend = session.backend
        let format = engine.format
        let meters = engine.meters.snapshot(inputChannels: format.inputChannels, outputChannels: format.outputChannels)
        let lag = writer.writePosition &- writer.readPosition
        event = final ? "final" : "status"
        timeNs = MonotonicClock.nowNs
        self.backend = backend.name
        backendConnected = backend.isConnected
        backendReconnects = backend.reconnects
        rate = format.sampleRate
        period = format.periodFrames
        channels = format.outputChannels
        inputPeakDbfs = meters.inputPeak.map(Self.dBFS)
        outputPeakDbfs = meters.outputPeak.map(Self.dBFS)
        outputRmsDbfs = meters.outputRMS.map(Self.dBFS)
        clipped = meters.inputClipped || meters.outputClipped
        cpuLoad = Double(meters.cpuLoad)
        maxCpuLoad = Double(meters.maxCPULoad)
        callbacks = meters.callbacks
        overruns = meters.overruns
        graphXruns = meters.graphSkippedCycles
        nonFiniteSamples = meters.nonFiniteSamples
        guardReductionDb = meters.guardGain < 1 ? -Self.dBFS(meters.guardGain) : 0
        loudnessMomentaryLufs = meters.loudness.momentary.map(Double.init)
        loudnessShortTermLufs = meters.loudness.shortTerm.map(Double.init)
        loudnessIntegratedLufs = meters.loudness.integrated.map(Double.init)
        truePeakDbtp = meters.loudness.truePeak.map(Double.init)
        pipe = writer.name.rawValue
        pipeReaderLag = writer.readPosition == 0 ? 0 : lag
        pipeWaitingReaders = writer.waitingReaders
        audioThreadAllocations = final ? backend.countedAllocations : nil
        self.processCPUNs = processCPUNs
        mainLoopWakeups = wakeups
        if let bridge = session.monitorBridge?.statistics {
            monitorDriftPpm = bridge.driftPPM
            monitorLatencyFrames = bridge.latencyFrames
            monitorFillFrames = bridge.fillFrames
            monitorUnderflows = bridge.underflows
            monitorDeviceUnderruns = bridge.deviceUnderruns
            monitorResyncs = bridge.resyncs
            monitorThreadAllocations = final ? session.monitorBridge?.countedAllocations : nil
        }
        if let micBridge = session.micBridge {
            micDriftPpm = micBridge.driftPPM
            micUnderflows = micBridge.underflows
            micResyncs = micBridge.resyncs
            micGraphXruns = micBridge.graphXruns
        }
        if let mic = session.micAlsaBridge?.statistics {
            micDriftPpm = mic.driftPPM
            micUnderflows = mic.underflows + mic.deviceUnderruns
            micResyncs = mic.resyncs
        }
    }

    /// The report as one JSON line (snake_case keys, sorted).
    public var json: Data {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        return ((try? encoder.encode(self)) ?? Data("{}".utf8)) + Data("\n".utf8)
    }

    /// The report as a person reads it on standard error.
    public var line: String {
        let report = self
        func levels(_ values: [Double]) -> String { values.map { String(format: "%.1f", $0) }.joined(separator: "/") }
        var text = "\(report.backend)\(report.backendConnected ? "" : " (LOST, retrying)") \(report.rate) Hz/\(report.period)"
        text += "  in \(levels(report.inputPeakDbfs)) dBFS  out \(levels(report.outputPeakDbfs)) dBFS"
        text += report.clipped ? " CLIP" : ""
        text += String(format: "  cpu %.1f%% (max %.1f%%)", report.cpuLoad * 100, report.maxCpuLoad * 100)
        let lagMs = Double(report.pipeReaderLag) * 1000 / Double(report.rate)
        text +=
            "  xruns \(report.overruns) (graph \(report.graphXruns))  \(report.pipe): \(report.pipeWaitingReaders) waiting, lag \(report.pipeReaderLag)"
        text += String(format: " (%.1f ms)", lagMs)
        if report.nonFiniteSamples > 0 { text += "  NaN/inf silenced \(report.nonFiniteSamples)" }
        if let shortTerm = report.loudnessShortTermLufs {
            text += String(format: "  %.1f LUFS", shortTerm)
            if let integrated = report.loudnessIntegratedLufs { text += String(format: " (I %.1f)", integrated) }
        }
        if report.guardReductionDb > 0 { text += String(format: "  guard -%.1f dB", report.guardReductionDb) }
        if let drift = report.micDriftPpm {
            text += "  mic \(drift >= 0 ? "+" : "")\(drift) ppm"
            if let dropouts = report.micUnderflows, dropouts > 0 { text += ", \(dropouts) dropouts" }
        }
        if let drift = report.monitorDriftPpm, let latency = report.monitorLatencyFrames {
            text += "  monitor \(drift >= 0 ? "+" : "")\(drift) ppm, \(latency) frames"
            let troubles = (report.monitorUnderflows ?? 0) + (report.monitorDeviceUnderruns ?? 0)
            if troubles > 0 { text += ", \(troubles) dropouts" }
        }
        if report.event == "final" {
            text += "  (\(report.callbacks) callbacks)"
            if let allocations = report.audioThreadAllocations { text += "  audio-thread allocations \(allocations)" }
        }
        return text
    }

    /// dBFS of a linear level; -120 stands for silence.
    static func dBFS(_ level: Float) -> Double {
        level > 0 ? max(-120, 20 * log10(Double(level))) : -120
    }
}
