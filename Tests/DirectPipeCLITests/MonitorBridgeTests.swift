import Foundation
import Testing

/// The monitor on a device with its own clock: the engine on the internal clock, drifted on purpose
/// (DIRECTPIPE_CLOCK_DRIFT_PPM), plays through the bridge to a real ALSA device (ALSA's jack plugin
/// on a dummy jackd, which keeps true time). The bridge must find the drift and follow it, with
/// no dropouts once settled and its fill bounded.
@Suite(.serialized) struct MonitorBridgeTests {
    private func alsaHome() throws -> URL {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-monitor-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try "pcm.dp_monitor { type jack playback_ports { 0 system:playback_1 1 system:playback_2 } }"
            .write(to: home.appendingPathComponent(".asoundrc"), atomically: true, encoding: .utf8)
        return home
    }

    @Test(arguments: [2000, -2000])
    func aMonitorOnItsOwnClockFollowsTheDrift(ppm: Int) throws {
        let server = try JackServer("drift\(ppm < 0 ? "m" : "p")")
        let home = try alsaHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let pipe = uniquePipe("drift")
        defer { removePipe(pipe) }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["JACK_DEFAULT_SERVER"] = server.name
        environment["DIRECTPIPE_CLOCK_DRIFT_PPM"] = "\(ppm)"
        environment["LD_PRELOAD"] = Programs.nativeDirectory.appendingPathComponent("libdirectpipe-alloc-counter.so").path
        let run = try TestProcess(
            Programs.directpipe,
            ["run", "--backend", "clock", "--monitor", "dp_monitor", "--pipe", pipe, "--seconds", "14", "--json"],
            environment: environment)
        #expect(run.finish() == 0, "\(run.errorOutput)")
        #expect(run.errorOutput.contains("monitor on ALSA 'dp_monitor', its own clock"), "\(run.errorOutput)")
        let lines = run.jsonLines
        let final = try #require(lines.last { $0.string("event") == "final" })
        let settled = try #require(lines.filter { $0.string("event") == "status" }.dropFirst(7).first, "\(lines)")
        let drift = final.int("monitor_drift_ppm") ?? 0
        print("monitor bridge: drift \(ppm) ppm estimated \(drift) ppm, latency \(final.int("monitor_latency_frames") ?? -1) frames")
        #expect(abs(drift - ppm) < 400, "\(final)")
        // Settled: from the 8th second to the end no dropout or resync, but where the engine itself was late
        // (an overrun: a burst the bridge cannot smooth, as a JACK xrun breaks a ramp).
        expectNoTroubleBeyondOverruns(from: settled, to: final)
        // Bounded: the fill never strays beyond the bridge's own latency.
        let latency = try #require(final.int("monitor_latency_frames"))
        for line in lines.dropFirst(7) { #expect((line.int("monitor_fill_frames") ?? .max) <= latency, "\(line)") }
        #expect(final.int("monitor_thread_allocations") == 0, "\(final)")
    }

    /// Across backends: the engine in JACK's graph, the monitor on an ALSA device (`alsa:PCM`).
    @Test func aJackEngineMonitorsOnAnAlsaDevice() throws {
        let server = try JackServer("crossmonitor")
        let home = try alsaHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let pipe = uniquePipe("cross")
        defer { removePipe(pipe) }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["JACK_DEFAULT_SERVER"] = server.name
        let run = try TestProcess(
            Programs.directpipe,
            ["run", "--backend", "jack", "--jack-server", server.name, "--input", "none", "--monitor", "alsa:dp_monitor",
             "--pipe", pipe, "--seconds", "8", "--json"],
            environment: environment)
        #expect(run.finish() == 0, "\(run.errorOutput)")
        let lines = run.jsonLines
        let final = try #require(lines.last { $0.string("event") == "final" })
        let settled = try #require(lines.filter { $0.string("event") == "status" }.dropFirst(4).first, "\(lines)")
        // One true clock on both sides here: nothing to correct, and nothing lost.
        #expect(abs(final.int("monitor_drift_ppm") ?? .max) < 400, "\(final)")
        expectNoTroubleBeyondOverruns(from: settled, to: final)
    }

    private func expectNoTroubleBeyondOverruns(from settled: [String: Any], to final: [String: Any]) {
        func added(_ key: String) -> Int { (final.int(key) ?? 0) - (settled.int(key) ?? 0) }
        let troubles = added("monitor_underflows") + added("monitor_device_underruns") + added("monitor_resyncs")
        #expect(troubles <= added("overruns"), "\(settled) -> \(final)")
    }

    @Test func aMonitorDeviceThatDoesNotExistIsOneLine() throws {
        let home = try alsaHome()
        defer { try? FileManager.default.removeItem(at: home) }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        let run = try TestProcess(
            Programs.directpipe, ["run", "--backend", "clock", "--monitor", "no_such_card", "--seconds", "1"], environment: environment)
        #expect(run.finish() != 0)
        let lines = run.errorOutput.split(separator: "\n")
        #expect(lines.count == 1 && lines[0].contains("cannot open ALSA playback device 'no_such_card'"), "\(run.errorOutput)")
    }
}

/// The virtual mic on an ALSA device with its own clock (`--mic-to alsa:PCM`, the snd-aloop route):
/// the same bridge as the monitor, on the engine's mic output.
@Suite struct AlsaMicBridgeTests {
    @Test func theVirtualMicPlaysOnAnAlsaDeviceFollowingTheDrift() throws {
        let server = try JackServer("alsamic")
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-alsamic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try "pcm.dp_loop { type jack playback_ports { 0 system:playback_1 1 system:playback_2 } }"
            .write(to: home.appendingPathComponent(".asoundrc"), atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["JACK_DEFAULT_SERVER"] = server.name
        environment["DIRECTPIPE_CLOCK_DRIFT_PPM"] = "1000"
        environment["XDG_RUNTIME_DIR"] = home.path  // no PipeWire here: the ALSA device is the mic's only way out
        let pipe = uniquePipe("alsamic")
        defer { removePipe(pipe) }
        let run = try TestProcess(
            Programs.directpipe,
            ["run", "--backend", "clock", "--mic-to", "alsa:dp_loop", "--pipe", pipe, "--seconds", "10", "--json"],
            environment: environment)
        #expect(run.finish() == 0, "\(run.errorOutput)")
        #expect(run.errorOutput.contains("virtual mic on ALSA 'dp_loop', its own clock"), "\(run.errorOutput)")
        let final = try #require(run.jsonLines.last { $0.string("event") == "final" })
        let drift = try #require(final.int("mic_drift_ppm"), "\(final)")
        print("virtual mic on ALSA: drift 1000 ppm estimated \(drift) ppm")
        #expect(abs(drift - 1000) < 400, "\(final)")
    }
}
