import Foundation
import Testing

/// Plugin editors in a running DirectPipe (`run --api` on the internal clock, a private Xvfb as its display): opened
/// and closed by `directpipe ctl editor`, two at once, a control dragged in one reaching the state the API serves, a
/// parameter set through `ctl` reaching the other's drawing, an effect taken out of the chain taking its editor with
/// it, and nothing allocated on the audio thread over thousands of callbacks meanwhile.
@Suite(.serialized) struct PluginEditorRunTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-editors-\(UUID().uuidString)")

    /// ZAM's compressor as VST2 and as CLAP (whose editor's changes come out of the audio thread's process call).
    static let chain = #"{"effects": [{"id": "vst2:ZamComp-vst.so"}, {"id": "clap:ZamComp.clap"}]}"#

    @Test func editorsOpenFromCtlFollowTheMouseAndTheAPIAndCloseWithTheirEffects() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let display = try XvfbDisplay()
        let chainFile = home.appendingPathComponent("chain.json").path
        try Self.chain.write(toFile: chainFile, atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = home.path
        environment["HOME"] = home.path
        environment["DISPLAY"] = display.name
        var hostEnvironment = environment
        hostEnvironment["LD_PRELOAD"] = Programs.nativeDirectory.appendingPathComponent("libdirectpipe-alloc-counter.so").path
        let pipe = uniquePipe("editors")
        defer { removePipe(pipe) }
        // 96 kHz in 32-frame periods: 3,000 callbacks a second, counted until 8,000 (waited for, not timed).
        let run = try TestProcess(
            Programs.directpipe,
            [
                "run", "--api", "--api-port", "0", "--pipe", pipe, "--rate", "96000", "--period", "32", "--seconds", "120", "--chain", chainFile,
                "--json",
            ],
            environment: hostEnvironment)
        defer { run.signal(SIGTERM) }
        let deadline = Date().addingTimeInterval(30)
        while Date() < deadline, !run.errorOutput.contains("API on") { usleep(20_000) }
        try #require(run.errorOutput.contains("API on"), "\(run.errorOutput)")

        func ctl(_ arguments: [String]) throws -> TestProcess {
            let command = try TestProcess(Programs.directpipe, ["ctl"] + arguments, environment: environment)
            command.finish()
            return command
        }
        func state() throws -> [String: Any] {
            let output = try ctl(["status", "--json"]).output
            return try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
        }
        func effects() throws -> [[String: Any]] {
            try #require((try state()["chain"] as? [String: Any])?["effects"] as? [[String: Any]])
        }
        let probe = Programs.nativeDirectory.appendingPathComponent("x11_probe")
        func window(_ title: String) throws -> [Int]? {
            let find = try TestProcess(probe, ["find", title], environment: environment)
            guard find.finish() == 0 else { return nil }
            return find.output.split(separator: " ").compactMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        func waitFor(_ condition: () throws -> Bool) rethrows -> Bool {
            let deadline = Date().addingTimeInterval(20)
            while Date() < deadline {
                if try condition() { return true }
                usleep(100_000)
            }
            return try condition()
        }

        #expect(try effects().map { $0["editor"] as? String } == ["closed", "closed"])
        #expect(try ctl(["editor", "open", "0"]).output.contains("(editor open)"))
        let vst2Title = "ZamComp (VST2) — DirectPipe", clapTitle = "ZamComp (CLAP) — DirectPipe"
        #expect(try waitFor { try window(vst2Title)?[3] == 1 }, "the window mapped")
        let vst2 = try #require(try window(vst2Title))
        #expect(vst2[1] == 800 && vst2[2] == 107, "the editor's own size: \(vst2)")

        // A drag down on the VST2 editor's threshold knob: the API's state has the new threshold.
        // (DPF's VST2 builds give their parameters as 0…1: the threshold starts at its top, 0 dB, as 1.)
        let threshold = { (effect: [String: Any]) in (effect["parameters"] as? [String: Double])?["threshold"] ?? -1 }
        let initial = try threshold(effects()[0])
        #expect(initial == 1)
        let xdotool = URL(fileURLWithPath: "/usr/bin/xdotool")
        func drawn(_ window: [Int], _ name: String) throws -> Bool {  // more than a few colours: the editor drew itself
            let shot = try TestProcess(probe, ["shot", String(window[0]), home.appendingPathComponent(name).path], environment: environment)
            shot.finish()
            return (Int(shot.output.split(separator: " ").first ?? "") ?? 0) > 200
        }
        #expect(try waitFor { try drawn(vst2, "vst2.png") })
        var drag = ["mousemove", String(vst2[4] + 210), String(vst2[5] + 72), "mousedown", "1"]
        for step in 1...8 { drag += ["mousemove", String(vst2[4] + 210), String(vst2[5] + 72 + step * 8), "sleep", "0.03"] }
        drag += ["mouseup", "1"]
        #expect(try TestProcess(xdotool, drag, environment: environment).finish() == 0)
        #expect(try waitFor { try (0..<initial).contains(threshold(effects()[0])) }, "the dragged threshold reached the state")

        // A second editor (windows without a window manager open on top of each other: this one after the drag).
        #expect(try ctl(["editor", "open", "1"]).process.terminationStatus == 0)
        #expect(try effects().map { $0["editor"] as? String } == ["open", "open"], "two editors at once")
        #expect(try waitFor { try window(clapTitle)?[3] == 1 }, "the window mapped")
        let clap = try #require(try window(clapTitle))
        #expect(clap[1] == 800 && clap[2] == 107, "the editor's own size: \(clap)")
        #expect(try waitFor { try drawn(clap, "clap.png") })

        // A ratio set through ctl shows in the CLAP editor: its knob's region is drawn anew.
        let knob = ["250", "30", "80", "77"]
        func knobChecksum() throws -> String {
            let shot = try TestProcess(
                probe, ["shot", String(clap[0]), home.appendingPathComponent("clap.png").path] + knob, environment: environment)
            shot.finish()
            return String(shot.output.split(separator: " ").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let before = try knobChecksum()
        #expect(try ctl(["param", "1", "ratio", "20"]).process.terminationStatus == 0)
        #expect(try waitFor { try knobChecksum() != before }, "the editor shows the ratio set through ctl")

        // Closed through ctl; the other closed by taking its effect out of the chain (the chain file reloaded).
        #expect(try ctl(["editor", "close", "1"]).process.terminationStatus == 0)
        #expect(try waitFor { try window(clapTitle) == nil })
        let refused = try ctl(["editor", "close", "1"])
        #expect(refused.process.terminationStatus != 0 && refused.errorOutput.contains("editor is not open"), "\(refused.errorOutput)")
        try #"{"effects": [{"id": "gain"}]}"#.write(toFile: chainFile, atomically: true, encoding: .utf8)
        run.signal(SIGHUP)
        #expect(try waitFor { try window(vst2Title) == nil }, "an effect removed takes its editor with it")
        #expect(try waitFor { try effects().map { $0["editor"] as? String } == ["none"] }, "a built-in has no editor of its own")
        let none = try ctl(["editor", "open", "0"])
        #expect(none.process.terminationStatus != 0 && none.errorOutput.contains("has no editor of its own"), "\(none.errorOutput)")

        #expect(run.stop(afterCallbacks: 8_000), "\(run.output.suffix(500))")
        #expect(run.finish() == 0, "\(run.errorOutput)")
        let final = try #require(run.jsonLines.last { $0.string("event") == "final" }, "\(run.output)")
        print(
            "audio thread with two plugin editors open, one dragged: \(final.int("audio_thread_allocations") ?? -1) allocations over \(final.int("callbacks") ?? 0) callbacks"
        )
        #expect((final.int("callbacks") ?? 0) >= 8_000, "\(final)")
        #expect(final.int("audio_thread_allocations") == 0, "\(final)")
    }
}
