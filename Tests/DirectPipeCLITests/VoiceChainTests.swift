import DirectPipeAudioFile
import Foundation
import Testing

/// `--chain voice` through the executable: DeepFilterNet when its runtime is here, speexdsp's suppression with a
/// warning naming what is missing when neither it nor RNNoise is, and the chain starts either way.
@Suite struct VoiceChainTests {
    @Test func theVoiceChainFallsBackToSpeexWithAWarningAndStillRuns() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dp-voicechain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let input = folder.appendingPathComponent("in.wav").path
        let writer = try AudioFileWriter(path: input, sampleRate: 48000, channels: 1)
        let tone = (0..<48000).map { 0.3 * Float(sin(Double($0) * 0.05)) }
        try tone.withUnsafeBufferPointer { try writer.write($0) }
        try writer.finish()

        let with = try TestProcess(Programs.directpipe, ["process", "--chain", "voice", input, folder.appendingPathComponent("best.wav").path])
        #expect(with.finish() == 0, "\(with.errorOutput)")
        #expect(!with.errorOutput.contains("warning"), "scripts/install-deps.sh installs both: \(with.errorOutput)")
        #expect(with.errorOutput.contains("highpass → deepfilter → gate"), "\(with.errorOutput)")

        var environment = ProcessInfo.processInfo.environment
        environment["DIRECTPIPE_RNNOISE"] = "/nonexistent/librnnoise.so"
        environment["DIRECTPIPE_DEEPFILTER"] = "/nonexistent"
        let without = try TestProcess(
            Programs.directpipe, ["process", "--chain", "voice", input, folder.appendingPathComponent("speex.wav").path], environment: environment)
        #expect(without.finish() == 0, "\(without.errorOutput)")
        #expect(
            without.errorOutput.contains("warning: the voice chain uses speexdsp's noise suppression")
                && without.errorOutput.contains("/nonexistent/librnnoise.so: not found"), "\(without.errorOutput)")
        let best = try AudioFileContents(path: folder.appendingPathComponent("best.wav").path).samples
        let speex = try AudioFileContents(path: folder.appendingPathComponent("speex.wav").path).samples
        #expect(best.count == speex.count && best != speex, "two different noise removers")

        let explicit = try TestProcess(
            Programs.directpipe, ["process", "--effect", "rnnoise", input, folder.appendingPathComponent("x.wav").path], environment: environment)
        #expect(explicit.finish() != 0)
        #expect(
            explicit.errorOutput.contains("scripts/fetch-rnnoise.sh"),
            "asked for by name, it is an error saying how to get it: \(explicit.errorOutput)")
    }
}
