import DirectPipeAPI
import DirectPipeApp
import DirectPipeControl
import DirectPipeHost
import DirectPipeShm
import Foundation
import Logging
import Synchronization
import Testing

/// `directpipe run` in process, on the internal clock: the API comes up where `ctl` finds it, an action changes
/// the engine, and the end (the task cancelled, as the service group's shutdown does) saves the session, withdraws
/// the API's address and gives one final report after the statuses.
@Suite(.serialized) struct RunAppTests {
    @Test func aRunServesItsAPIAndOnItsEndSavesTheSessionAndWithdrawsTheAddress() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dp-app-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let pipe = try PipeName("app-\(getpid())-\(UInt32.random(in: 0...UInt32.max))")
        defer { try? PipeWriter.remove(pipe) }
        var options = RunApp.Options()
        options.flags.backend = .clock
        options.flags.pipe = pipe.rawValue
        options.folder = folder
        options.configPath = folder + "/config.json"  // none there: the defaults
        options.apiPort = 0
        let reports = Mutex<[RunReport]>([])
        let lines = Mutex<[String]>([])
        let log = Logger(label: "run") { _ in LineLogHandler { _, message in lines.withLock { $0.append(message) } } }
        let run = Task { try await RunApp(options, log: log) { report in reports.withLock { $0.append(report) } }.run() }

        let client = try await waitForAPI(folder: folder)
        let state = try await client.perform(.setInputGain(decibels: -3))
        #expect(state.input.gainDB == -3 && state.audio?.backend == "clock", "\(state.summary)")
        while reports.withLock({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(50)) }  // a status came

        run.cancel()
        try await run.value
        #expect(APIAccess.find(folder: folder) == nil, "ctl finds no API once the run ended")
        #expect(try SessionState.load(folder: folder)?.inputGainDB == -3, "the session was saved")
        let events = reports.withLock { $0.map(\.event) }
        #expect(events.last == "final" && events.dropLast().allSatisfy { $0 == "status" }, "\(events)")
        #expect(lines.withLock { $0 }.contains { $0.hasPrefix("API on http://127.0.0.1:") }, "\(lines.withLock { $0 })")
    }

    /// A second run on the same config folder is refused while the first runs (one host per folder), and says who has it.
    @Test func aSecondRunOnTheSameFolderIsRefused() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dp-app-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let lock = try InstanceLock(folder: folder)
        var options = RunApp.Options()
        options.flags.backend = .clock
        options.flags.pipe = try PipeName("app2-\(getpid())-\(UInt32.random(in: 0...UInt32.max))").rawValue
        options.folder = folder
        options.configPath = folder + "/config.json"
        options.apiPort = 0
        let error = await #expect(throws: RunError.self) { try await RunApp(options, log: Logger(label: "run")) { _ in }.run() }
        #expect(
            error?.description.contains("another DirectPipe (pid \(getpid())) is running with the config folder \(folder)") == true,
            "\(String(describing: error))")
        withExtendedLifetime(lock) {}
    }

    private func waitForAPI(folder: String) async throws -> APIClient {
        for _ in 0..<400 {  // a guard against a hang (20 s), not a measure
            if let client = try? APIClient.running(folder: folder) { return client }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw APIClientError("no API came up in \(folder)")
    }
}
