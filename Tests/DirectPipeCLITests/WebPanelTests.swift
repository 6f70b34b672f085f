import Foundation
import Testing

/// The web panel in a real browser: Tests/Scripts/panel_check.py drives headless Chromium through chromedriver
/// (Selenium, in .build/venv) against a host on the internal clock that it starts and restarts. Every control is
/// checked through the API, every API change in the page; screenshots go to artifacts/panel/.
@Suite(.serialized) struct WebPanelTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-panel-\(UUID().uuidString)")

    @Test func everyControlActsAndThePageFollowsTheHost() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let python = Programs.packageRoot.appendingPathComponent(".build/venv/bin/python")
        try #require(FileManager.default.isExecutableFile(atPath: python.path), "run scripts/lib/python-tools.sh (scripts/test.sh does) first")
        try #require(
            FileManager.default.isExecutableFile(atPath: "/usr/bin/chromedriver"), "chromium-driver is installed by scripts/install-deps.sh --tests")
        let artifacts = Programs.packageRoot.appendingPathComponent("artifacts/panel")
        try? FileManager.default.removeItem(at: artifacts)
        let script = Programs.packageRoot.appendingPathComponent("Tests/Scripts/panel_check.py")
        let display = try XvfbDisplay()  // where the host opens plugin editors
        var environment = ProcessInfo.processInfo.environment
        environment["DISPLAY"] = display.name
        let run = try TestProcess(
            python,
            [
                script.path, "--directpipe", Programs.directpipe.path, "--home", home.path, "--artifacts", artifacts.path,
            ], environment: environment)
        run.finish(timeout: 240)
        let result = try #require(run.jsonLines.last, "\(run.output)\(run.errorOutput)")
        let checks = result["checks"] as? [String] ?? [], failures = result["failures"] as? [String] ?? ["no result"]
        print("web panel: \(checks.count) checks, \(failures.count) failed; screenshots in \(artifacts.path)")
        #expect(failures.isEmpty, "\(failures)")
        #expect(checks.count >= 40, "\(checks)")
        for size in ["desktop", "dock", "zoom-200"] {
            #expect(FileManager.default.fileExists(atPath: artifacts.appendingPathComponent("panel-\(size).png").path), "\(size)")
        }
    }

    /// `directpipe obs dock --add` writes OBS's custom browser dock list (a JSON value in an INI file) and keeps
    /// everything else in the file; it says so when the dock is there already; a value it cannot read stays.
    @Test func theOBSDockIsAddedBesideTheUsersOwn() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let obs = home.appendingPathComponent("config/obs-studio")
        try FileManager.default.createDirectory(at: obs, withIntermediateDirectories: true)
        let ini = obs.appendingPathComponent("global.ini")
        let before =
            "[General]\nLanguage=en-US\n\n[BasicWindow]\nDockState=AAAA\nExtraBrowserDocks=[{\"title\":\"Chat\",\"url\":\"https://chat.example/\",\"uuid\":\"c1\"}]\n"
        try before.write(to: ini, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = home.appendingPathComponent("config").path
        environment["HOME"] = home.path
        func dock(_ arguments: [String]) throws -> TestProcess {
            let run = try TestProcess(Programs.directpipe, ["obs", "dock"] + arguments, environment: environment)
            run.finish()
            return run
        }
        let printed = try dock([])
        let token = try String(contentsOf: home.appendingPathComponent("config/directpipe/api-token"), encoding: .utf8)
            .trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(printed.output.contains("http://127.0.0.1:7480/#token=\(token)"), "\(printed.output)\(printed.errorOutput)")

        let added = try dock(["--add"])
        #expect(added.process.terminationStatus == 0 && added.output.contains("added the DirectPipe dock"), "\(added.output)\(added.errorOutput)")
        let after = try String(contentsOf: ini, encoding: .utf8)
        #expect(after.contains("Language=en-US") && after.contains("DockState=AAAA"), "\(after)")
        let line = try #require(after.split(separator: "\n").first { $0.hasPrefix("ExtraBrowserDocks=") })
        let docks = try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst("ExtraBrowserDocks=".count).utf8)) as? [[String: String]])
        #expect(docks.map { $0["title"] } == ["Chat", "DirectPipe"], "\(docks)")
        #expect(docks.last?["url"] == "http://127.0.0.1:7480/#token=\(token)" && docks.last?["uuid"]?.isEmpty == false, "\(docks)")
        #expect(FileManager.default.fileExists(atPath: ini.path + ".bak"), "the file before is kept")
        #expect(try dock(["--add"]).output.contains("is there already"))

        let broken = before.replacingOccurrences(of: "ExtraBrowserDocks=[", with: "ExtraBrowserDocks={")
        try broken.write(to: ini, atomically: true, encoding: .utf8)
        let refused = try dock(["--add"])
        #expect(refused.process.terminationStatus != 0 && refused.errorOutput.contains("ExtraBrowserDocks is not a list"), "\(refused.errorOutput)")
        #expect(try String(contentsOf: ini, encoding: .utf8) == broken, "left as it was")
    }
}
