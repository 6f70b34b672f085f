import Foundation
import Testing

/// A private jackd with the dummy driver, started and stopped by the test (by PID).
final class JackServer: @unchecked Sendable {
    let name: String
    let period: Int
    let realtime: Bool
    private var process: TestProcess?

    /// `realtime`: SCHED_FIFO where allowed (as root), for a test that takes the dummy driver's clock for true time:
    /// without it, a stalled jackd loses cycles and its clock with them.
    init(_ label: String, period: Int = 128, realtime: Bool = false) throws {
        name = "dp-\(getpid())-\(label)"
        self.period = period
        self.realtime = realtime && getuid() == 0
        try start()
    }

    func start() throws {
        process = try TestProcess(
            URL(fileURLWithPath: "/usr/bin/jackd"),
            ["-n", name, realtime ? "--realtime" : "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "\(period)"])
        let wait = try TestProcess(URL(fileURLWithPath: "/usr/bin/jack_wait"), ["-s", name, "-w", "-t", "10"])
        wait.finish()
    }

    /// The cycles jackd reported late so far (a client not finished in time, the driver woken late), from what
    /// it prints: an ALSA device on this server (ALSA's jack plugin) loses those cycles, which its user cannot see.
    var reportedXruns: Int {
        guard let process else { return 0 }
        return (process.output + process.errorOutput).components(separatedBy: "XRun").count - 1
    }

    func stop() {
        process?.signal(SIGTERM)
        process?.finish()
        process = nil
    }

    /// Also removes the semaphores of clients that were still connected when the server was stopped under them
    /// (libjack leaves `jack_sem.UID_SERVER_CLIENT` in /dev/shm then).
    deinit {
        stop()
        let shm = "/dev/shm", prefix = "jack_sem.\(getuid())_\(name)_"
        for file in (try? FileManager.default.contentsOfDirectory(atPath: shm)) ?? [] where file.hasPrefix(prefix) {
            try? FileManager.default.removeItem(atPath: shm + "/" + file)
        }
    }
}

/// The JACK backend against a real jackd: jack-ramp feeds DirectPipe's inputs and checks its virtual-mic ports,
/// the C reader checks the pipe; every sample must continue the ramp.
@Suite(.serialized) struct JackBackendTests {
    private func run(_ server: JackServer, _ pipe: String, seconds: Double, environment: [String: String]? = nil) throws -> TestProcess {
        try TestProcess(
            Programs.directpipe,
            [
                "run", "--backend", "jack", "--jack-server", server.name, "--input", "none", "--pipe", pipe,
                "--seconds", "\(seconds)", "--json",
            ],
            environment: environment)
    }

    /// jack-ramp's final report. Its "xruns" is the larger of what its xrun callback heard and what jackd printed
    /// meanwhile: a client can miss the notification of a late cycle (it comes asynchronously, and not for a
    /// cycle before the callback was set), jackd's own log does not.
    private func ramp(_ server: JackServer, seconds: Double) throws -> [String: Any] {
        let printedBefore = server.reportedXruns
        let ramp = try TestProcess(
            Programs.nativeDirectory.appendingPathComponent("jack-ramp"),
            [
                "--server", server.name, "--feed", "directpipe:in_1,directpipe:in_2",
                "--check", "directpipe:mic_out_1,directpipe:mic_out_2", "--seconds", "\(seconds)",
            ])
        ramp.finish()
        var report = try #require(ramp.jsonLines.last, "\(ramp.output)\(ramp.errorOutput)")
        let printed = server.reportedXruns - printedBefore
        if printed > (report.int("xruns") ?? 0) {
            print("jackd printed \(printed) xruns during the check, jack-ramp heard \(report.int("xruns") ?? 0)")
            report["xruns"] = printed
        }
        return report
    }

    private func waitForPort(_ server: JackServer, _ port: String) throws {
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            let list = try TestProcess(URL(fileURLWithPath: "/usr/bin/jack_lsp"), ["-s", server.name])
            list.finish()
            if list.output.contains(port) { return }
            usleep(100_000)
        }
        Issue.record("\(port) never appeared")
    }

    @Test func inputReachesTheVirtualMicPortsAndThePipeExactlyInTheSameCycle() throws {
        let server = try JackServer("ramp")
        let pipe = uniquePipe("jack")
        defer { removePipe(pipe) }
        // Long enough to outlast a slow start (jackd and jack_lsp take seconds on a busy machine); stopped after the checks.
        let directpipe = try run(server, pipe, seconds: 20)
        try waitForPort(server, "directpipe:mic_out_2")
        let pipeReader = try TestProcess(Programs.readerCheck, ["--pipe", pipe, "--seconds", "3", "--verify-ramp"])
        let ports = try ramp(server, seconds: 3)
        let piped = try #require(
            {
                pipeReader.finish(); return pipeReader.jsonLines.last { $0.string("event") == "final" }
            }())
        directpipe.signal(SIGTERM)
        #expect(directpipe.finish() == 0, "\(directpipe.errorOutput)")

        #expect((ports.int("checked_frames") ?? 0) > 48000 * 2, "\(ports)")
        expectRampExplained(ports, skippedCycles: ports.int("xruns") ?? 0)
        #expect(ports.int("connect_errors") == 0)
        // 0 frames: the input reaches mic_out in the same JACK cycle, no extra period. A cycle JACK reported late
        // (counted, not timed) may show one frame a period late; without one, none may.
        let xruns = ports.int("xruns") ?? 0
        #expect(ports.int("latency_min") == 0 && (xruns > 0 || ports.int("latency_max") == 0), "\(ports)")
        print("JACK: in -> mic_out latency \(ports.int("latency_max") ?? -1) frames over \(ports.int("checked_frames") ?? 0) frames")
        #expect((piped.int("ramp_frames") ?? 0) > 48000 * 2, "\(piped)")
        // The same xruns (if any) break the ramp on its way to the pipe too.
        #expect((piped.int("ramp_errors") ?? .max) <= (ports.int("xruns") ?? 0) * 2, "\(piped)")
        #expect(piped.int("unreported_gaps") == 0, "\(piped)")
    }

    @Test func aJackServerRestartIsSurvived() throws {
        let server = try JackServer("restart")
        let pipe = uniquePipe("jackrestart")
        defer { removePipe(pipe) }
        let directpipe = try run(server, pipe, seconds: 12)
        try waitForPort(server, "directpipe:mic_out_2")
        server.stop()
        #expect(directpipe.waitForLine { $0["backend_connected"] as? Bool == false } != nil, "\(directpipe.output)")
        try server.start()
        #expect(directpipe.waitForLine { ($0.int("backend_reconnects") ?? 0) >= 1 } != nil, "\(directpipe.errorOutput)")
        try waitForPort(server, "directpipe:mic_out_2")
        let ports = try ramp(server, seconds: 1.5)
        #expect((ports.int("checked_frames") ?? 0) > 48000, "\(ports)")
        expectRampExplained(ports, skippedCycles: ports.int("xruns") ?? 0)
        directpipe.signal(SIGTERM)
        #expect(directpipe.finish() == 0)
        #expect(directpipe.errorOutput.contains("the JACK server went away"))
        #expect(directpipe.errorOutput.contains("JACK server is back; reconnected"))
        #expect(!directpipe.errorOutput.contains("Cannot connect to server"), "libjack's noise stays out of the way")
    }

    @Test func theJackAudioThreadAllocatesNothing() throws {
        let server = try JackServer("alloc", period: 32)
        let pipe = uniquePipe("jackalloc")
        defer { removePipe(pipe) }
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = Programs.nativeDirectory.appendingPathComponent("libdirectpipe-alloc-counter.so").path
        // 48 kHz in 32-frame periods: 1,500 callbacks a second, with the ramp flowing through, until 10,000.
        let directpipe = try run(server, pipe, seconds: 300, environment: environment)
        try waitForPort(server, "directpipe:mic_out_2")
        _ = try ramp(server, seconds: 7.5)
        #expect(directpipe.stop(afterCallbacks: 10_000), "\(directpipe.output.suffix(500))")
        #expect(directpipe.finish() == 0, "\(directpipe.errorOutput)")
        let final = try #require(directpipe.jsonLines.last { $0.string("event") == "final" })
        print("JACK audio thread: \(final.int("audio_thread_allocations") ?? -1) allocations over \(final.int("callbacks") ?? 0) callbacks")
        #expect((final.int("callbacks") ?? 0) >= 10_000)
        #expect(final.int("audio_thread_allocations") == 0, "\(final)")
    }
}
