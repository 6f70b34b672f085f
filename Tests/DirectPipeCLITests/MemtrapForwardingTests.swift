import Foundation
import Testing

/// The reader's SIGBUS trap must only swallow faults in its own mappings. In a
/// C program (like OBS) with the default SIGBUS action, a SIGBUS that is not a
/// fault in a pipe (here one sent by kill) must still end the process.
/// (Swift's own crash handler, not ours, survives a sent SIGBUS: so the C reader.)
@Suite struct MemtrapForwardingTests {
    @Test func aSigbusSentByKillStillKillsAProcessThatHasTheTrap() throws {
        let pipe = uniquePipe("sigbus")
        defer { removePipe(pipe) }
        let writer = try startSender(pipe, [])
        let reader = try TestProcess(Programs.readerCheck, ["--pipe", pipe, "--seconds", "20"])
        #expect(reader.waitForLine { $0.string("state") == "connected" } != nil)  // mapped: the trap is installed
        reader.signal(SIGBUS)
        reader.finish(timeout: 10)
        #expect(reader.process.terminationReason == .uncaughtSignal)
        #expect(reader.process.terminationStatus == SIGBUS)
        writer.signal(SIGTERM)
        writer.finish()
    }

    @Test func aSigbusIgnoredByTheProcessLeavesTheTrapInPlace() throws {
        // Before: the trap put the old disposition back for good on any SIGBUS not its own, so the next
        // truncation under a reader killed the process.
        let check = try TestProcess(Programs.nativeDirectory.appendingPathComponent("memtrap-check"), [])
        #expect(check.finish(timeout: 10) == 0, "killed by signal \(check.process.terminationStatus)? \(check.errorOutput)")
        #expect(check.jsonLines.last?["caught_after"] as? Bool == true, "\(check.output)")
    }
}
