import DirectPipeDiagnostics
import DirectPipeShm
import Foundation
import Testing

/// `send` and `tap` in process: the paced sender's counter arrives in a tap whole, every sample where it belongs.
@Suite struct PipeSenderAndTapTests {
    @Test func testSignalsAreNamedAsOnTheCommandLine() {
        #expect(TestSignal("tone:1000") == .tone(hertz: 1000))
        #expect(TestSignal("counter") == .counter && TestSignal("silence") == .silence)
        for bad in ["tone:", "tone:-5", "tone:inf", "noise", ""] { #expect(TestSignal(bad) == nil, "\(bad)") }
    }

    @Test func theCounterSentArrivesInTheTapWithEverySampleInItsPlace() throws {
        let name = try PipeName("dp-diag-\(UInt32.random(in: 0...999_999))")
        defer { try? FileManager.default.removeItem(atPath: "/dev/shm" + name.rawValue) }
        let writer = try PipeWriter(name: name, format: try PipeFormat(sampleRate: 48000, channels: 2, capacityFrames: 8192))
        let reader = try PipeReader(name: name)
        var tap = PipeTap(reader: reader, verifyCounter: true)
        // Less than the ring holds, so one drain after the sender finishes reads it all.
        let sent = PipeSender(writer: writer, signal: .counter, blockFrames: 128).run(frames: 4000) { false }
        try tap.drain()
        #expect(sent == 4000 && tap.frames == 4000, "sent \(sent), read \(tap.frames)")
        #expect(tap.counterErrors == 0 && tap.unreportedGaps == 0)
        let report = tap.report(event: "final")
        #expect(report.frames == 4000 && report.counterErrors == 0 && report.rate == 48000 && report.channels == 2)
        #expect(tap.statusLine.contains("frames 4000") && tap.statusLine.contains("counter errors 0"), "\(tap.statusLine)")
        writer.stop()
    }

    /// A sample out of place is counted: the check can fail.
    @Test func aSignalThatIsNotTheCounterIsCounted() throws {
        let name = try PipeName("dp-diag-\(UInt32.random(in: 0...999_999))")
        defer { try? FileManager.default.removeItem(atPath: "/dev/shm" + name.rawValue) }
        let writer = try PipeWriter(name: name, format: try PipeFormat(sampleRate: 48000, channels: 1, capacityFrames: 4096))
        var tap = PipeTap(reader: try PipeReader(name: name), verifyCounter: true)
        _ = PipeSender(writer: writer, signal: .tone(hertz: 440), blockFrames: 64).run(frames: 640) { false }
        try tap.drain()
        #expect(tap.frames == 640 && tap.counterErrors > 600, "\(tap.statusLine)")
        writer.stop()
    }
}
