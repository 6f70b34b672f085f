import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import DirectPipeShm
import Foundation
import Logging
import Synchronization
import Testing

@testable import DirectPipeHost

/// The running audio side and its restarts, in process on the internal clock (a real engine, a real pipe).
@Suite(.serialized) struct RunHostTests {
    @Test func aRestartInAnotherFormatRunsTheNewOneAndSaysSo() throws {
        let lines = LogLines()
        let (host, name) = try runningHost(lines)
        defer { stop(host, name) }
        #expect(callbacks(of: host, reach: 10))
        let first = host.current

        try host.restart(try request(#"{"period": 256}"#), chain: ChainDescription(effects: []))
        #expect(host.current !== first && host.running.engine === host.current.engine)
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
            try host.restart(missingMonitor, chain: ChainDescription(effects: []))
            Issue.record("a monitor that is not there was started")
        } catch {
            #expect(error.message.contains("cannot open ALSA playback device 'no_such_card'"), "\(error.message)")
            #expect(error.message.hasSuffix("(what ran before runs again)"), "\(error.message)")
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
            try host.restart(missingFile, chain: ChainDescription(effects: []))
            Issue.record("planned a missing file")
        } catch {
            #expect(error.message.contains("/no/such/file.wav") && !error.message.contains("runs again"), "\(error.message)")
        }
        #expect(host.current === before)
        let count = before.engine.meters.snapshot(inputChannels: 2, outputChannels: 2).callbacks
        #expect(callbacks(of: host, reach: count + 10), "what ran still runs")
    }
}
