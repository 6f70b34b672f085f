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
            ["run", "--backend", "jack", "--jack-server", server.name, "--input", "none", "--monitor", "", "--pipe", pipe,
             "--seconds", "8", "--quiet"])
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

    @Test func withoutDirectPipeItSaysSoInOneLine() throws {
        let latency = try TestProcess(Programs.directpipe, ["latency", "--pipe", uniquePipe("nolatency")])
        #expect(latency.finish() != 0)
        #expect(latency.errorOutput.split(separator: "\n").count == 1 && latency.errorOutput.contains("no such pipe"), "\(latency.errorOutput)")
    }
}
