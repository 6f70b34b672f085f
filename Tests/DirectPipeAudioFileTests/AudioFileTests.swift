import DirectPipeAudioFile
import Foundation
import Testing

@Suite struct AudioFileTests {
    private func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("dp-audiofile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test(arguments: [("wav", Float(0)), ("flac", Float(1.0 / 8_388_608))])
    func roundTrip(fileExtension: String, tolerance: Float) throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("take.\(fileExtension)").path
        let samples = (0..<9600).map { Float(sin(Double($0) * 0.01)) * 0.5 }
        let writer = try AudioFileWriter(path: path, sampleRate: 48000, channels: 2)
        try samples.withUnsafeBufferPointer { try writer.write($0) }
        #expect(!FileManager.default.fileExists(atPath: path), "nothing at the final path before finish()")
        try writer.finish()
        let contents = try AudioFileContents(path: path)
        #expect(contents.sampleRate == 48000 && contents.channels == 2 && contents.frames == 4800)
        #expect(zip(contents.samples, samples).allSatisfy { abs($0 - $1) <= tolerance })
    }

    @Test func anUnfinishedRecordingLeavesTheExistingFileUntouched() throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("keep.wav").path
        try Data("precious".utf8).write(to: URL(fileURLWithPath: path))
        do {
            let writer = try AudioFileWriter(path: path, sampleRate: 48000, channels: 1)
            try [Float](repeating: 0.1, count: 480).withUnsafeBufferPointer { try writer.write($0) }
        }  // dropped without finish(), as when a recording fails
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "precious")
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["keep.wav"])
    }

    @Test func unsupportedExtensionAndUnwritablePlaceAreClearErrors() {
        #expect(throws: AudioFileError(path: "/tmp/x.mp3", reason: "unsupported file type (use .wav or .flac)")) {
            try AudioFileWriter(path: "/tmp/x.mp3", sampleRate: 48000, channels: 2)
        }
        #expect(throws: AudioFileError.self) {
            try AudioFileWriter(path: "/nonexistent-dir/x.wav", sampleRate: 48000, channels: 2)
        }
    }
}
