import Foundation
import Testing

/// What a reader costs while DirectPipe is stopped: the C library's waiting thread, `directpipe tap` and the OBS
/// source (in libobs, through obs-host) on a pipe whose writer is gone, whether it opened the pipe after the writer
/// stopped with a target latency, or was left with frames it had not read (the two cases that spun a core). The waiting thread's own CPU time is
/// counted: a reader that sleeps in the futex uses a fraction of a per cent, one that spins a whole core.
@Suite(.serialized) struct ReaderIdleTests {
    /// A pipe whose writer wrote half a second and stopped (protocol writer rule 5 leaves the object).
    func stoppedPipe(_ label: String) throws -> String {
        let pipe = uniquePipe(label)
        let sender = try TestProcess(Programs.directpipe, ["send", "--pipe", pipe, "--seconds", "0.5"])
        #expect(sender.finish() == 0, "\(sender.errorOutput)")
        return pipe
    }

    func idleCheck(_ arguments: [String]) throws -> TestProcess {
        try TestProcess(Programs.nativeDirectory.appendingPathComponent("reader-idle-check"), arguments)
    }

    func expectIdle(_ result: [String: Any]?, _ what: String) throws {
        let result = try #require(result, "\(what): no result")
        let cpu = try #require(result.int("cpu_ns")), wall = try #require(result.int("wall_ns"))
        print("\(what): \(Double(cpu) / 1e6) ms of CPU in \(Double(wall) / 1e6) ms (\(result))")
        #expect(cpu * 100 < wall, "\(what): the waiting thread used over 1 % of a core: \(result)")
    }

    @Test func aReaderOpenedBehindAStoppedWriterSleeps() throws {
        let pipe = try stoppedPipe("idle-a")
        defer { removePipe(pipe) }
        let reader = try idleCheck(["--pipe", pipe, "--latency", "1024", "--seconds", "1"])
        #expect(reader.finish() == 0, "\(reader.errorOutput)")
        try expectIdle(reader.jsonLines.last { $0.string("event") == "final" }, "C reader, 1024 frames behind a stopped writer")
    }

    @Test func aReaderLeftWithUnreadFramesSleeps() throws {
        let pipe = uniquePipe("idle-c")
        defer { removePipe(pipe) }
        let reader = try idleCheck(["--pipe", pipe, "--after-writer", "--seconds", "1"])
        let sender = try TestProcess(Programs.directpipe, ["send", "--pipe", pipe, "--seconds", "30"])
        let connected = reader.waitForLine(timeout: 20) { $0.string("event") == "connected" }
        sender.signal(SIGTERM)
        #expect(sender.finish() == 0, "\(sender.errorOutput)")
        try #require(connected != nil, "the reader saw the writer: \(reader.errorOutput)")
        #expect(reader.finish() == 0, "\(reader.errorOutput)")
        let result = reader.jsonLines.last { $0.string("event") == "final" }
        #expect((result?.int("write_pos") ?? 0) > (result?.int("position") ?? 0), "frames were left unread: \(String(describing: result))")
        try expectIdle(result, "C reader with unread frames of a writer that stopped")
    }

    @Test func tapOnAStoppedPipeSleeps() throws {
        let pipe = try stoppedPipe("idle-tap")
        defer { removePipe(pipe) }
        // bash's `times` gives its children's CPU time: the whole tap process, start-up included.
        let tap = try TestProcess(
            URL(fileURLWithPath: "/bin/bash"),
            [
                "-c", "\"$0\" tap --pipe \(pipe) --latency 1024 --seconds 3 --json > /dev/null; times", Programs.directpipe.path,
            ])
        #expect(tap.finish() == 0, "\(tap.errorOutput)")
        // `times`: the shell's own user and system time, then its children's ("0m0.051s 0m0.020s").
        let children =
            tap.output.split(separator: "\n").last?.split(separator: " ").compactMap { field -> Double? in
                let parts = field.dropLast().split(separator: "m")
                guard parts.count == 2, let minutes = Double(parts[0]), let seconds = Double(parts[1]) else { return nil }
                return minutes * 60 + seconds
            } ?? []
        try #require(children.count == 2, "\(tap.output)")
        let cpu = children[0] + children[1]
        print("tap, 1024 frames behind a stopped writer: \(cpu) s of CPU in 3 s")
        #expect(cpu < 0.3, "tap used \(cpu) s of CPU in 3 s on a stopped pipe")
    }

    @Test func theOBSSourceOnAStoppedPipeSleeps() throws {
        let pipe = try stoppedPipe("idle-obs")
        defer { removePipe(pipe) }
        let native = Programs.nativeDirectory
        let host = try TestProcess(
            URL(fileURLWithPath: "/usr/bin/xvfb-run"),
            [
                "-a", native.appendingPathComponent("obs-host").path, "--plugin", native.appendingPathComponent("obs/directpipe-obs.so").path,
                "--data", native.appendingPathComponent("obs/data").path, "--pipe", pipe, "--seconds", "2",
            ])
        #expect(host.finish() == 0, "\(host.errorOutput.suffix(2000))")
        let result = try #require(host.jsonLines.last { $0.string("event") == "final" }, "\(host.output)")
        let cpu = try #require(result.int("reader_thread_cpu_ns")), wall = try #require(result.int("window_ns"))
        print("OBS source on a stopped pipe: \(Double(cpu) / 1e6) ms of CPU in \(Double(wall) / 1e6) ms")
        #expect(cpu >= 0 && cpu * 100 < wall, "the source's reader thread used over 1 % of a core: \(result)")
    }
}
