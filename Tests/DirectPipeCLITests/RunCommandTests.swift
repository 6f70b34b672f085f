import Foundation
import Testing

/// `directpipe run` as a user (and a test of its audio thread) sees it.
@Suite struct RunCommandTests {
    private var counterLibrary: String { Programs.nativeDirectory.appendingPathComponent("libdirectpipe-alloc-counter.so").path }

    /// Runs `directpipe run` with the allocation counter preloaded and returns its final JSON report.
    private func runCounted(_ pipe: String, selfTest: Bool) throws -> [String: Any] {
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = counterLibrary
        if selfTest { environment["DIRECTPIPE_ALLOCATION_PROBE_SELF_TEST"] = "1" }
        // 192 kHz in 16-frame periods: 12,000 callbacks a second, until 10,000.
        let run = try TestProcess(
            Programs.directpipe, ["run", "--pipe", pipe, "--rate", "192000", "--period", "16", "--seconds", "60", "--json"],
            environment: environment)
        #expect(run.stop(afterCallbacks: 10_000), "\(run.output.suffix(500))")
        #expect(run.finish() == 0, "\(run.errorOutput)")
        return try #require(run.jsonLines.last { $0.string("event") == "final" }, "\(run.output)\(run.errorOutput)")
    }

    @Test func theAudioThreadAllocatesNothingOverTenThousandCallbacks() throws {
        let pipe = uniquePipe("alloc")
        defer { removePipe(pipe) }
        let report = try runCounted(pipe, selfTest: false)
        let callbacks = try #require(report.int("callbacks"))
        print("audio thread: \(report.int("audio_thread_allocations") ?? -1) allocations over \(callbacks) callbacks")
        #expect(callbacks >= 10_000)
        #expect(report.int("audio_thread_allocations") == 0)
    }

    @Test func theAllocationCounterSeesSwiftAllocationsOnTheAudioThread() throws {
        let pipe = uniquePipe("allocself")
        defer { removePipe(pipe) }
        let report = try runCounted(pipe, selfTest: true)
        #expect((report.int("audio_thread_allocations") ?? 0) >= 1, "\(report)")
        let check = try TestProcess(Programs.nativeDirectory.appendingPathComponent("alloc-counter-check"), [])
        check.finish()
        #expect(check.output.trimmingCharacters(in: .whitespacesAndNewlines) == "3")
    }

    /// The main loop sleeps between its once-a-second reports (it once spun on a deadline that had wrapped round
    /// to the past: a sixth of a core for nothing), and a signal still wakes it: SIGHUP reloads the chain, SIGTERM
    /// ends the run. (That the wake is at once, not at the next report, chainSwapsAreSeamless needs and checks.)
    @Test func theMainLoopSleepsUntilItHasSomethingToDo() throws {
        let pipe = uniquePipe("idle")
        defer { removePipe(pipe) }
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dp-idle-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let chain = folder.appendingPathComponent("chain.json")
        try #"{"effects": [{"id": "gain", "parameters": {"gain": -6}}]}"#.write(to: chain, atomically: true, encoding: .utf8)
        let run = try TestProcess(Programs.directpipe, ["run", "--pipe", pipe, "--seconds", "30", "--json", "--chain", chain.path])
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !run.errorOutput.contains("backend clock") { usleep(20_000) }
        usleep(2_500_000)
        try #"{"effects": [{"id": "gain", "parameters": {"gain": -12}}]}"#.write(to: chain, atomically: true, encoding: .utf8)
        run.signal(SIGHUP)
        let waited = Date().addingTimeInterval(5)
        while Date() < waited, !run.errorOutput.contains("chain reloaded") { usleep(5_000) }
        run.signal(SIGTERM)
        #expect(run.finish() == 0, "\(run.errorOutput)")
        #expect(run.errorOutput.contains("chain reloaded"), "\(run.errorOutput)")
        let final = try #require(run.jsonLines.last { $0.string("event") == "final" }, "\(run.output)")
        let wakeups = try #require(final.int("main_loop_wakeups"), "\(final)")
        print("main loop: \(wakeups) wake-ups in about 2.5 s")
        #expect(wakeups <= 8, "a report a second and the signals, no spinning: \(wakeups)")
    }

    @Test func runFeedsThePipeThatTapReads() throws {
        let pipe = uniquePipe("run")
        defer { removePipe(pipe) }
        let run = try TestProcess(Programs.directpipe, ["run", "--pipe", pipe, "--seconds", "3", "--channels", "1", "--gain=-6"])
        let tap = try TestProcess(Programs.directpipe, ["tap", "--pipe", pipe, "--wait", "--seconds", "2.5", "--json"])
        let summary = try #require(
            {
                tap.finish(); return tap.jsonLines.last { $0.string("event") == "final" }
            }())
        #expect(run.finish() == 0, "\(run.errorOutput)")
        #expect(summary.int("channels") == 1 && summary.int("rate") == 48000)
        #expect((summary.int("frames") ?? 0) > 48000, "\(summary)")
        #expect(run.errorOutput.contains("backend clock"))
        // -6 dB of gain on a -6 dBFS tone: about -12 dBFS out.
        #expect(run.errorOutput.contains("out -12.0 dBFS"), "\(run.errorOutput)")
    }

    @Test func missingServersAreNamedInOneLine() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_RUNTIME_DIR"] = FileManager.default.temporaryDirectory.path  // no PipeWire socket there
        environment.removeValue(forKey: "PIPEWIRE_RUNTIME_DIR")
        let run = try TestProcess(Programs.directpipe, ["run", "--backend", "pipewire", "--seconds", "1"], environment: environment)
        #expect(run.finish() != 0)
        #expect(run.errorOutput.split(separator: "\n").count == 1, "one line, no libpipewire noise: \(run.errorOutput)")
        #expect(run.errorOutput.contains("no PipeWire daemon answers"), "\(run.errorOutput)")
        let jack = try TestProcess(Programs.directpipe, ["run", "--backend", "jack", "--jack-server", "dp-none-\(getpid())"])
        #expect(jack.finish() != 0)
        #expect(jack.errorOutput.split(separator: "\n").count == 1, "one line, no libjack noise: \(jack.errorOutput)")
        #expect(jack.errorOutput.contains("no JACK server 'dp-none-\(getpid())' is running"))
    }

    @Test func settingsComeFromTheConfigFileAndFlagsOverrideThem() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-xdg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home.appendingPathComponent("directpipe"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        let pipe = uniquePipe("config")
        defer { removePipe(pipe) }
        try #"{"backend": "clock", "rate": 44100, "period": 256, "pipe": "\#(pipe)"}"#
            .write(to: home.appendingPathComponent("directpipe/config.json"), atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = home.path
        let run = try TestProcess(Programs.directpipe, ["run", "--period", "64", "--seconds", "1.2", "--json"], environment: environment)
        #expect(run.finish() == 0, "\(run.errorOutput)")
        let final = try #require(run.jsonLines.last { $0.string("event") == "final" })
        #expect(final.int("rate") == 44100, "from the file")
        #expect(final.int("period") == 64, "the flag wins")
        #expect(final.string("pipe") == pipe)

        try #"{"period": "short"}"#.write(to: home.appendingPathComponent("directpipe/config.json"), atomically: true, encoding: .utf8)
        let broken = try TestProcess(Programs.directpipe, ["run", "--seconds", "1"], environment: environment)
        #expect(broken.finish() != 0)
        let lines = broken.errorOutput.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("config.json:1: 'period' must be a whole number of frames"), "\(broken.errorOutput)")
    }
}
