import Foundation
import Testing

/// The PipeWire backend in a private PipeWire graph (with WirePlumber, and without any session
/// manager): pw-ramp plays a ramp as an Audio/Source node, DirectPipe links itself to it, the
/// C reader checks the pipe and pw-ramp's checker node the monitor ports.
@Suite(.serialized) struct PipeWireBackendTests {
    private var pwRamp: URL { Programs.nativeDirectory.appendingPathComponent("pw-ramp") }

    private func run(_ session: PipeWireSession, _ pipe: String, _ arguments: [String], seconds: Double) throws -> TestProcess {
        try session.start(
            Programs.directpipe,
            ["run", "--backend", "pipewire", "--pipe", pipe, "--seconds", "\(seconds)", "--json"] + arguments)
    }

    private func source(_ session: PipeWireSession, _ arguments: [String] = []) throws -> TestProcess {
        let source = try session.start(pwRamp, ["--name", "dp_test_source"] + arguments)
        try session.wait("the test source") { try session.nodeProperties("dp_test_source") != nil }
        return source
    }

    private func waitForLink(_ session: PipeWireSession, _ link: String) throws {
        try session.wait("the link \(link)") { try session.links().contains(link) }
    }

    /// Ramp errors a pipe read may show through no fault of DirectPipe: one per channel for each graph cycle
    /// skipped (an xrun), as DirectPipe counted them (its final status) and as the test source saw them.
    /// Call after both have stopped.
    private func allowedRampErrors(_ directpipe: TestProcess, _ ramp: TestProcess) -> Int {
        let final = directpipe.jsonLines.last { $0.string("event") == "final" }
        return ((final?.int("overruns") ?? 0) + (final?.int("graph_xruns") ?? 0) + (ramp.jsonLines.last?.int("xruns") ?? 0)) * 2
    }

    private func readPipe(_ pipe: String, seconds: Double) throws -> [String: Any] {
        let reader = try TestProcess(Programs.readerCheck, ["--pipe", pipe, "--seconds", "\(seconds)", "--verify-ramp"])
        reader.finish()
        return try #require(reader.jsonLines.last { $0.string("event") == "final" }, "\(reader.output)")
    }

    @Test(arguments: [true, false])
    func theSourceReachesThePipeAndTheMonitorInTheSameCycle(sessionManager: Bool) throws {
        let session = try PipeWireSession("ramp-\(sessionManager)", sessionManager: sessionManager)
        let pipe = uniquePipe("pw")
        defer { removePipe(pipe) }
        // One process plays the ramp and checks what comes back on DirectPipe's monitor ports.
        let ramp = try source(session, ["--check", "", "--seconds", "5"])
        let directpipe = try run(session, pipe, ["--input", "dp_test_source", "--monitor", "dp_test_check"], seconds: 6)
        try waitForLink(session, "dp_test_source:capture_FR -> directpipe:input_FR")
        try waitForLink(session, "directpipe:monitor_FR -> dp_test_check:input_FR")
        // The virtual mic's links too: the graph is re-sorted (and may skip a cycle) only before the check.
        try waitForLink(session, "directpipe:mic_FR -> directpipe_mic:input_FR")

        let piped = try readPipe(pipe, seconds: 3)
        #expect(ramp.finish() == 0)
        let monitor = try #require(ramp.jsonLines.last, "\(ramp.errorOutput)")
        #expect(directpipe.finish() == 0, "\(directpipe.errorOutput)")

        // A cycle the graph skipped (an xrun, seen by the test nodes or by DirectPipe's) may break
        // the ramp once per channel through no fault of DirectPipe; anything more is a fault.
        let final = try #require(directpipe.jsonLines.last { $0.string("event") == "final" })
        let xruns = (monitor.int("xruns") ?? 0) + (final.int("overruns") ?? 0) + (final.int("graph_xruns") ?? 0)
        if xruns > 0 { print("PipeWire: \(xruns) skipped graph cycles during the check") }
        #expect((piped.int("ramp_frames") ?? 0) > 48000 * 2, "\(piped)")
        #expect((piped.int("ramp_errors") ?? .max) <= xruns * 2, "\(piped), xruns \(xruns)")
        #expect(piped.int("unreported_gaps") == 0, "\(piped)")
        #expect((monitor.int("checked_frames") ?? 0) > 48000 * 2, "\(monitor)")
        expectRampExplained(monitor, skippedCycles: xruns)
        // 0 frames: source -> DirectPipe -> monitor ports within one graph cycle, no extra quantum.
        #expect(monitor.int("latency_min") == 0, "\(monitor)")
        #expect(xruns > 0 || monitor.int("latency_max") == 0, "\(monitor)")
        print("PipeWire (session manager: \(sessionManager)): source -> monitor latency \(monitor.int("latency_max") ?? -1) frames")
        // While the source played (it stops first), the status said so.
        let status = try #require(directpipe.jsonLines.first { $0.string("event") == "status" })
        #expect(status.string("backend") == "pipewire")
        #expect(status["backend_connected"] as? Bool == true, "\(status)")
    }

    @Test func latencyIsMeasuredWithAnImpulseThroughTheGraph() throws {
        let session = try PipeWireSession("latency")
        let pipe = uniquePipe("pwlatency")
        defer { removePipe(pipe) }
        let ramp = try source(session, ["--check", ""])
        let directpipe = try run(session, pipe, ["--input", "dp_test_source", "--monitor", "dp_test_check"], seconds: 6)
        try waitForLink(session, "directpipe:monitor_FL -> dp_test_check:input_FL")
        try waitForLink(session, "directpipe:mic_FL -> directpipe_mic:input_FL")
        let latency = try session.start(Programs.directpipe, ["latency", "--pipe", pipe, "--json"])
        #expect(latency.finish() == 0, "\(latency.errorOutput)")
        let report = try #require(latency.jsonLines.first, "\(latency.output)")
        #expect(report.string("backend") == "pipewire")
        // Source -> monitor and -> virtual mic in the same graph cycle (the source, like a sound card, comes
        // with a driver); the pipe readable soon after the cycle's start.
        #expect(report.int("monitor_frames") == 0, "\(report)")
        let mic = try #require(report.int("mic_frames"), "the impulse reached the virtual mic: \(report)")
        #expect(mic == 0, "\(report)")
        let readable = try #require(report["pipe_readable_ms"] as? Double, "\(report)")
        print("PipeWire: impulse to monitor_FL 0 frames, to the virtual mic \(mic) frames, pipe readable after \(readable) ms")
        #expect(readable > 0)
        directpipe.signal(SIGTERM)
        #expect(directpipe.finish() == 0)
        ramp.signal(SIGTERM)
        ramp.finish()
    }

    /// The JACK backend on PipeWire's JACK layer (pw-jack): jack-ramp feeds and checks it as on jackd.
    @Test func theJackBackendRunsOnPipeWiresJackLayer() throws {
        let session = try PipeWireSession("pwjack")
        let pipe = uniquePipe("pwjack")
        defer { removePipe(pipe) }
        let pwJack = URL(fileURLWithPath: "/usr/bin/pw-jack")
        let jackRamp = Programs.nativeDirectory.appendingPathComponent("jack-ramp").path  // built before the clock runs
        let directpipe = try session.start(
            pwJack, [Programs.directpipe.path, "run", "--backend", "jack", "--input", "none", "--pipe", pipe, "--seconds", "5", "--json"])
        try session.wait("DirectPipe's JACK ports") { try session.tool("pw-link", ["--output"]).contains("directpipe:mic_out_2") }
        let ramp = try session.start(
            pwJack,
            [
                jackRamp, "--feed", "directpipe:in_1,directpipe:in_2",
                "--check", "directpipe:mic_out_1,directpipe:mic_out_2", "--seconds", "2",
            ])
        ramp.finish()
        let ports = try #require(ramp.jsonLines.last, "\(ramp.output)\(ramp.errorOutput)")
        #expect(directpipe.finish() == 0, "\(directpipe.errorOutput)")
        #expect((ports.int("checked_frames") ?? 0) > 48000, "\(ports)")
        expectRampExplained(ports, skippedCycles: ports.int("xruns") ?? 0)
        #expect(ports.int("latency_max") == 0, "in -> mic_out in the same cycle: \(ports)")
        let final = try #require(directpipe.jsonLines.last { $0.string("event") == "final" })
        #expect(final.string("backend") == "jack" && final["backend_connected"] as? Bool == true, "\(final)")
    }

    @Test func theNodeShowsUsersWhatItIs() throws {
        let session = try PipeWireSession("props")
        let pipe = uniquePipe("pwprops")
        defer { removePipe(pipe) }
        let directpipe = try run(session, pipe, ["--input", "none", "--period", "64"], seconds: 4)
        try session.wait("DirectPipe's node") { try session.nodeProperties("directpipe") != nil }
        let props = try #require(try session.nodeProperties("directpipe"))
        // What pavucontrol and wpctl show: the name, the class, the application, the quantum asked for.
        #expect(props["node.description"] as? String == "DirectPipe")
        #expect(props["media.class"] as? String == "Stream/Input/Audio")
        #expect(props["application.name"] as? String == "DirectPipe")
        #expect(props["node.latency"] as? String == "64/48000")
        #expect(
            (props["audio.channels"] as? NSNumber)?.intValue == 2 && (props["audio.rate"] as? NSNumber)?.intValue == 48000,
            "\(props)")
        let ports = try session.tool("pw-link", ["--input"])
        #expect(ports.contains("directpipe:input_FL") && ports.contains("directpipe:input_FR"), "\(ports)")
        let outputs = try session.tool("pw-link", ["--output"])
        #expect(outputs.contains("directpipe:monitor_FL") && outputs.contains("directpipe:monitor_FR"), "\(outputs)")
        directpipe.signal(SIGTERM)
        #expect(directpipe.finish() == 0)
        // Gone with the process: nothing left behind.
        try session.wait("DirectPipe's node to go") { try session.nodeProperties("directpipe") == nil }
    }

    @Test func withoutInputTheDefaultSourceIsCaptured() throws {
        let session = try PipeWireSession("default")
        let pipe = uniquePipe("pwdefault")
        defer { removePipe(pipe) }
        let ramp = try source(session)
        // WirePlumber makes the only source the default; DirectPipe follows the "default" metadata.
        try session.wait("WirePlumber to choose a default source") {
            try session.tool("pw-metadata", ["0", "default.audio.source"]).contains("dp_test_source")
        }
        let directpipe = try run(session, pipe, [], seconds: 4)
        try waitForLink(session, "dp_test_source:capture_FL -> directpipe:input_FL")
        let piped = try readPipe(pipe, seconds: 1)
        #expect(directpipe.finish() == 0, "\(directpipe.errorOutput)")
        ramp.signal(SIGTERM)
        ramp.finish()
        #expect((piped.int("ramp_frames") ?? 0) > 24000, "\(piped)")
        #expect((piped.int("ramp_errors") ?? .max) <= allowedRampErrors(directpipe, ramp), "\(piped)")
    }

    @Test func aSourceThatLeavesAndComesBackIsCapturedAgain() throws {
        let session = try PipeWireSession("replug")
        let pipe = uniquePipe("pwreplug")
        defer { removePipe(pipe) }
        var ramp = try source(session)
        let directpipe = try run(session, pipe, ["--input", "dp_test_source"], seconds: 12)
        try waitForLink(session, "dp_test_source:capture_FR -> directpipe:input_FR")
        #expect(directpipe.waitForLine { $0["backend_connected"] as? Bool == true } != nil, "\(directpipe.output)")

        ramp.signal(SIGTERM)  // the microphone is unplugged
        ramp.finish()
        #expect(directpipe.waitForLine { $0["backend_connected"] as? Bool == false } != nil, "\(directpipe.output)")
        ramp = try source(session)  // and plugged in again
        try waitForLink(session, "dp_test_source:capture_FR -> directpipe:input_FR")
        usleep(200_000)  // the graph re-sorts after new links and may skip a cycle meanwhile
        let piped = try readPipe(pipe, seconds: 1.5)

        directpipe.signal(SIGTERM)
        #expect(directpipe.finish() == 0)
        ramp.signal(SIGTERM)
        ramp.finish()
        #expect((piped.int("ramp_frames") ?? 0) > 48000, "\(piped)")
        #expect((piped.int("ramp_errors") ?? .max) <= allowedRampErrors(directpipe, ramp), "\(piped)")
        #expect(directpipe.errorOutput.contains("dp_test_source is not there; waiting for it"), "\(directpipe.errorOutput)")
        #expect(directpipe.errorOutput.contains("capturing from dp_test_source"), "\(directpipe.errorOutput)")
    }

    @Test func aDaemonRestartIsSurvived() throws {
        let session = try PipeWireSession("restart")
        let pipe = uniquePipe("pwrestart")
        defer { removePipe(pipe) }
        var ramp = try source(session)
        let directpipe = try run(session, pipe, ["--input", "dp_test_source"], seconds: 15)
        try waitForLink(session, "dp_test_source:capture_FR -> directpipe:input_FR")
        session.stopDaemon()
        ramp.signal(SIGTERM)
        ramp.finish()
        #expect(directpipe.waitForLine { $0["backend_connected"] as? Bool == false } != nil, "\(directpipe.output)")
        try session.startDaemon()
        ramp = try source(session)
        #expect(directpipe.waitForLine { ($0.int("backend_reconnects") ?? 0) >= 1 } != nil, "\(directpipe.errorOutput)")
        try waitForLink(session, "dp_test_source:capture_FR -> directpipe:input_FR")
        // The virtual mic comes back too; once it is linked the graph stops re-sorting (which may skip a cycle).
        try waitForLink(session, "directpipe:mic_FR -> directpipe_mic:input_FR")
        usleep(200_000)
        let piped = try readPipe(pipe, seconds: 1.5)
        directpipe.signal(SIGTERM)
        #expect(directpipe.finish() == 0)
        ramp.signal(SIGTERM)
        ramp.finish()
        #expect((piped.int("ramp_frames") ?? 0) > 48000, "\(piped)")
        #expect((piped.int("ramp_errors") ?? .max) <= allowedRampErrors(directpipe, ramp), "\(piped)")
        #expect(directpipe.errorOutput.contains("lost the PipeWire daemon"), "\(directpipe.errorOutput)")
        #expect(directpipe.errorOutput.contains("PipeWire is back; reconnected"), "\(directpipe.errorOutput)")
    }

    @Test func aMissingSourceIsNamedWithTheOnesThereAre() throws {
        let session = try PipeWireSession("missing")
        let pipe = uniquePipe("pwmissing")
        defer { removePipe(pipe) }
        let ramp = try source(session)
        let directpipe = try run(session, pipe, ["--input", "no_such_mic"], seconds: 2)
        #expect(directpipe.finish() == 0, "the engine keeps running: \(directpipe.errorOutput)")
        ramp.signal(SIGTERM)
        ramp.finish()
        #expect(
            directpipe.errorOutput.contains("no_such_mic is not there; waiting for it (sources now: dp_test_source)"),
            "\(directpipe.errorOutput)")
        let final = try #require(directpipe.jsonLines.last { $0.string("event") == "final" })
        #expect(final["backend_connected"] as? Bool == false)
        // Still feeding the pipe (silence) at the graph's pace.
        #expect((final.int("callbacks") ?? 0) > 100, "\(final)")
    }

    @Test func thePipeWireDataThreadAllocatesNothing() throws {
        let session = try PipeWireSession("alloc")
        let pipe = uniquePipe("pwalloc")
        defer { removePipe(pipe) }
        var environment = session.environment
        environment["LD_PRELOAD"] = Programs.nativeDirectory.appendingPathComponent("libdirectpipe-alloc-counter.so").path
        let ramp = try source(session)
        // A 32-frame quantum: 1,500 cycles a second, with the ramp flowing through, until 10,000.
        let directpipe = try TestProcess(
            Programs.directpipe,
            [
                "run", "--backend", "pipewire", "--pipe", pipe, "--input", "dp_test_source", "--period", "32",
                "--seconds", "300", "--json",
            ],
            environment: environment)
        #expect(directpipe.stop(afterCallbacks: 10_000), "\(directpipe.output.suffix(500))")
        #expect(directpipe.finish() == 0, "\(directpipe.errorOutput)")
        ramp.signal(SIGTERM)
        ramp.finish()
        let final = try #require(directpipe.jsonLines.last { $0.string("event") == "final" })
        print("PipeWire data thread: \(final.int("audio_thread_allocations") ?? -1) allocations over \(final.int("callbacks") ?? 0) callbacks")
        #expect((final.int("callbacks") ?? 0) >= 10_000, "\(final)")
        #expect(final.int("audio_thread_allocations") == 0, "\(final)")
    }
}

@Suite struct PipeWireDevicesTests {
    @Test func devicesListsTheGraphsSources() throws {
        let session = try PipeWireSession("devices", sessionManager: false)
        let source = try session.start(Programs.nativeDirectory.appendingPathComponent("pw-ramp"), ["--name", "dp_test_source"])
        try session.wait("the test source") { try session.nodeProperties("dp_test_source") != nil }
        let list = try session.start(Programs.directpipe, ["devices", "--json"])
        #expect(list.finish() == 0, "\(list.errorOutput)")
        source.signal(SIGTERM)
        source.finish()
        let object = try #require(try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [String: Any])
        let pipewire = try #require(object["pipewire"] as? [String: Any], "\(list.output)")
        let capture = try #require(pipewire["capture"] as? [[String: Any]])
        #expect(
            capture.contains {
                $0.string("name") == "dp_test_source" && $0.string("description") == "DirectPipe test ramp, Audio/Source, 2 ch, 48000 Hz"
            },
            "\(capture)")
    }
}
