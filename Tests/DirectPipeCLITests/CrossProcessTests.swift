import Foundation
import Testing

/// Real processes on real shared memory: `directpipe send` writes the counter
/// signal; the C reader library (built with cc, as OBS will load it) and
/// `directpipe tap` read it and check every sample's position.
@Suite(.serialized) struct CrossProcessTests {
    private func send(_ pipe: String, _ extra: [String]) throws -> TestProcess {
        try startSender(pipe, ["--signal", "counter"] + extra)
    }

    private func cReader(_ pipe: String, seconds: Double, _ extra: [String] = []) throws -> TestProcess {
        try TestProcess(Programs.readerCheck, ["--pipe", pipe, "--seconds", "\(seconds)", "--verify-counter"] + extra)
    }

    private func swiftReader(_ pipe: String, seconds: Double, _ extra: [String] = []) throws -> TestProcess {
        try TestProcess(Programs.directpipe, ["tap", "--pipe", pipe, "--seconds", "\(seconds)", "--json", "--verify-counter", "--wait"] + extra)
    }

    private func final(_ reader: TestProcess) throws -> [String: Any] {
        #expect(reader.finish() == 0, "\(reader.errorOutput)")
        return try #require(reader.jsonLines.last { $0.string("event") == "final" }, "no summary: \(reader.output)")
    }

    private func expectIntact(_ summary: [String: Any], minimumFrames: Int, label: String) {
        #expect(summary.int("counter_errors") == 0, "\(label): samples not at their position (torn or invented): \(summary)")
        #expect(summary.int("unreported_gaps") == 0, "\(label): frames skipped without a reported resync: \(summary)")
        #expect((summary.int("frames") ?? 0) >= minimumFrames, "\(label): too few frames: \(summary)")
    }

    @Test func everyFrameReachesSeveralReadersInOrder() throws {
        let pipe = uniquePipe("many")
        defer { removePipe(pipe) }
        let writer = try send(pipe, ["--seconds", "3.5"])
        let readers = try [cReader(pipe, seconds: 3), cReader(pipe, seconds: 3), swiftReader(pipe, seconds: 3)]
        for (index, reader) in readers.enumerated() {
            let summary = try final(reader)
            expectIntact(summary, minimumFrames: 48000 * 2, label: "reader \(index)")  // of 3 s
            // At 48 kHz with an 85 ms ring nobody should have been lapped.
            #expect(summary.int("discontinuities") == 0, "reader \(index): \(summary)")
        }
        #expect(writer.finish() == 0)
        #expect(writer.errorOutput.contains("stopped after 168000 frames"), "\(writer.errorOutput)")
    }

    @Test func manyWrapsAtHighRateStayIntact() throws {
        // 384 kHz into a 1024-frame ring: a wrap every 2.7 ms, over 700 wraps.
        let pipe = uniquePipe("wraps")
        defer { removePipe(pipe) }
        let writer = try send(pipe, ["--seconds", "2.5", "--rate", "384000", "--capacity", "1024", "--block", "64", "--channels", "2"])
        let readers = try [cReader(pipe, seconds: 2), swiftReader(pipe, seconds: 2)]
        for (index, reader) in readers.enumerated() {
            expectIntact(try final(reader), minimumFrames: 384000 / 2, label: "reader \(index)")  // of 2 s
        }
        #expect(writer.finish() == 0)
    }

    @Test func aReaderKilledMidReadHarmsNobody() throws {
        let pipe = uniquePipe("killreader")
        defer { removePipe(pipe) }
        let writer = try send(pipe, ["--seconds", "3"])
        let survivor = try cReader(pipe, seconds: 2.5)
        let victims = try [cReader(pipe, seconds: 10), swiftReader(pipe, seconds: 10)]
        usleep(700_000)
        for victim in victims {
            victim.signal(SIGKILL)
            victim.finish()
        }
        let summary = try final(survivor)
        expectIntact(summary, minimumFrames: 48000 * 2, label: "survivor")  // of 2.5 s
        #expect(summary.int("discontinuities") == 0)
        #expect(writer.finish() == 0, "the writer carries on")
        #expect(writer.errorOutput.contains("stopped after 144000 frames"))
    }

    @Test func aWriterKilledIsReportedLostAndItsSuccessorsArePickedUp() throws {
        let pipe = uniquePipe("killwriter")
        defer { removePipe(pipe) }
        var writer = try send(pipe, [])
        let cSide = try cReader(pipe, seconds: 9)
        let swiftSide = try swiftReader(pipe, seconds: 9)
        for reader in [cSide, swiftSide] {
            #expect(reader.waitForLine { $0.string("state") == "connected" } != nil)
        }
        let inode = try FileManager.default.attributesOfItem(atPath: "/dev/shm" + pipe)[.systemFileNumber] as? Int
        usleep(300_000)
        let killedAt = monotonicNs()
        writer.signal(SIGKILL)
        writer.finish()
        for (label, reader) in [("C", cSide), ("Swift", swiftSide)] {
            let lost = try #require(reader.waitForLine { $0.string("state") == "lost" }, "\(label) reader never reported lost")
            let delayMs = Double((lost.int("time_ns") ?? 0) - Int(killedAt)) / 1e6
            print("\(label) reader reported the killed writer lost after \(delayMs) ms")
            // About 500 ms by the protocol; a generous bound, since this machine is noisy.
            #expect(delayMs > 0 && delayMs < 2000, "\(label): lost after \(delayMs) ms")
        }

        // A new writer with the same format reuses the object: readers pick it up without re-opening.
        writer = try send(pipe, [])
        for reader in [cSide, swiftSide] {
            #expect(reader.waitForLine { $0.string("state") == "connected" && $0.int("generation") == 2 } != nil, "\(reader.output)")
        }
        #expect(try FileManager.default.attributesOfItem(atPath: "/dev/shm" + pipe)[.systemFileNumber] as? Int == inode)
        usleep(300_000)
        writer.signal(SIGKILL)
        writer.finish()

        // A writer with a new capacity makes a new object: readers find it by re-opening.
        writer = try send(pipe, ["--capacity", "8192"])
        for reader in [cSide, swiftSide] {
            #expect(reader.waitForLine { $0.string("state") == "connected" && $0.int("capacity") == 8192 } != nil, "\(reader.output)")
        }
        #expect(try FileManager.default.attributesOfItem(atPath: "/dev/shm" + pipe)[.systemFileNumber] as? Int != inode)
        for (label, reader) in [("C", cSide), ("Swift", swiftSide)] {
            let summary = try final(reader)
            expectIntact(summary, minimumFrames: 48000, label: label)
            #expect((summary.int("reconnects") ?? 0) >= 2, "\(label): \(summary)")
        }
        writer.signal(SIGTERM)
        #expect(writer.finish() == 0)
    }

    @Test func aStalledReaderResyncsWithoutDeliveringATornFrame() throws {
        let pipe = uniquePipe("stall")
        defer { removePipe(pipe) }
        let writer = try send(pipe, ["--seconds", "2.5"])
        // The ring holds 85 ms; the reader sleeps 300 ms.
        let reader = try cReader(pipe, seconds: 2, ["--stall-after-ms", "400", "--stall-ms", "300"])
        let summary = try final(reader)
        expectIntact(summary, minimumFrames: 48000, label: "stalled reader")
        #expect((summary.int("overruns") ?? 0) >= 1, "\(summary)")
        #expect((summary.int("discontinuities") ?? 0) >= 1, "\(summary)")
        #expect(writer.finish() == 0)
    }

    @Test func aSecondWriterOnALivePipeIsRefused() throws {
        let pipe = uniquePipe("busy")
        defer { removePipe(pipe) }
        let first = try send(pipe, ["--seconds", "3"])
        usleep(300_000)
        let second = try send(pipe, ["--seconds", "1"])
        #expect(second.finish() != 0)
        #expect(second.errorOutput.contains("is already being written by process \(first.pid)"), "\(second.errorOutput)")
        first.signal(SIGTERM)
        #expect(first.finish() == 0)
    }
}
