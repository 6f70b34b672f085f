import Foundation
import Testing

/// The fault campaign: 200 writers on one pipe, each SIGKILLed once a reader has seen it, the next one started at
/// once, while the C reader (checking every sample against the counter signal) and the OBS source in libobs
/// (obs-host, checking the same) read throughout. Every restart must be picked up, and no frame may be torn,
/// invented or out of place.
@Suite(.serialized) struct WriterFaultTests {
    @Test func twoHundredWritersKilledMidStreamCostNoTornOrInventedFrame() throws {
        let pipe = uniquePipe("faults")
        defer { removePipe(pipe) }
        let native = Programs.nativeDirectory
        var writer = try startSender(pipe, ["--signal", "counter"])
        let reader = try TestProcess(Programs.readerCheck, ["--pipe", pipe, "--seconds", "3600", "--verify-counter"])
        let display = try XvfbDisplay()
        var environment = ProcessInfo.processInfo.environment
        environment["DISPLAY"] = display.name
        let obs = try TestProcess(
            native.appendingPathComponent("obs-host"),
            [
                "--plugin", native.appendingPathComponent("obs/directpipe-obs.so").path, "--data", native.appendingPathComponent("obs/data").path,
                "--pipe", pipe, "--seconds", "3600",
            ], environment: environment)
        #expect(reader.waitForLine(timeout: 20) { $0.string("state") == "connected" } != nil, "\(reader.errorOutput)")
        #expect(obs.waitForLine(timeout: 30) { ($0.string("status") ?? "").hasPrefix("Connected") } != nil, "\(obs.output)")

        var generation = try #require(reader.jsonLines.last { $0.string("event") == "state" }?.int("generation"))
        for restart in 1...200 {
            writer.signal(SIGKILL)
            writer.finish()
            // The next writer reuses the object (a new generation); the C reader must pick it up before it goes.
            writer = try startSender(pipe, ["--signal", "counter"])
            generation += 1
            let expected = generation
            guard reader.waitForLine(timeout: 20, { $0.string("state") == "connected" && $0.int("generation") == expected }) != nil else {
                Issue.record("restart \(restart): the C reader never reached writer generation \(expected): \(reader.output.suffix(1500))")
                break
            }
        }
        usleep(300_000)  // the last writer's frames reach both readers
        for process in [reader, obs] { process.signal(SIGTERM) }
        #expect(reader.finish() == 0 && obs.finish() == 0, "\(reader.errorOutput)\(obs.errorOutput.suffix(2000))")
        writer.signal(SIGTERM)
        writer.finish()

        let c = try #require(reader.jsonLines.last { $0.string("event") == "final" }, "\(reader.output)")
        print("fault campaign, C reader: \(c)")
        #expect(c.int("counter_errors") == 0 && c.int("unreported_gaps") == 0, "no torn, invented or misplaced frame: \(c)")
        #expect(c.int("generation") == generation, "ended on the last writer: \(c)")
        #expect(c.string("state") == "connected", "\(c)")
        let heard = try #require(obs.jsonLines.last { $0.string("event") == "final" }, "\(obs.output)")
        print("fault campaign, OBS source: \(heard)")
        // A restart skips what the killed writer published and nobody read (the reader resyncs at the new writer,
        // rule 2), so OBS sees jumps in position; every frame it gets is still the counter for its position.
        #expect((heard.int("frames") ?? 0) > 0 && heard.int("counter_errors") == 0, "\(heard)")
        #expect(heard.int("leaks") == 0, "\(heard)")
        #expect(
            obs.jsonLines.last { $0.string("event") == "status" }?.string("status")?.hasPrefix("Connected") == true,
            "the OBS source is on the last writer: \(obs.output.suffix(500))")
    }
}
