import Foundation
import Testing

/// The ALSA backend through real ALSA code with no sound card: the `file` PCM
/// plugin serves a raw file as the capture device and writes the monitor's
/// playback to another (its `null` slave has no clock, so it runs flat out).
@Suite struct AlsaBackendTests {
    /// A private ALSA configuration in a throw-away HOME (ALSA reads $HOME/.asoundrc).
    private struct AlsaHome {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dp-alsa-\(UUID().uuidString)")
        var input: URL { url.appendingPathComponent("in.raw") }
        var output: URL { url.appendingPathComponent("out.raw") }

        init(frames: Int) throws {
            try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
            // A ramp that never repeats within the file: any lost, doubled or reordered frame shows.
            var samples: [Float] = []
            for frame in 0..<frames { samples += [Float(frame) / 8_388_608, -Float(frame) / 8_388_608] }
            try samples.withUnsafeBytes { Data($0) }.write(to: input)
            try """
            pcm.dp_in { type file slave.pcm "null" file "/dev/null" infile "\(input.path)" format "raw" }
            pcm.dp_out { type file slave.pcm "null" file "\(output.path)" format "raw" }
            """.write(to: url.appendingPathComponent(".asoundrc"), atomically: true, encoding: .utf8)
        }

        var environment: [String: String] {
            var environment = ProcessInfo.processInfo.environment
            environment["HOME"] = url.path
            return environment
        }

        func remove() { try? FileManager.default.removeItem(at: url) }
    }

    @Test func captureProcessAndPlaybackThroughRealAlsaAreBitExact() throws {
        let home = try AlsaHome(frames: 48000)
        defer { home.remove() }
        let pipe = uniquePipe("alsa")
        defer { removePipe(pipe) }
        let run = try TestProcess(
            Programs.directpipe,
            [
                "run", "--backend", "alsa", "--input", "dp_in", "--monitor", "dp_out", "--monitor-clock", "shared", "--pipe", pipe, "--period", "256",
                "--periods", "3", "--seconds", "0.5", "--json",
            ],
            environment: home.environment)
        #expect(run.finish() == 0, "\(run.errorOutput)")
        let input = try Data(contentsOf: home.input)
        let output = try Data(contentsOf: home.output)
        #expect(output.count >= input.count, "the whole file went through")
        #expect(output.prefix(input.count) == input, "monitor output = capture input, bit for bit")
        let final = try #require(run.jsonLines.last { $0.string("event") == "final" })
        #expect(final.string("backend") == "alsa" && final.int("period") == 256)
    }

    @Test func aDeviceThatDoesNotExistIsOneClearLine() throws {
        let home = try AlsaHome(frames: 16)
        defer { home.remove() }
        let run = try TestProcess(
            Programs.directpipe, ["run", "--backend", "alsa", "--input", "nosuchdevice", "--seconds", "1"],
            environment: home.environment)
        #expect(run.finish() != 0)
        let lines = run.errorOutput.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("cannot open ALSA capture device 'nosuchdevice'"), "\(run.errorOutput)")
    }

    /// A throw-away HOME whose .asoundrc defines `dp_jack`, ALSA's jack plugin capturing from two ports of `server`.
    private func jackPluginHome(_ left: String, _ right: String, server: JackServer) throws -> (URL, [String: String]) {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-alsajack-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try "pcm.dp_jack { type jack capture_ports { 0 \(left) 1 \(right) } }"
            .write(to: home.appendingPathComponent(".asoundrc"), atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["JACK_DEFAULT_SERVER"] = server.name
        return (home, environment)
    }

    /// Real time: an ALSA device served by ALSA's jack plugin, clocked by a dummy jackd; jack-ramp feeds it.
    @Test func inRealTimeThroughAlsasJackPlugin() throws {
        let server = try JackServer("alsajack")
        let (home, environment) = try jackPluginHome("ramp_feed:out_1", "ramp_feed:out_2", server: server)
        defer { try? FileManager.default.removeItem(at: home) }
        let pipe = uniquePipe("alsajack")
        defer { removePipe(pipe) }

        let feed = try TestProcess(
            Programs.nativeDirectory.appendingPathComponent("jack-ramp"), ["--feed-channels", "2", "--seconds", "6"],
            environment: environment)
        usleep(500_000)
        let run = try TestProcess(
            Programs.directpipe, ["run", "--backend", "alsa", "--input", "dp_jack", "--pipe", pipe, "--seconds", "4", "--json"],
            environment: environment)
        usleep(1_000_000)
        let reader = try TestProcess(Programs.readerCheck, ["--pipe", pipe, "--seconds", "2", "--verify-ramp"])
        reader.finish()
        #expect(run.finish() == 0, "\(run.errorOutput)")
        feed.finish()
        let piped = try #require(reader.jsonLines.last { $0.string("event") == "final" }, "\(reader.output)")
        #expect((piped.int("ramp_frames") ?? 0) > 48000, "\(piped)")
        // Paced by the JACK clock: about 375 periods a second.
        let final = try #require(run.jsonLines.last { $0.string("event") == "final" })
        #expect((final.int("callbacks") ?? 0) > 1000, "\(final)")
        // An xrun (the device's, reported to DirectPipe, or the JACK server's behind the plugin) may break the
        // ramp once per channel, as in the JACK tests; nothing else may, and no gap may go unreported.
        let xruns = (final.int("overruns") ?? 0) + (final.int("graph_xruns") ?? 0) + (feed.jsonLines.last?.int("xruns") ?? 0)
        #expect((piped.int("ramp_errors") ?? .max) <= 2 * xruns && piped.int("unreported_gaps") == 0, "\(piped), \(xruns) xruns")
    }

    /// A device that fails while running (its server stops under the jack plugin) is reported, the
    /// engine keeps going, and the device is opened again when it returns.
    @Test func aDeviceThatFailsIsReopenedWhenItReturns() throws {
        let server = try JackServer("alsafail")
        var (home, environment) = try jackPluginHome("system:capture_1", "system:capture_2", server: server)
        environment["XDG_CONFIG_HOME"] = home.appendingPathComponent(".config").path  // the run's and ctl's
        defer { try? FileManager.default.removeItem(at: home) }
        let pipe = uniquePipe("alsafail")
        defer { removePipe(pipe) }
        let run = try TestProcess(
            Programs.directpipe, ["run", "--backend", "alsa", "--input", "dp_jack", "--pipe", pipe, "--seconds", "15", "--json", "--api-port", "0"],
            environment: environment)
        #expect(run.waitForLine { $0["backend_connected"] as? Bool == true && ($0.int("callbacks") ?? 0) > 0 } != nil)
        let versionBefore = try stateVersion(environment, run)
        server.stop()  // the device's clock and data are gone
        #expect(run.waitForLine { $0["backend_connected"] as? Bool == false } != nil, "\(run.output)")
        // The host published the loss on its own (its change stream): the control state moved on with no action asked.
        #expect(try waitForStateVersion(above: versionBefore, environment, run), "the state's version stayed \(versionBefore)")
        try server.start()
        #expect(
            run.waitForLine(timeout: 8) { ($0.int("backend_reconnects") ?? 0) >= 1 && $0["backend_connected"] as? Bool == true } != nil,
            "\(run.errorOutput)")
        let before = run.jsonLines.last?.int("callbacks") ?? 0
        usleep(1_500_000)
        #expect((run.jsonLines.last?.int("callbacks") ?? 0) > before, "audio flows again")
        run.signal(SIGTERM)
        #expect(run.finish() == 0, "the process lived through it: \(run.errorOutput)")
        #expect(run.errorOutput.contains("ALSA device 'dp_jack' delivered nothing for 500 ms"), "\(run.errorOutput)")
        #expect(run.errorOutput.contains("ALSA device 'dp_jack' is back"), "\(run.errorOutput)")
    }

    /// The running host's state version, through `directpipe ctl status --json`, once its API answers (asked every
    /// 100 ms, a guard of 10 s against a hang).
    private func stateVersion(_ environment: [String: String], _ run: TestProcess) throws -> Int {
        var answer = ""
        for _ in 0..<100 {
            let status = try TestProcess(Programs.directpipe, ["ctl", "status", "--json"], environment: environment)
            status.finish()
            if let version = status.jsonLines.first?.int("version") { return version }
            answer = status.errorOutput
            usleep(100_000)
        }
        throw SetupFailure(description: "no state from the API: \(answer); the host said: \(run.errorOutput)")
    }

    /// Whether the state's version passes `version` (asked every 100 ms, a guard of 10 s against a hang).
    private func waitForStateVersion(above version: Int, _ environment: [String: String], _ run: TestProcess) throws -> Bool {
        for _ in 0..<100 {
            if try stateVersion(environment, run) > version { return true }
            usleep(100_000)
        }
        return false
    }

    @Test func theAlsaAudioThreadAllocatesNothing() throws {
        let server = try JackServer("alsaalloc", period: 32)
        let (home, base) = try jackPluginHome("system:capture_1", "system:capture_2", server: server)
        defer { try? FileManager.default.removeItem(at: home) }
        var environment = base
        environment["LD_PRELOAD"] = Programs.nativeDirectory.appendingPathComponent("libdirectpipe-alloc-counter.so").path
        let pipe = uniquePipe("alsaalloc")
        defer { removePipe(pipe) }
        // 48 kHz in 32-frame periods, clocked by jackd through the plugin: 1,500 callbacks a second, until 10,000.
        let run = try TestProcess(
            Programs.directpipe,
            [
                "run", "--backend", "alsa", "--input", "dp_jack", "--period", "32", "--periods", "3", "--pipe", pipe, "--seconds", "300",
                "--json",
            ],
            environment: environment)
        #expect(run.stop(afterCallbacks: 10_000), "\(run.output.suffix(500))")
        #expect(run.finish() == 0, "\(run.errorOutput)")
        let final = try #require(run.jsonLines.last { $0.string("event") == "final" })
        print("ALSA audio thread: \(final.int("audio_thread_allocations") ?? -1) allocations over \(final.int("callbacks") ?? 0) callbacks")
        #expect((final.int("callbacks") ?? 0) >= 10_000, "\(final)")
        #expect(final.int("audio_thread_allocations") == 0, "\(final)")
    }
}
