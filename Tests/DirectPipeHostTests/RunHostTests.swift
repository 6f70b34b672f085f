import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
@testable import DirectPipeHost
import DirectPipeShm
import Foundation
import Logging
import Synchronization
import Testing

/// The running audio side and its restarts, in process on the internal clock (a real engine, a real pipe).
@Suite(.serialized) struct RunHostTests {
    /// No PipeWire, JACK or ALSA: the clock, and no virtual-mic bridge.
    private let clockOnly = BackendProbe(pipeWireAnswers: { false }, jackServer: { _ in nil }, alsaCaptureOpens: { _ in false })

    /// A host running the clock backend on a pipe of its own; its log lines are kept in `lines`.
    private func runningHost(_ lines: LogLines) throws -> (RunHost, PipeName) {
        let name = try PipeName("host-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        var settings = RunSettings()
        settings.backend = .clock
        let plan = try SessionPlan(settings, chain: ChainDescription(effects: []), probe: clockOnly)
        let writer = try PipeWriter(name: name, format: PipeFormat(sampleRate: 48000, channels: 2))
        let controls = EngineControls()
        let session = try AudioSession(plan, controls: controls, writer: writer)
        let log = lines.logger
        try session.start(log: log)
        return (RunHost(session, controls: controls, log: log, probe: clockOnly), name)
    }

    /// Waits (up to 10 s) until the engine running now has made `count` more callbacks than `from`.
    private func callbacks(of host: RunHost, reach count: UInt64) -> Bool {
        let deadline = MonotonicClock.nowNs + 10_000_000_000
        while MonotonicClock.nowNs < deadline {
            if host.current.engine.meters.snapshot(inputChannels: 2, outputChannels: 2).callbacks >= count { return true }
            usleep(5000)
        }
        return false
    }

    @Test func aRestartInAnotherFormatRunsTheNewOneAndSaysSo() throws {
        let lines = LogLines()
        let (host, name) = try runningHost(lines)
        defer { stop(host, name) }
        #expect(callbacks(of: host, reach: 10))
        let first = host.current

        let running = try host.restart(try request(#"{"period": 256}"#), chain: ChainDescription(effects: []))
        #expect(host.current !== first && running.engine === host.current.engine)
        #expect(host.current.format.periodFrames == 256)
        #expect(callbacks(of: host, reach: 10), "the new engine runs")
        #expect(lines.all.contains { $0.hasPrefix("backend clock (as asked), 48000 Hz") && $0.contains("256") }, "\(lines.all)")
    }

    /// A restart that fails once the old side is stopped (a monitor device that is not there) starts what ran
    /// before again and says both.
    @Test func aRestartThatFailsRunsWhatRanBefore() throws {
        let lines = LogLines()
        let (host, name) = try runningHost(lines)
        defer { stop(host, name) }
        #expect(callbacks(of: host, reach: 10))
        let before = host.current
        let missingMonitor = try request(#"{"monitor": "no_such_card"}"#)
        do {
            _ = try host.restart(missingMonitor, chain: ChainDescription(effects: []))
            Issue.record("a monitor that is not there was started")
        } catch {
            #expect(error.error.message.contains("cannot open ALSA playback device 'no_such_card'"), "\(error.error.message)")
            #expect(error.error.message.hasSuffix("(what ran before runs again)"), "\(error.error.message)")
            #expect(error.restarted != nil)
        }
        #expect(host.current !== before, "a new start of what ran")
        #expect(host.current.plan.settings.monitor == nil && host.current.format.periodFrames == 128)
        #expect(callbacks(of: host, reach: 10), "and it runs")
    }

    /// A request the plan already refuses (an input file that is not there) stops nothing.
    @Test func aRestartRefusedByThePlanStopsNothing() throws {
        let lines = LogLines()
        let (host, name) = try runningHost(lines)
        defer { stop(host, name) }
        let before = host.current
        let missingFile = try request(#"{"input": "/no/such/file.wav"}"#)
        do {
            _ = try host.restart(missingFile, chain: ChainDescription(effects: []))
            Issue.record("planned a missing file")
        } catch {
            #expect(error.restarted == nil, "nothing was stopped, so nothing was started again")
        }
        #expect(host.current === before)
        let count = before.engine.meters.snapshot(inputChannels: 2, outputChannels: 2).callbacks
        #expect(callbacks(of: host, reach: count + 10), "what ran still runs")
    }

    /// A `configure_audio` request as the API decodes it.
    private func request(_ json: String) throws -> RunSettings {
        try JSONDecoder().decode(RunSettings.self, from: Data(json.utf8))
    }

    private func stop(_ host: RunHost, _ name: PipeName) {
        host.current.stop()
        host.current.writer.stop()
        try? PipeWriter.remove(name)
    }
}

/// Log lines, kept for a test to read.
final class LogLines: Sendable {
    private let lines = Mutex<[String]>([])
    var all: [String] { lines.withLock { $0 } }

    var logger: Logger {
        Logger(label: "test") { _ in LineLogHandler(level: .trace) { _, line in self.lines.withLock { $0.append(line) } } }
    }
}
