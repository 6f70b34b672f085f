import DirectPipeAudioFile
import Foundation
import Testing

/// `directpipe run --backend file`: a recording as the microphone, in real time or as fast as possible.
@Suite struct FileBackendTests {
    private let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dp-file-\(UUID().uuidString)")

    /// Noise that never repeats, so a lost, doubled or reordered frame shows.
    private func noise(_ name: String, seconds: Double, rate: Int = 44100, channels: Int = 2) throws -> (path: String, samples: [Float]) {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent(name).path
        var generator = SystemRandomNumberGenerator()
        let samples = (0..<Int(seconds * Double(rate)) * channels).map { _ in Float.random(in: -0.5...0.5, using: &generator) }
        let writer = try AudioFileWriter(path: path, sampleRate: rate, channels: channels)
        try samples.withUnsafeBufferPointer { try writer.write($0) }
        try writer.finish()
        return (path, samples)
    }

    /// Bit for bit, with the safety guard off (the noise at +6 dB reaches full scale: the guard would turn it down).
    @Test func processedAsFastAsPossibleTheOutputIsTheInputTimesTheGain() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try noise("in.wav", seconds: 20)
        let output = directory.appendingPathComponent("out.wav").path
        let pipe = uniquePipe("filefast")
        defer { removePipe(pipe) }
        let start = Date()
        let run = try TestProcess(
            Programs.directpipe,
            [
                "run", "--backend", "file", "--input", input.path, "--fast", "--output", output, "--gain", "6", "--period", "100", "--no-guard",
                "--pipe", pipe, "--json",
            ])
        #expect(run.finish() == 0, "\(run.errorOutput)")
        print("file backend, as fast as possible: 20 s of audio in \(String(format: "%.2f", Date().timeIntervalSince(start))) s")
        let result = try AudioFileContents(path: output)
        #expect(result.sampleRate == 44100 && result.channels == 2, "the file's own rate and channels")
        #expect(result.samples.count == input.samples.count, "every frame, the last partial period too")
        let gain = Float(pow(10, 6.0 / 20))
        let mismatches = zip(result.samples, input.samples).filter { $0 != $1 * gain }.count
        #expect(mismatches == 0, "output = input × gain, bit for bit")
        let final = try #require(run.jsonLines.last { $0.string("event") == "final" })
        #expect(final.string("backend") == "file")
        #expect(final.int("callbacks") == (882_000 + 99) / 100)
    }

    /// The safety guard, on by default: the same noise at +6 dB (peaks near full scale) comes out no louder than
    /// −1 dBFS, turned down rather than cut, and the run reports how far.
    @Test func theSafetyGuardKeepsTheOutputAtMinusOneDBFS() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try noise("loud.wav", seconds: 2, rate: 48000)
        let output = directory.appendingPathComponent("guarded.wav").path
        let pipe = uniquePipe("fileguard")
        defer { removePipe(pipe) }
        let run = try TestProcess(
            Programs.directpipe,
            ["run", "--backend", "file", "--input", input.path, "--fast", "--output", output, "--gain", "6", "--pipe", pipe, "--json"])
        #expect(run.finish() == 0, "\(run.errorOutput)")
        let result = try AudioFileContents(path: output)
        let ceiling = Float(pow(10, -1.0 / 20))
        let peak = result.samples.map(abs).max() ?? 0
        #expect(peak <= ceiling && peak > 0.95 * ceiling, "peak \(peak), ceiling \(ceiling)")
        let reduced = run.jsonLines.compactMap { $0["guard_reduction_db"] as? Double }
        #expect((reduced.max() ?? 0) > 0.5, "the status said how far it turned down: \(reduced)")
    }

    @Test func inRealTimeTheRunEndsWithTheFile() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try noise("short.flac", seconds: 3, rate: 48000, channels: 1)
        let pipe = uniquePipe("filert")
        defer { removePipe(pipe) }
        let run = try TestProcess(
            Programs.directpipe, ["run", "--backend", "file", "--input", input.path, "--channels", "1", "--pipe", pipe, "--json"])
        let tap = try TestProcess(Programs.directpipe, ["tap", "--pipe", pipe, "--wait", "--seconds", "4", "--json"])
        #expect(run.finish(timeout: 10) == 0, "ends by itself: \(run.errorOutput)")
        tap.finish()
        let final = try #require(run.jsonLines.last { $0.string("event") == "final" })
        #expect(final.int("callbacks") == 3 * 48000 / 128)
        // A reader that looks for the pipe once a second (as the protocol says) still hears most of it.
        let heard = try #require(tap.jsonLines.last { $0.string("event") == "final" }, "\(tap.output)")
        #expect((heard.int("frames") ?? 0) > 48000, "a reader in real time hears it: \(heard)")
    }

    @Test func mistakesAreOneLine() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try noise("in.wav", seconds: 0.1)
        let cases: [([String], String)] = [
            (["--backend", "file"], "backend 'file' needs --input FILE"),
            (["--backend", "file", "--input", input.path, "--output", "x.wav"], "--output needs --fast"),
            (["--backend", "file", "--input", input.path, "--rate", "48000"], "is 44100 Hz, not 48000"),
            (["--backend", "file", "--input", directory.appendingPathComponent("none.wav").path], "none.wav"),
        ]
        for (arguments, message) in cases {
            let run = try TestProcess(Programs.directpipe, ["run"] + arguments)
            #expect(run.finish() != 0, "\(arguments)")
            #expect(run.errorOutput.contains(message), "\(arguments): \(run.errorOutput)")
        }
    }

    @Test func theFileAudioThreadAllocatesNothing() throws {
        defer { try? FileManager.default.removeItem(at: directory) }
        let input = try noise("alloc.wav", seconds: 1, rate: 192_000)
        let pipe = uniquePipe("filealloc")
        defer { removePipe(pipe) }
        var environment = ProcessInfo.processInfo.environment
        environment["LD_PRELOAD"] = Programs.nativeDirectory.appendingPathComponent("libdirectpipe-alloc-counter.so").path
        // 192 kHz in 16-frame periods, in real time: 12,000 callbacks in the file's one second.
        let run = try TestProcess(
            Programs.directpipe, ["run", "--backend", "file", "--input", input.path, "--period", "16", "--pipe", pipe, "--json"],
            environment: environment)
        #expect(run.finish() == 0, "\(run.errorOutput)")
        let final = try #require(run.jsonLines.last { $0.string("event") == "final" })
        #expect((final.int("callbacks") ?? 0) >= 10_000, "\(final)")
        #expect(final.int("audio_thread_allocations") == 0, "\(final)")
    }
}
