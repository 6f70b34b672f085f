import DirectPipeAudioFile
import DirectPipeShm
import Foundation
import Testing

/// What a person sees: one clear line and a non-zero exit for every mistake,
/// and a recording that holds exactly what the pipe carried.
@Suite struct CommandLineTests {
    private func run(_ arguments: [String]) throws -> TestProcess {
        let process = try TestProcess(Programs.directpipe, arguments)
        process.finish()
        return process
    }

    private func expectOneLineError(_ arguments: [String], containing text: String) throws {
        let process = try run(arguments)
        #expect(process.process.terminationStatus != 0, "\(arguments)")
        let lines = process.errorOutput.split(separator: "\n").filter { !$0.isEmpty }
        #expect(lines.first?.contains(text) == true, "\(arguments): \(process.errorOutput)")
        #expect(!process.errorOutput.contains("Fatal error"), "\(process.errorOutput)")
    }

    @Test func mistakesGetOneClearLine() throws {
        let missing = uniquePipe("missing")
        try expectOneLineError(["tap", "--pipe", missing, "--seconds", "1"], containing: "no such pipe \(missing)")
        try expectOneLineError(["tap", "--pipe", "Not A Name"], containing: "bad pipe name 'Not A Name'")
        try expectOneLineError(["send", "--channels", "99", "--seconds", "1"], containing: "channel count 99 is outside 1–8")
        try expectOneLineError(["send", "--capacity", "1000", "--seconds", "1"], containing: "capacity 1000 is not a power of two")
        try expectOneLineError(["send", "--rate", "1000000", "--seconds", "1"], containing: "sample rate 1000000 is outside")
        try expectOneLineError(["send", "--signal", "noise", "--seconds", "1"], containing: "--signal")
        try expectOneLineError(["tap", "--wav", "/tmp/out.mp3", "--seconds", "1"], containing: "--wav must name a .wav or .flac file")
        // Settings flags are checked by their types, with the same words as the config file and the API.
        try expectOneLineError(["run", "--period", "8", "--seconds", "1"], containing: "--period <period>': 8 is outside 16–8192 frames")
        try expectOneLineError(
            ["run", "--backend", "asio", "--seconds", "1"], containing: "'asio' is not one of auto, pipewire, jack, alsa, file, clock")
        try expectOneLineError(["run", "--monitor", "alsa:", "--seconds", "1"], containing: "'alsa:' names no device")
        try expectOneLineError(["run", "--gain", "30", "--seconds", "1"], containing: "30 is outside -60–24 dB")
    }

    @Test func tapNamesAMalformedSegment() throws {
        let pipe = uniquePipe("garbage")
        defer { removePipe(pipe) }
        try Data(repeating: 0xAB, count: 4096).write(to: URL(fileURLWithPath: "/dev/shm" + pipe))
        let process = try run(["tap", "--pipe", pipe, "--seconds", "1"])
        #expect(process.process.terminationStatus != 0)
        #expect(process.errorOutput.contains("\(pipe) is not a DirectPipe segment (wrong magic)"), "\(process.errorOutput)")
    }

    @Test func tapRecordsExactlyWhatThePipeCarried() throws {
        let pipe = uniquePipe("record")
        defer { removePipe(pipe) }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dp-rec-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("take.wav").path

        let writer = try startSender(pipe, ["--signal", "counter", "--channels", "1", "--seconds", "2.5"])
        let tap = try TestProcess(Programs.directpipe, ["tap", "--pipe", pipe, "--wait", "--seconds", "1.5", "--wav", path])
        #expect(tap.finish() == 0, "\(tap.errorOutput)")
        #expect(writer.finish() == 0)
        let take = try AudioFileContents(path: path)
        #expect(take.sampleRate == 48000 && take.channels == 1)
        #expect(take.frames > 48000)
        // The first sample says where the recording starts; every later one must follow on.
        let start = UInt64((take.samples[0] * Float(CounterSignal.modulus)).rounded())
        let mismatches = take.samples.withUnsafeBufferPointer { CounterSignal.mismatches(in: $0, position: start, channels: 1) }
        #expect(mismatches == 0)
        #expect(tap.errorOutput.contains("wrote \(take.frames) frames to \(path)"))
    }

    @Test func sendStopsCleanlyOnSIGTERMAndReadersSeeItStop() throws {
        let pipe = uniquePipe("sigterm")
        defer { removePipe(pipe) }
        let writer = try startSender(pipe, [])
        let reader = try TestProcess(Programs.readerCheck, ["--pipe", pipe, "--seconds", "3"])
        #expect(reader.waitForLine { $0.string("state") == "connected" } != nil)
        let stoppedAt = monotonicNs()
        writer.signal(SIGTERM)
        #expect(writer.finish() == 0)
        // active = 0 is seen at once: no need to wait out the 500 ms liveness timeout.
        let lost = try #require(reader.waitForLine { $0.string("state") == "lost" })
        let delayMs = Double((lost.int("time_ns") ?? 0) - Int(stoppedAt)) / 1e6
        print("reader saw a stopped writer after \(delayMs) ms")
        #expect(delayMs < 250, "a clean stop should not wait for the liveness timeout")
        reader.finish()
    }
}
