import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// Removing an LV2 effect whose worker is busy, 500 times over the API on a running host: the worker thread is
/// stopped before the instance is deactivated and freed. The plugin (`dp-busy-worker`, Tests/Native) schedules a
/// 2-ms job every cycle and aborts the host, naming the rule, if work() runs once deactivation has begun or
/// deactivate() or cleanup() comes while work() runs; the host must outlive every removal.
@Suite(.serialized) struct PluginWorkerTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-worker-\(UUID().uuidString)")

    @Test func anEffectWhoseWorkerIsBusyIsRemoved500TimesWithoutBreakingItsThreadingRules() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let pipe = uniquePipe("worker")
        defer { removePipe(pipe) }
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = home.path
        environment["LV2_PATH"] = Programs.nativeDirectory.appendingPathComponent("lv2").path + ":/usr/lib/lv2"
        let host = try TestProcess(
            Programs.directpipe,
            [
                "run", "--backend", "clock", "--channels", "1", "--api-port", "0", "--pipe", pipe, "--seconds", "600", "--quiet",
            ], environment: environment)
        defer {
            host.signal(SIGTERM)
            host.finish()
        }
        let folder = home.appendingPathComponent("directpipe").path
        let deadline = Date().addingTimeInterval(20)
        while FileManager.default.contents(atPath: "\(folder)/api.json") == nil, host.process.isRunning, Date() < deadline { usleep(20_000) }
        let access = try #require(FileManager.default.contents(atPath: "\(folder)/api.json"), "\(host.errorOutput)")
        let url = try #require((try JSONSerialization.jsonObject(with: access) as? [String: Any])?.string("url"))
        let token = try String(contentsOfFile: "\(folder)/api-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)

        var removed = 0
        for _ in 0..<500 {
            let added = post(url, token, #"{"action": "add_effect", "id": "urn:directpipe:test:busy-worker"}"#)
            guard added == 200 else { Issue.record("add_effect: \(added)\n\(host.errorOutput.suffix(2000))"); break }
            let gone = post(url, token, #"{"action": "remove_effect", "effect": 0}"#)
            guard gone == 200 else { Issue.record("remove_effect: \(gone)\n\(host.errorOutput.suffix(2000))"); break }
            removed += 1
        }
        // The control side frees a removed effect after its fade: wait until every instance reported its cleanup.
        let cleaned = { host.errorOutput.components(separatedBy: "dp-busy-worker: cleaned up").count - 1 }
        let settle = Date().addingTimeInterval(20)
        while cleaned() < removed, host.process.isRunning, Date() < settle { usleep(50_000) }
        #expect(removed == 500)
        #expect(host.process.isRunning, "the host outlived every removal: \(host.errorOutput.suffix(2000))")
        #expect(!host.errorOutput.contains("VIOLATION"), "\(host.errorOutput.suffix(2000))")
        #expect(cleaned() == removed, "every instance was cleaned up: \(cleaned()) of \(removed)")
        let done = host.errorOutput.split(separator: "\n").filter { $0.contains("cleaned up") }
            .compactMap { $0.split(separator: " ").dropLast().last.flatMap { Int($0) } }.reduce(0, +)
        print("busy worker: \(removed) removals, \(done) jobs done in all")
        #expect(done > removed, "the worker was busy: \(done) jobs in \(removed) instances")
        // The plugin also logs from run(): on the audio thread that is kept and counted, printed only later.
        #expect(!host.errorOutput.contains("lv2 Trace: dp-busy-worker: cycle"), "printed on the audio thread")
        #expect(
            host.errorOutput.contains("on the audio thread, not printed there; the last: Trace: dp-busy-worker: cycle"),
            "\(host.errorOutput.suffix(1000))")
    }

    /// POSTs an action; the status (0: no answer).
    private func post(_ url: String, _ token: String, _ body: String) -> Int {
        var request = URLRequest(url: URL(string: url + "/api/v1/actions")!, timeoutInterval: 20)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var status = 0
        URLSession.shared.dataTask(with: request) { _, response, _ in
            status = (response as? HTTPURLResponse)?.statusCode ?? 0
            done.signal()
        }.resume()
        _ = done.wait(timeout: .now() + 25)
        return status
    }
}
