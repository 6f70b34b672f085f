import Foundation
import Testing

/// `directpipe panel`, the desktop entry's command: with no DirectPipe running it starts one in the background
/// (here on the internal clock, in a config folder of the test's own) and prints the panel's address with the
/// token; with one running it opens that one; a host that cannot start is an error that says where its output is.
@Suite(.serialized) struct PanelCommandTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-panel-\(UUID().uuidString)")
    var folder: String { home.appendingPathComponent("config/directpipe").path }
    var log: String { home.appendingPathComponent("state/directpipe/directpipe.log").path }
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = home.appendingPathComponent("config").path
        environment["XDG_STATE_HOME"] = home.appendingPathComponent("state").path
        environment["HOME"] = home.path
        return environment
    }

    func panel(_ arguments: [String]) throws -> TestProcess {
        let panel = try TestProcess(Programs.directpipe, ["panel", "--no-browser"] + arguments, environment: environment)
        panel.finish(timeout: 60)
        return panel
    }

    /// The pid the running host wrote into api.json.
    var hostPID: Int32? {
        FileManager.default.contents(atPath: "\(folder)/api.json")
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] }?.int("pid").map(Int32.init)
    }

    /// Stops the host the panel started (SIGTERM, as systemd would) and waits until it is gone.
    func stopHost() {
        guard let pid = hostPID else { return }
        kill(pid, SIGTERM)
        let deadline = Date().addingTimeInterval(15)
        while kill(pid, 0) == 0, Date() < deadline { usleep(20_000) }
    }

    @Test func itStartsDirectPipeWhenNoneRunsAndOpensTheRunningOneAfter() throws {
        let pipe = uniquePipe("panel")
        defer {
            stopHost()
            removePipe(pipe)
            try? FileManager.default.removeItem(at: home)
        }
        let first = try panel(["--", "--backend", "clock", "--pipe", pipe, "--api-port", "0", "--seconds", "120"])
        #expect(first.process.terminationStatus == 0, "\(first.errorOutput)")
        let token = try String(contentsOfFile: "\(folder)/api-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        let address = first.output.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(address.hasPrefix("http://127.0.0.1:") && address.hasSuffix("/#token=\(token)"), "\(address)")
        let pid = try #require(hostPID, "the started host published its API")
        #expect(kill(pid, 0) == 0, "the host runs on after the panel command returned")
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(output.contains("backend clock") && output.contains(pipe), "the host's output is in its log: \(output)")

        let status = try TestProcess(Programs.directpipe, ["ctl", "status", "--json"], environment: environment)
        #expect(status.finish() == 0 && status.output.contains("\"backend\":\"clock\""), "\(status.output)\(status.errorOutput)")

        let second = try panel([])
        #expect(
            second.process.terminationStatus == 0 && second.output.trimmingCharacters(in: .whitespacesAndNewlines) == address,
            "\(second.output)\(second.errorOutput)")
        #expect(hostPID == pid, "no second host was started")
    }

    @Test func aHostThatCannotStartIsAnErrorNamingItsLog() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let failed = try panel(["--wait", "3", "--", "--backend", "clock", "--pipe", "not a pipe name"])
        #expect(failed.process.terminationStatus != 0)
        #expect(failed.errorOutput.contains("did not come up") && failed.errorOutput.contains(log), "\(failed.errorOutput)")
        let output = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        #expect(output.contains("bad pipe name"), "the host's own error is in the log: \(output)")
    }
}
