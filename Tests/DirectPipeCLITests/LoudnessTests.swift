import Foundation
import Testing

/// The output loudness `directpipe process` reads (the meter the engine runs) against pyloudnorm's, on speech
/// (espeak-ng, three voices, three levels, at 48 kHz): within ±0.1 LU each.
@Suite struct LoudnessTests {
    @Test func speechReadsAsPyloudnormReadsIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dp-loudness-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let python = Programs.packageRoot.appendingPathComponent(".build/venv/bin/python")
        let script = Programs.packageRoot.appendingPathComponent("Tests/Scripts/speech_loudness.py")
        let speech = try TestProcess(python, [script.path, folder.path])
        try #require(speech.finish(timeout: 120) == 0, "espeak-ng and the venv (scripts/install-deps.sh --tests): \(speech.errorOutput)")
        let references = try #require(
            try JSONSerialization.jsonObject(with: Data(speech.output.utf8)) as? [String: Double], "\(speech.output)")
        #expect(references.count == 9)
        for (name, reference) in references.sorted(by: { $0.key < $1.key }) {
            let process = try TestProcess(
                Programs.directpipe,
                ["process", "--effect", "gain", folder.appendingPathComponent(name).path, folder.appendingPathComponent("out.wav").path])
            #expect(process.finish() == 0, "\(process.errorOutput)")
            let line = process.errorOutput.split(separator: "\n").first { $0.contains("LUFS integrated") } ?? ""
            let ours = line.split(separator: " ").firstIndex(of: "LUFS").flatMap { Double(line.split(separator: " ")[$0 - 1]) }
            #expect(ours.map { abs($0 - reference) <= 0.1 } == true, "\(name): ours \(ours ?? .nan), pyloudnorm \(reference)")
            print("loudness \(name): DirectPipe \(ours ?? .nan) LUFS, pyloudnorm \(String(format: "%.2f", reference)) LUFS")
        }
    }
}
