import DirectPipeAudio
import DirectPipeEngine
import DirectPipeHost
import DirectPipeShm
import Foundation

/// The `run` command's status: a line a second for people, or JSON for scripts, on whatever session the host
/// runs at the time (another one after `configure_audio`).
struct RunStatus: Sendable {
    let host: RunHost
    let json: Bool
    let quiet: Bool
    /// This process's CPU time when audio first started, so the report counts only what running costs.
    let cpuAtStartNs = processCPUNs()

    /// One JSON status object (`event`: "status" each second, "final" at the end).
    struct Report: Encodable {
        var event: String
        var timeNs: UInt64
        var backend: String
        /// False while the device or server is gone.
        var backendConnected: Bool
        var backendReconnects: Int
        var rate: Int
        var period: Int
        var channels: Int
        var inputPeakDbfs: [Double]
        var outputPeakDbfs: [Double]
        var outputRmsDbfs: [Double]
        var clipped: Bool
        var cpuLoad: Double
        var maxCpuLoad: Double
        var callbacks: UInt64
        /// DirectPipe's own: periods started late or processed for longer than a period.
        var overruns: UInt64
        /// The graph's: cycles the server skipped or reported as xruns (whoever was late).
        var graphXruns: UInt64
        var nonFiniteSamples: UInt64
        var pipe: String
        /// Frames written to the pipe that its most recent reader has not yet consumed.
        var pipeReaderLag: UInt64
        var pipeWaitingReaders: UInt32
        /// Only at the end, only with the allocation counter preloaded (tests).
        var audioThreadAllocations: Int64?
        /// CPU time (user + system, all threads) this process used since audio started.
        var processCPUNs: UInt64
        /// Only at the end: how often the run's main loop woke (reports, signals, a file's end checks).
        var mainLoopWakeups: Int?
        /// The monitor on another clock: the drift corrected (ppm), the bridge's latency and fill, its troubles.
        var monitorDriftPpm: Int?
        var monitorLatencyFrames: Int?
        var monitorFillFrames: Int?
        var monitorUnderflows: Int?
        var monitorDeviceUnderruns: Int?
        var monitorResyncs: Int?
        /// Only at the end, only with the allocation counter preloaded (tests): the monitor bridge's thread.
        var monitorThreadAllocations: Int64?
        /// The virtual mic fed into PipeWire from another clock: the drift corrected (ppm), its dropouts.
        var micDriftPpm: Int?
        var micUnderflows: Int?
        /// Times the mic's bridge dropped to its target after a stall left far too much in its ring.
        var micResyncs: Int?
        /// Cycles the PipeWire graph skipped over the mic's feed (its xruns; a gap for the mic's listeners).
        var micGraphXruns: Int?
    }

    /// One report; `wakeups`, at the end: how often the main loop woke.
    func report(final: Bool, wakeups: Int? = nil) {
        let session = host.current
        let engine = session.engine, writer = session.writer, backend = session.backend
        let monitorBridge = session.monitorBridge, micBridge = session.micBridge, micAlsaBridge = session.micAlsaBridge
        let format = engine.format
        let meters = engine.meters.snapshot(inputChannels: format.inputChannels, outputChannels: format.outputChannels)
        let lag = writer.writePosition &- writer.readPosition
        var report = Report(
            event: final ? "final" : "status", timeNs: MonotonicClock.nowNs, backend: backend.name,
            backendConnected: backend.isConnected, backendReconnects: backend.reconnects,
            rate: format.sampleRate, period: format.periodFrames, channels: format.outputChannels,
            inputPeakDbfs: meters.inputPeak.map(decibels), outputPeakDbfs: meters.outputPeak.map(decibels),
            outputRmsDbfs: meters.outputRMS.map(decibels), clipped: meters.inputClipped || meters.outputClipped,
            cpuLoad: Double(meters.cpuLoad), maxCpuLoad: Double(meters.maxCPULoad), callbacks: meters.callbacks,
            overruns: meters.overruns, graphXruns: meters.graphSkippedCycles, nonFiniteSamples: meters.nonFiniteSamples, pipe: writer.name.rawValue,
            pipeReaderLag: writer.readPosition == 0 ? 0 : lag, pipeWaitingReaders: writer.waitingReaders,
            audioThreadAllocations: final ? backend.countedAllocations : nil,
            processCPUNs: processCPUNs() &- cpuAtStartNs, mainLoopWakeups: wakeups)
        if let bridge = monitorBridge?.statistics {
            report.monitorDriftPpm = bridge.driftPPM
            report.monitorLatencyFrames = bridge.latencyFrames
            report.monitorFillFrames = bridge.fillFrames
            report.monitorUnderflows = bridge.underflows
            report.monitorDeviceUnderruns = bridge.deviceUnderruns
            report.monitorResyncs = bridge.resyncs
            report.monitorThreadAllocations = final ? monitorBridge?.countedAllocations : nil
        }
        if let micBridge {
            report.micDriftPpm = micBridge.driftPPM
            report.micUnderflows = micBridge.underflows
            report.micResyncs = micBridge.resyncs
            report.micGraphXruns = micBridge.graphXruns
        }
        if let mic = micAlsaBridge?.statistics {
            report.micDriftPpm = mic.driftPPM
            report.micUnderflows = mic.underflows + mic.deviceUnderruns
            report.micResyncs = mic.resyncs
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            if let data = try? encoder.encode(report) { FileHandle.standardOutput.write(data + Data("\n".utf8)) }
        } else if !quiet || final {
            printError(line(report))
        }
    }

    private func line(_ report: Report) -> String {
        func levels(_ values: [Double]) -> String { values.map { String(format: "%.1f", $0) }.joined(separator: "/") }
        var text = "\(report.backend)\(report.backendConnected ? "" : " (LOST, retrying)") \(report.rate) Hz/\(report.period)"
        text += "  in \(levels(report.inputPeakDbfs)) dBFS  out \(levels(report.outputPeakDbfs)) dBFS"
        text += report.clipped ? " CLIP" : ""
        text += String(format: "  cpu %.1f%% (max %.1f%%)", report.cpuLoad * 100, report.maxCpuLoad * 100)
        let lagMs = Double(report.pipeReaderLag) * 1000 / Double(report.rate)
        text += "  xruns \(report.overruns) (graph \(report.graphXruns))  \(report.pipe): \(report.pipeWaitingReaders) waiting, lag \(report.pipeReaderLag)"
        text += String(format: " (%.1f ms)", lagMs)
        if report.nonFiniteSamples > 0 { text += "  NaN/inf silenced \(report.nonFiniteSamples)" }
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
}

/// CPU time this process has used, user and system, all threads.
private func processCPUNs() -> UInt64 {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func ns(_ time: timeval) -> UInt64 { UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_usec) * 1000 }
    return ns(usage.ru_utime) + ns(usage.ru_stime)
}

/// dBFS of a linear level; -120 stands for silence.
private func decibels(_ level: Float) -> Double {
    level > 0 ? max(-120, 20 * log10(Double(level))) : -120
}
