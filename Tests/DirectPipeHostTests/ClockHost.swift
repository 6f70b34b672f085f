import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import DirectPipeShm
import Foundation
import Logging
import Synchronization
import Testing

@testable import DirectPipeHost

/// No PipeWire, JACK or ALSA: the clock, and no virtual-mic bridge.
let clockOnly = BackendProbe(pipeWireAnswers: { false }, jackServer: { _ in nil }, alsaCaptureOpens: { _ in false })

/// A host running the clock backend (a real engine on a real-time thread) on a pipe of its own; its log lines
/// are kept in `lines`.
func runningHost(_ lines: LogLines, chain: ChainDescription = ChainDescription(effects: [])) throws -> (RunHost, PipeName) {
    let name = try PipeName("host-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
    var settings = RunSettings()
    settings.backend = .clock
    let plan = try SessionPlan(settings, chain: chain, probe: clockOnly)
    let writer = try PipeWriter(name: name, format: PipeFormat(sampleRate: 48000, channels: 2))
    let host = try RunHost(plan, controls: EngineControls(), writer: writer, log: lines.logger, probe: clockOnly)
    try host.start()
    return (host, name)
}

/// Waits (up to 10 s, a guard against a hang, not a measure) until the engine running now has made `count` callbacks.
func callbacks(of host: RunHost, reach count: UInt64) -> Bool {
    let deadline = MonotonicClock.nowNs + 10_000_000_000
    while MonotonicClock.nowNs < deadline {
        if host.current.engine.meters.snapshot(inputChannels: 2, outputChannels: 2).callbacks >= count { return true }
        usleep(5000)
    }
    return false
}

/// A `configure_audio` request as the API decodes it.
func request(_ json: String) throws -> RunSettings {
    try JSONDecoder().decode(RunSettings.self, from: Data(json.utf8))
}

func stop(_ host: RunHost, _ name: PipeName) {
    host.current.stop()
    host.current.writer.stop()
    try? PipeWriter.remove(name)
}

/// Log lines, kept for a test to read.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }

    var logger: Logger {
        Logger(label: "test") { _ in LineLogHandler(level: .trace) { _, line in self.lines.withLock { $0.append(line) } } }
    }
}
