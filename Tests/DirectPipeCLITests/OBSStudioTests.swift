import Foundation
import Testing

/// The real OBS Studio (Debian's `obs`, on its own Xvfb display, in a throw-away HOME) with the plugin put there by
/// `directpipe obs install`: OBS loads the module, obs-websocket creates a "DirectPipe Audio" input, and OBS's own
/// volume meters show the audio `directpipe send` writes, its loss when the writer is killed, and its return.
@Suite(.serialized) struct OBSStudioTests {
    @Test func obsLoadsTheInstalledPluginAndItsMetersFollowTheWriter() throws {
        let studio = try OBSStudio()
        let pipe = uniquePipe("obsstudio")
        defer { removePipe(pipe) }
        let first = try startSender(pipe, ["--signal", "tone:1000", "--seconds", "60"])
        try studio.start()
        let probe = try TestProcess(
            URL(fileURLWithPath: "/usr/bin/python3"),
            [
                Programs.packageRoot.appendingPathComponent("Tests/Scripts/obs_websocket_probe.py").path,
                "--port", "\(studio.websocketPort)", "--pipe", pipe, "--seconds", "12",
            ])
        func meter(after time: UInt64, timeout: TimeInterval = 8, _ loud: @escaping (Double) -> Bool) -> [String: Any]? {
            probe.waitForLine(timeout: timeout) { line in
                line.string("event") == "meter" && (line.int("time_ns").map { UInt64($0) } ?? 0) > time
                    && loud((line["peak"] as? NSNumber)?.doubleValue ?? -1)
            }
        }
        let kinds = probe.waitForLine(timeout: 60) { $0.string("event") == "kinds" || $0.string("event") == "error" }
        #expect((kinds?["kinds"] as? [String])?.contains("directpipe_audio") == true, "\(probe.output)\(studio.log.suffix(3000))")

        // The tone `send` writes has a peak of 0.5: OBS's meter for the source shows it.
        #expect(meter(after: 0) { $0 > 0.45 && $0 < 0.55 } != nil, "OBS hears the pipe: \(probe.output.suffix(1500))")
        let killedAt = monotonicNs()
        first.signal(SIGKILL)
        first.finish()
        let silent = meter(after: killedAt) { $0 == 0 }
        #expect(silent != nil, "nothing (no stale audio) once the writer is gone: \(probe.output.suffix(1500))")
        if let silent, let at = silent.int("time_ns") {
            print("OBS Studio: its meter fell silent \((UInt64(at) &- killedAt) / 1_000_000) ms after SIGKILL")
        }
        let second = try startSender(pipe, ["--signal", "tone:1000", "--seconds", "60"])
        #expect(meter(after: monotonicNs()) { $0 > 0.45 && $0 < 0.55 } != nil, "picked up again: \(probe.output.suffix(1500))")
        #expect(probe.finish(timeout: 30) == 0, "\(probe.output.suffix(1500))\(probe.errorOutput.suffix(1500))")
        second.signal(SIGTERM)
        second.finish()

        #expect(studio.quit() == 0, "OBS exits when asked (Ctrl+Q)")
        let log = studio.log
        #expect(log.contains("    directpipe-obs.so\n"), "in OBS's list of loaded modules")
        #expect(log.contains("User added source 'DirectPipe Audio' (directpipe_audio)"))
        #expect(log.contains("[directpipe] \(pipe): connected, 48000 Hz, 2 channels"), "the plugin's own log lines")
        #expect(log.contains("[directpipe] \(pipe): lost"))
        #expect(log.contains("Number of memory leaks: 0"), "a clean shutdown with the source in it: \(log.suffix(1500))")
        if let buffering = log.split(separator: "\n").first(where: { $0.contains("of audio buffering") }) {
            print("OBS Studio: \(buffering)")
        }
    }
}

/// OBS Studio on a private Xvfb display with a throw-away HOME: the plugin installed by `directpipe obs install`,
/// obs-websocket enabled on a free port without a password, no first-run wizard.
final class OBSStudio {
    let home: URL
    let websocketPort = Int.random(in: 20000...29999)
    private var display: XvfbDisplay?
    private var obs: TestProcess?
    private var displayName = ""

    init() throws {
        home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-obs-studio-\(UUID().uuidString)")
        let config = home.appendingPathComponent(".config/obs-studio")
        try FileManager.default.createDirectory(at: config, withIntermediateDirectories: true)
        // FirstRun and LastVersion (this OBS's own, as it writes it) keep the first-run wizard away.
        try """
        [General]
        FirstRun=false
        LastVersion=\(try Self.installedVersion())
        EnableAutoUpdates=false
        [OBSWebSocket]
        FirstLoad=false
        ServerEnabled=true
        ServerPort=\(websocketPort)
        AuthRequired=false
        AlertsEnabled=false

        """.write(to: config.appendingPathComponent("global.ini"), atomically: true, encoding: .utf8)
        let install = try TestProcess(Programs.directpipe, ["obs", "install"], environment: environment)
        #expect(install.finish() == 0, "\(install.errorOutput)")
    }

    deinit {
        obs?.signal(SIGKILL)
        obs?.finish()
        display = nil
        try? FileManager.default.removeItem(at: home)
    }

    /// The OBS version as OBS stores it (major << 24 | minor << 16 | patch), from `obs --version`
    /// ("OBS Studio - 29.0.2.1-1+b1 (linux)").
    static func installedVersion() throws -> UInt32 {
        let version = try TestProcess(URL(fileURLWithPath: "/usr/bin/obs"), ["--version"])
        version.finish()
        let numbers = try #require(version.output.split(separator: " ").first { $0.first?.isNumber == true }, "\(version.output)")
            .split(separator: "-")[0].split(separator: ".").compactMap { UInt32($0) }
        try #require(numbers.count >= 3, "\(version.output)")
        return numbers[0] << 24 | numbers[1] << 16 | numbers[2]
    }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment.removeValue(forKey: "XDG_CONFIG_HOME")
        if !displayName.isEmpty { environment["DISPLAY"] = displayName }
        return environment
    }

    /// Starts Xvfb (it prints the display it took) and OBS on it.
    func start() throws {
        let display = try XvfbDisplay()
        self.display = display
        displayName = display.name
        obs = try TestProcess(
            URL(fileURLWithPath: "/usr/bin/obs"), ["--disable-shutdown-check", "--disable-updater"],
            environment: environment)
    }

    /// Asks OBS to quit as a user does (Ctrl+Q in its main window) and returns its exit status.
    func quit() -> Int32 {
        guard let obs else { return -1 }
        // The main window's title: "OBS 29.0.2 (linux) - Profile: Untitled - Scenes: Untitled".
        for arguments in [["search", "--sync", "--limit", "1", "--name", "^OBS .* - Profile: ", "windowfocus"], ["key", "ctrl+q"]] {
            if let xdotool = try? TestProcess(URL(fileURLWithPath: "/usr/bin/xdotool"), arguments, environment: environment) {
                if xdotool.finish(timeout: 10) != 0 { print("xdotool \(arguments): \(xdotool.errorOutput)") }
            }
        }
        let status = obs.finish(timeout: 30)
        if status != 0 { print("OBS: \(obs.errorOutput.suffix(3000))") }
        return status
    }

    /// OBS's own log of this run.
    var log: String {
        let logs = home.appendingPathComponent(".config/obs-studio/logs")
        let files = (try? FileManager.default.contentsOfDirectory(at: logs, includingPropertiesForKeys: nil)) ?? []
        return files.sorted { $0.path < $1.path }.compactMap { try? String(contentsOf: $0, encoding: .utf8) }.joined()
    }
}
