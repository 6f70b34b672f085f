import Foundation
import Testing

/// `directpipe latency` against a running DirectPipe on a real jackd.
@Suite(.serialized) struct LatencyCommandTests {
    @Test func anImpulseReachesEveryOutputInTheSameCycle() throws {
        let server = try JackServer("latency")
        let pipe = uniquePipe("latency")
        defer { removePipe(pipe) }
        let directpipe = try TestProcess(
            Programs.directpipe,
            [
                "run", "--backend", "jack", "--jack-server", server.name, "--input", "none", "--monitor", "default", "--pipe", pipe,
                "--seconds", "8", "--quiet",
            ])
        let deadline = Date().addingTimeInterval(10)
        var report: [String: Any]?
        while report == nil, Date() < deadline {  // until DirectPipe's ports exist
            let latency = try TestProcess(Programs.directpipe, ["latency", "--jack-server", server.name, "--pipe", pipe, "--json"])
            if latency.finish() == 0 { report = latency.jsonLines.last } else { usleep(200_000) }
        }
        let measured = try #require(report)
        print("latency: \(measured)")
        #expect(measured.int("mic_frames") == 0, "input to mic_out in the same cycle: \(measured)")
        #expect(measured.int("monitor_frames") == 0, "\(measured)")
        #expect(measured["pipe_readable_ms"] is NSNumber, "the impulse reached the pipe: \(measured)")
        directpipe.signal(SIGTERM)
        #expect(directpipe.finish() == 0)
    }

    /// No graph to probe on the clock (nor with a file or ALSA): the engine puts the impulse at its input, and the
    /// command finds it in the pipe among the tone the clock plays.
    @Test(arguments: ["tone:440", "silence"])
    func onTheClockTheEngineItselfPutsTheImpulse(input: String) throws {
        let pipe = uniquePipe("enginelatency")
        defer { removePipe(pipe) }
        let directpipe = try TestProcess(
            Programs.directpipe, ["run", "--backend", "clock", "--input", input, "--pipe", pipe, "--seconds", "8", "--json"])
        let deadline = Date().addingTimeInterval(10)
        var latency: TestProcess
        repeat {  // until the pipe exists
            latency = try TestProcess(Programs.directpipe, ["latency", "--backend", "clock", "--pipe", pipe, "--json"])
            if latency.finish() == 0 { break }
            usleep(200_000)
        } while Date() < deadline
        let measured = try #require(latency.jsonLines.last, "\(latency.errorOutput)")
        print("latency on the clock (\(input)): \(measured)")
        #expect(measured.string("backend") == "engine" && measured.int("period_frames") == 128, "\(measured)")
        #expect(measured.int("writer_pid") == Int(directpipe.pid))
        let readable = try #require((measured["pipe_readable_ms"] as? NSNumber)?.doubleValue, "\(measured)")
        // Causality, not timing: the impulse cannot be readable before the period that captured it is complete.
        #expect(readable >= 128_000.0 / 48000, "\(measured)")
        // The request did not disturb the engine: it ran on, and stops cleanly.
        directpipe.signal(SIGTERM)
        #expect(directpipe.finish() == 0, "\(directpipe.errorOutput)")
        #expect(directpipe.jsonLines.last?.string("event") == "final")
    }

    /// Only `directpipe run` answers the request: any other writer is left alone (the signal would kill it).
    @Test func aWriterThatIsNotTheEngineIsNamedAndLeftAlone() throws {
        let pipe = uniquePipe("sendlatency")
        defer { removePipe(pipe) }
        let sender = try startSender(pipe, ["--seconds", "5"])
        let latency = try TestProcess(Programs.directpipe, ["latency", "--backend", "clock", "--pipe", pipe])
        #expect(latency.finish() != 0)
        #expect(
            latency.errorOutput.contains("(pid \(sender.pid)) is ") && latency.errorOutput.contains("not 'directpipe run'"),
            "\(latency.errorOutput)")
        #expect(sender.process.isRunning, "the sender lives on")
        sender.signal(SIGTERM)
        sender.finish()
    }

    @Test func withoutDirectPipeItSaysSoInOneLine() throws {
        let latency = try TestProcess(Programs.directpipe, ["latency", "--pipe", uniquePipe("nolatency")])
        #expect(latency.finish() != 0)
        #expect(latency.errorOutput.split(separator: "\n").count == 1 && latency.errorOutput.contains("no such pipe"), "\(latency.errorOutput)")
    }
}
