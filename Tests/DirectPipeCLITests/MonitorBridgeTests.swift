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
        let server = try JackServer("drift\(ppm < 0 ? "m" : "p")", realtime: true)
        let home = try alsaHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let pipe = uniquePipe("drift")
        defer { removePipe(pipe) }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["JACK_DEFAULT_SERVER"] = server.name
        environment["DIRECTPIPE_CLOCK_DRIFT_PPM"] = "\(ppm)"
        environment["LD_PRELOAD"] = Programs.nativeDirectory.appendingPathComponent("libdirectpipe-alloc-counter.so").path
        let (lines, stretch) = try runUntilQuiet(disturbances: Self.disturbances) {
            try bridgeRun(
                ["--backend", "clock", "--monitor", "dp_monitor", "--pipe", pipe, "--seconds", "45"], environment: environment,
                server: server, disturbances: $0, says: "monitor on ALSA 'dp_monitor', its own clock")
        }
        let final = try #require(lines.last { $0.string("event") == "final" })
        let drift = stretch.last.int("monitor_drift_ppm") ?? 0
        print("monitor bridge: drift \(ppm) ppm estimated \(drift) ppm, latency \(final.int("monitor_latency_frames") ?? -1) frames")
        #expect(abs(drift - ppm) < 400, "\(stretch.last)")
        expectNoTroubleOfItsOwn(in: stretch)
        // Bounded: the fill never strays beyond the bridge's own latency.
        let latency = try #require(final.int("monitor_latency_frames"))
        for line in stretch.lines { #expect((line.int("monitor_fill_frames") ?? .max) <= latency, "\(line)") }
        #expect(final.int("monitor_thread_allocations") == 0, "\(final)")
    }

    /// Across backends: the engine in JACK's graph, the monitor on an ALSA device (`alsa:PCM`).
    @Test func aJackEngineMonitorsOnAnAlsaDevice() throws {
        // Two clients on one dummy jackd: at 128 frames this VM made it report late cycles every second or so.
        let server = try JackServer("crossmonitor", period: 256, realtime: true)
        let home = try alsaHome()
        defer { try? FileManager.default.removeItem(at: home) }
        let pipe = uniquePipe("cross")
        defer { removePipe(pipe) }
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["JACK_DEFAULT_SERVER"] = server.name
        let (_, stretch) = try runUntilQuiet(disturbances: Self.disturbances) {
            try bridgeRun(
                [
                    "--backend", "jack", "--jack-server", server.name, "--input", "none", "--monitor", "alsa:dp_monitor",
                    "--pipe", pipe, "--seconds", "45",
                ], environment: environment, server: server, disturbances: $0)
        }
        // One true clock on both sides here: nothing to correct, and nothing lost.
        #expect(abs(stretch.last.int("monitor_drift_ppm") ?? .max) < 400, "\(stretch.last)")
        expectNoTroubleOfItsOwn(in: stretch)
    }

    /// What disturbs a monitor bridge from outside: the engine late (an xrun, a burst the bridge cannot
    /// smooth) or the device run out of data (the bridge's thread held off the CPU).
    private static let disturbances = ["overruns", "graph_xruns", "monitor_device_underruns", jackdXruns]

    /// With nothing outside disturbing it, the bridge never ran dry and never had to cut the ring back.
    private func expectNoTroubleOfItsOwn(in stretch: QuietStretch) {
        for key in ["monitor_underflows", "monitor_resyncs"] {
            #expect(stretch.added(key) == 0, "\(key): \(stretch.first) -> \(stretch.last)")
        }
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
        let server = try JackServer("alsamic", realtime: true)
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
        let (_, stretch) = try runUntilQuiet(disturbances: ["overruns", "graph_xruns", jackdXruns]) {
            try bridgeRun(
                ["--backend", "clock", "--mic-to", "alsa:dp_loop", "--pipe", pipe, "--seconds", "45"], environment: environment,
                server: server, disturbances: $0, says: "virtual mic on ALSA 'dp_loop', its own clock")
        }
        let drift = try #require(stretch.last.int("mic_drift_ppm"), "\(stretch.last)")
        print("virtual mic on ALSA: drift 1000 ppm estimated \(drift) ppm")
        #expect(abs(drift - 1000) < 400, "\(stretch.last)")
        #expect(stretch.added("mic_underflows") == 0, "\(stretch.first) -> \(stretch.last)")
    }
}

/// One `directpipe run … --json` of a bridge test, until its status lines hold a ``QuietStretch`` (or for at most
/// `--seconds`, which `arguments` must give): its JSON lines, once it stopped and said `says`.
/// The bridge's device is ALSA's jack plugin on `server`, a client of that dummy jackd: when jackd finds it late
/// it drops the client's cycle, and the device's clock stutters in a way the bridge cannot count. So each status
/// line gets jackd's count of late cycles as the line came out, under ``jackdXruns``.
private func bridgeRun(
    _ arguments: [String], environment: [String: String], server: JackServer, disturbances: [String],
    says: String? = nil
) throws -> [[String: Any]] {
    let run = try TestProcess(Programs.directpipe, ["run"] + arguments + ["--json"], environment: environment)
    var serverXruns: [Int] = []  // jackd's count when status line N was first seen
    func annotated() -> [[String: Any]] {
        var statuses = 0
        return run.jsonLines.map { line in
            guard isStatus(line) else { return line }
            defer { statuses += 1 }
            var line = line
            line[jackdXruns] = statuses < serverXruns.count ? serverXruns[statuses] : server.reportedXruns
            return line
        }
    }
    var stopped = false
    while run.process.isRunning {
        let seen = run.jsonLines.filter(isStatus).count
        while serverXruns.count < seen { serverXruns.append(server.reportedXruns) }
        if !stopped, QuietStretch.find(in: annotated(), disturbances: disturbances) != nil {
            run.signal(SIGTERM)  // judged; a quiet machine ends the run here, 20 s in
            stopped = true
        }
        usleep(20_000)
    }
    #expect(run.finish() == 0, "\(run.errorOutput)")
    if let says { #expect(run.errorOutput.contains(says), "\(run.errorOutput)") }
    return annotated()
}

/// The key under which ``bridgeRun(_:environment:server:disturbances:says:)`` adds jackd's count of late cycles.
private let jackdXruns = "test_jackd_xruns"

private func isStatus(_ line: [String: Any]) -> Bool { ["status", "final"].contains(line.string("event")) }

/// A stretch of a run's status lines (one a second) in which nothing outside a drift-following bridge disturbed
/// it, long enough to judge the bridge by. This VM stalls now and then for several milliseconds (cyclictest
/// at SCHED_FIFO saw up to 5 ms); after such a stall a bridge rightly takes seconds to settle again, which says
/// nothing about the bridge. Its estimate and its own troubles are judged at the end of a quiet stretch instead.
struct QuietStretch {
    let lines: [[String: Any]]
    var first: [String: Any] { lines[0] }
    var last: [String: Any] { lines[lines.count - 1] }

    /// How much a counter grew across the stretch.
    func added(_ key: String) -> Int { (last.int(key) ?? 0) - (first.int(key) ?? 0) }

    /// The last `seconds` + 1 lines in a row, after the first `settle` seconds, across which no `disturbances`
    /// counter grew. The bridge's loop (``DriftController``) settles in about ten seconds, from its start and
    /// after a disturbance alike (a skipped cycle of 128 frames moves its estimate by 2,700 ppm, still 300 ppm
    /// five seconds on; at the start its fill overshoots while the estimate climbs): so the stretch begins ten
    /// seconds in and lasts ten seconds.
    static func find(in lines: [[String: Any]], disturbances: [String], settle: Int = 10, seconds: Int = 10) -> QuietStretch? {
        let statuses = lines.filter(isStatus)
        guard statuses.count > settle + seconds else { return nil }
        for end in stride(from: statuses.count - 1, through: settle + seconds, by: -1) {
            let stretch = QuietStretch(lines: Array(statuses[(end - seconds)...end]))
            if disturbances.allSatisfy({ stretch.added($0) == 0 }) { return stretch }
        }
        return nil
    }
}

/// Runs a bridge's test run until one had a quiet stretch (each run stops at its first; at most two runs, a
/// disturbed one named). A bridge that is itself the trouble makes no quiet stretch however long it runs, and
/// fails here.
func runUntilQuiet(disturbances: [String], _ run: ([String]) throws -> [[String: Any]]) throws -> ([[String: Any]], QuietStretch) {
    var lines: [[String: Any]] = []
    for attempt in 1...2 {
        lines = try run(disturbances)
        if let stretch = QuietStretch.find(in: lines, disturbances: disturbances) { return (lines, stretch) }
        print("bridge test: run \(attempt) disturbed every few seconds (\(disturbances.joined(separator: ", "))); running again")
    }
    let counts = lines.map { line in disturbances.map { line.int($0) ?? 0 } }
    Issue.record("no quiet stretch of 10 s in two runs; \(disturbances) each second of the last: \(counts)")
    throw QuietStretchMissing()
}

struct QuietStretchMissing: Error {}
