import DirectPipeControl
import DirectPipeDSP
import DirectPipeShm
import Foundation
import Synchronization
import Testing

@testable import DirectPipeHost

/// The host publishes what changes in the audio side instead of being polled: each start (a restart, or what ran
/// put back) and each loss and return of a real JACK server, with the snapshot as it is then.
@Suite(.serialized) struct AudioChangesTests {
    /// What a host published, as it comes.
    final class Received: Sendable {
        private let snapshots = Mutex<[AudioSnapshot]>([])
        private let task = Mutex<Task<Void, Never>?>(nil)

        init(_ host: RunHost) {
            let stream = host.changes()
            task.withLock { $0 = Task { [weak self] in for await snapshot in stream { self?.snapshots.withLock { $0.append(snapshot) } } } }
        }

        deinit { task.withLock { $0?.cancel() } }

        /// The `count`th snapshot once it has come (a guard of 20 s against a hang, not a measure).
        func snapshot(_ count: Int) async -> AudioSnapshot? {
            for _ in 0..<1000 {
                if let snapshot = snapshots.withLock({ $0.count >= count ? $0[count - 1] : nil }) { return snapshot }
                try? await Task.sleep(for: .milliseconds(20))
            }
            return nil
        }
    }

    @Test func everyStartIsPublishedWithItsFormat() async throws {
        let (host, name) = try runningHost(LogLines())
        defer { stop(host, name) }
        let received = Received(host)
        let first = try #require(await received.snapshot(1))
        #expect(first.starts == 1 && first.format.periodFrames == 128 && first.status?.backend == "clock")

        try host.restart(try request(#"{"period": 256}"#), chain: ChainDescription(effects: []))
        let restarted = try #require(await received.snapshot(2))
        #expect(restarted.starts == 2 && restarted.format.periodFrames == 256)

        #expect(throws: ActionError.self) { try host.restart(try request(#"{"monitor": "no_such_card"}"#), chain: ChainDescription(effects: [])) }
        let putBack = try #require(await received.snapshot(3))
        #expect(putBack.starts == 3 && putBack.format.periodFrames == 256, "what ran, started again, is a new start")
    }

    /// A real jackd stopped under a running host and started again: the host says so twice, on its own.
    @Test func aJackServerLostAndBackIsPublished() async throws {
        let server = "dp-\(getpid())-changes"
        var jackd = try JackDaemon(server)
        defer { jackd.stop() }
        let (host, pipe) = try jackHost(server, pipe: "changes")
        defer { stop(host, pipe) }
        let received = Received(host)
        #expect(try #require(await received.snapshot(1)).status?.connected == true)

        jackd.stop()
        let lost = try #require(await received.snapshot(2))
        #expect(lost.status?.connected == false && lost.starts == 1, "\(lost)")
        jackd = try JackDaemon(server)
        let back = try #require(await received.snapshot(3))
        #expect(back.status?.connected == true && back.starts == 1, "the same session reconnected: \(back)")
    }
}

extension AudioChangesTests {
    /// The control center follows the host: a server lost reaches its observers (the panel, WebSocket clients) as
    /// a new state, with no action asked.
    @Test func theControlCenterTellsItsObserversOfALostServer() async throws {
        let server = "dp-\(getpid())-follow"
        let jackd = try JackDaemon(server)
        defer { jackd.stop() }
        let (host, pipe) = try jackHost(server, pipe: "follow")
        defer { stop(host, pipe) }
        let center = ControlCenter(host: host, description: ChainDescription(effects: []))
        let told = Mutex<[ControlState]>([])
        let id = center.addObserver { state in told.withLock { $0.append(state) } }
        defer { center.removeObserver(id) }
        let following = Task { await center.followAudioChanges() }
        defer { following.cancel() }
        #expect(center.state().audio?.connected == true)

        jackd.stop()
        var lost: ControlState?
        for _ in 0..<1000 where lost == nil {  // waits for the state; 20 s guard against a hang
            lost = told.withLock { $0.first { $0.audio?.connected == false } }
            try await Task.sleep(for: .milliseconds(20))
        }
        #expect(lost != nil && lost!.version >= 1, "observers heard the loss: \(told.withLock { $0.map(\.version) })")
    }
}

/// A running host on the JACK server `server`, capturing nothing, on a pipe of its own.
func jackHost(_ server: String, pipe label: String) throws -> (RunHost, PipeName) {
    let pipe = try PipeName("\(label)-\(getpid())")
    var settings = try request(#"{"backend": "jack", "input": "none"}"#)
    settings.jackServer = server
    let plan = try SessionPlan(settings, chain: nil, probe: BackendProbe.system)
    let writer = try PipeWriter(name: pipe, format: PipeFormat(sampleRate: UInt32(plan.format.sampleRate), channels: 2))
    let host = try RunHost(plan, controls: .init(), writer: writer, log: LogLines().logger, probe: .system)
    try host.start()
    return (host, pipe)
}

/// A jackd with the dummy driver, for one test.
struct JackDaemon {
    private let process = Process()

    init(_ name: String) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/jackd")
        process.arguments = ["-n", name, "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "256"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let wait = Process()
        wait.executableURL = URL(fileURLWithPath: "/usr/bin/jack_wait")
        wait.arguments = ["-s", name, "-w", "-t", "10"]
        wait.standardOutput = FileHandle.nullDevice
        try wait.run()
        wait.waitUntilExit()
    }

    func stop() {
        guard process.isRunning else { return }
        process.terminate()
        process.waitUntilExit()
    }
}
