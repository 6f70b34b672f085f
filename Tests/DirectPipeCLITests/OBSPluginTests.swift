import Foundation
import Testing

/// The OBS source plugin on the real libobs (obs-host, under xvfb-run: libobs needs an X display), reading a
/// pipe that `directpipe send --signal counter` writes in another process.
@Suite(.serialized) struct OBSPluginTests {
    private var plugin: URL { Programs.nativeDirectory.appendingPathComponent("obs/directpipe-obs.so") }

    private func host(_ pipe: String, seconds: Double) throws -> TestProcess {
        try TestProcess(
            URL(fileURLWithPath: "/usr/bin/xvfb-run"),
            [
                "-a", Programs.nativeDirectory.appendingPathComponent("obs-host").path, "--plugin", plugin.path,
                "--data", Programs.nativeDirectory.appendingPathComponent("obs/data").path, "--pipe", pipe, "--seconds", "\(seconds)",
            ])
    }

    private func final(_ host: TestProcess) throws -> [String: Any] {
        try #require(host.jsonLines.last { $0.string("event") == "final" }, "\(host.output)\(host.errorOutput.suffix(2000))")
    }

    @Test func theSourceDeliversExactlyTheCounterOnTheWritersClock() throws {
        let pipe = uniquePipe("obs")
        defer { removePipe(pipe) }
        let sender = try startSender(pipe, ["--signal", "counter", "--seconds", "30"])  // stopped after the host: outlasts a slow start
        let obs = try host(pipe, seconds: 3)
        #expect(obs.finish() == 0, "\(obs.errorOutput.suffix(2000))")
        sender.signal(SIGTERM)
        sender.finish()
        let result = try final(obs)
        print(
            "OBS plugin: \(result.int("frames") ?? 0) frames, clock offset \(result.int("max_clock_offset_ns") ?? -1) ns, shutdown \(result.int("shutdown_ns") ?? -1) ns"
        )
        #expect((result.int("frames") ?? 0) > 48000 * 2, "\(result)")
        #expect(result.int("counter_errors") == 0, "every sample the counter: \(result)")
        #expect(result.int("gaps") == 0, "no gap, no duplicate: \(result)")
        #expect(result.int("timestamp_step_errors") == 0, "timestamps grow by frames/rate: \(result)")
        #expect((result.int("max_clock_offset_ns") ?? .max) < 1_000_000, "within 1 ms of the writer's clock: \(result)")
        #expect(result.int("leaks") == 0, "libobs counts no leaked allocation: \(result)")
        #expect(obs.jsonLines.contains { ($0.string("status") ?? "").hasPrefix("Connected: 48000 Hz, 2 channels") }, "\(obs.output)")
    }

    @Test func aTranslationWithOtherConversionsIsNeverUsedAsAFormat() throws {
        // A locale whose status line has %s where the plugin passes numbers: used as a printf format, it would
        // read an integer as a pointer in OBS's UI thread.
        let data = FileManager.default.temporaryDirectory.appendingPathComponent("dp-obs-locale-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: data) }
        try FileManager.default.copyItem(at: Programs.nativeDirectory.appendingPathComponent("obs/data"), to: data)
        let locale = data.appendingPathComponent("locale/en-US.ini")
        let text = try String(contentsOf: locale, encoding: .utf8).split(separator: "\n")
            .map { $0.hasPrefix("Status.Connected=") ? "Status.Connected=\"Verbunden: %s Hz, %s Kanäle\"" : String($0) }
        try text.joined(separator: "\n").write(to: locale, atomically: true, encoding: .utf8)
        let pipe = uniquePipe("obslocale")
        defer { removePipe(pipe) }
        let sender = try startSender(pipe, ["--signal", "counter", "--seconds", "30"])
        let obs = try TestProcess(
            URL(fileURLWithPath: "/usr/bin/xvfb-run"),
            [
                "-a", Programs.nativeDirectory.appendingPathComponent("obs-host").path, "--plugin", plugin.path,
                "--data", data.path, "--pipe", pipe, "--seconds", "2",
            ])
        #expect(obs.finish() == 0, "\(obs.errorOutput.suffix(2000))")
        sender.signal(SIGTERM)
        sender.finish()
        #expect(
            obs.jsonLines.contains { ($0.string("status") ?? "").hasPrefix("Connected: 48000 Hz, 2 channels") },
            "the English line instead of the broken translation: \(obs.output)")
    }

    @Test func aKilledWriterIsReportedLostAndAReturningOneIsPickedUp() throws {
        let pipe = uniquePipe("obskill")
        defer { removePipe(pipe) }
        let first = try startSender(pipe, ["--signal", "counter", "--seconds", "30"])
        let obs = try host(pipe, seconds: 6)
        #expect(obs.waitForLine(timeout: 15) { ($0.string("status") ?? "").hasPrefix("Connected") } != nil, "\(obs.output)")
        let killedAt = monotonicNs()
        first.signal(SIGKILL)
        first.finish()
        let lost = obs.waitForLine { ($0.string("status") ?? "").hasPrefix("Lost") }
        #expect(lost != nil, "\(obs.output)")
        if let lost, let at = lost["time_ns"] as? NSNumber {
            print("OBS plugin: lost reported \((at.uint64Value &- killedAt) / 1_000_000) ms after SIGKILL")
        }
        let second = try startSender(pipe, ["--signal", "counter", "--seconds", "30"])
        let lostAt = lost?.int("time_ns") ?? .max
        #expect(
            obs.waitForLine(timeout: 8) { ($0.int("time_ns") ?? 0) > lostAt && ($0.string("status") ?? "").hasPrefix("Connected") } != nil,
            "resumed: \(obs.output)")
        #expect(obs.finish() == 0)
        second.signal(SIGTERM)
        second.finish()
        #expect(try final(obs).int("counter_errors") == 0)
    }

    /// Every channel count a pipe may have reaches OBS under its own layout (7 channels as 7.1 with a silent
    /// eighth: OBS has no 7-channel layout).
    @Test(arguments: [1, 3, 5, 7, 8])
    func everyChannelCountReachesOBS(channels: Int) throws {
        let pipe = uniquePipe("obsch\(channels)")
        defer { removePipe(pipe) }
        let sender = try startSender(pipe, ["--signal", "tone:1000", "--channels", "\(channels)", "--seconds", "30"])
        let obs = try host(pipe, seconds: 1.5)
        #expect(obs.finish() == 0, "\(obs.errorOutput.suffix(2000))")
        sender.signal(SIGTERM)
        sender.finish()
        #expect(obs.jsonLines.contains { ($0.string("status") ?? "").hasPrefix("Connected: 48000 Hz, \(channels) channels") }, "\(obs.output)")
        #expect((try final(obs).int("frames") ?? 0) > 24000, "OBS received the audio: \(obs.output.suffix(500))")
    }

    @Test func aMalformedSegmentIsReportedNotCrashedOn() throws {
        let pipe = uniquePipe("obsbad")
        defer { removePipe(pipe) }
        try Data(repeating: 0x5A, count: 4096).write(to: URL(fileURLWithPath: "/dev/shm" + pipe))
        let obs = try host(pipe, seconds: 1.5)
        #expect(obs.finish() == 0, "the host (and OBS) lived: \(obs.errorOutput.suffix(1000))")
        #expect(
            obs.jsonLines.contains { ($0.string("status") ?? "").contains("Waiting: ") && ($0.string("status") ?? "").contains("magic") },
            "\(obs.output)")
        #expect(try final(obs).int("frames") == 0)
    }

    @Test func aPipeNameThatIsNotOneIsNamedInTheStatus() throws {
        let obs = try host("/Not a pipe", seconds: 1)
        #expect(obs.finish() == 0, "\(obs.errorOutput.suffix(1000))")
        #expect(obs.jsonLines.contains { ($0.string("status") ?? "").hasPrefix("Waiting: bad pipe name") }, "\(obs.output)")
    }

    @Test func thePluginNeedsOnlyLibobsAndLibc() throws {
        let readelf = try TestProcess(URL(fileURLWithPath: "/usr/bin/readelf"), ["-d", plugin.path])
        readelf.finish()
        let needed = readelf.output.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(
            needed.count == 2 && needed.contains { $0.contains("libobs.so") } && needed.contains { $0.contains("libc.so") },
            "\(needed)")
        #expect(!readelf.output.contains("RUNPATH") && !readelf.output.contains("RPATH"))
    }

    @Test func installPutsThePluginWhereOBSLooksAndUninstallTakesItAway() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-obs-home-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment.removeValue(forKey: "XDG_CONFIG_HOME")
        func obs(_ arguments: String...) throws -> TestProcess {
            let process = try TestProcess(Programs.directpipe, ["obs"] + arguments, environment: environment)
            #expect(process.finish() == 0, "\(arguments): \(process.errorOutput)")
            return process
        }
        let folder = home.appendingPathComponent(".config/obs-studio/plugins/directpipe-obs")
        let library = folder.appendingPathComponent("bin/64bit/directpipe-obs.so")
        #expect(try obs("status").output.contains("user: not installed"))
        _ = try obs("install")
        _ = try obs("install")  // again: replaced in place
        #expect(FileManager.default.contents(atPath: library.path) == FileManager.default.contents(atPath: plugin.path))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("data/locale/en-US.ini").path))
        #expect(try obs("status").output.contains("user: installed at \(library.path)"))

        // The installed copy is what OBS loads: it delivers the pipe's audio from there.
        let pipe = uniquePipe("obsinstalled")
        defer { removePipe(pipe) }
        let sender = try startSender(pipe, ["--signal", "counter", "--seconds", "30"])
        let host = try TestProcess(
            URL(fileURLWithPath: "/usr/bin/xvfb-run"),
            [
                "-a", Programs.nativeDirectory.appendingPathComponent("obs-host").path, "--plugin", library.path,
                "--data", folder.appendingPathComponent("data").path, "--pipe", pipe, "--seconds", "1.5",
            ])
        #expect(host.finish() == 0)
        sender.signal(SIGTERM)
        sender.finish()
        let result = try final(host)
        #expect((result.int("frames") ?? 0) > 24000 && result.int("counter_errors") == 0, "\(result)")

        #expect(try obs("uninstall").output.contains("removed \(folder.path)"))
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        #expect(try obs("uninstall").output.contains("not installed"))

        // The OBS Flatpak's own folder, and the permission its sandbox needs to see the host's /dev/shm.
        let flatpak = home.appendingPathComponent(".var/app/com.obsproject.Studio/config/obs-studio/plugins/directpipe-obs")
        let installed = try obs("install", "--flatpak").output
        #expect(installed.contains("flatpak override --user --device=shm com.obsproject.Studio"), "\(installed)")
        #expect(
            FileManager.default.contents(atPath: flatpak.appendingPathComponent("bin/64bit/directpipe-obs.so").path)
                == FileManager.default.contents(atPath: plugin.path))
        #expect(try obs("status").output.contains("flatpak: installed at \(flatpak.path)/bin/64bit/directpipe-obs.so"))
        #expect(try obs("uninstall", "--flatpak").output.contains("removed \(flatpak.path)"))
        let both = try TestProcess(Programs.directpipe, ["obs", "install", "--system", "--flatpak"], environment: environment)
        #expect(both.finish() != 0 && both.errorOutput.contains("pick one"), "\(both.errorOutput)")
    }
}
