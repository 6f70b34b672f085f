import DirectPipeDSP
import Foundation
import Testing

/// RNNoise in the chain, on the library the project's scripts install: the same output as pyrnnoise's own
/// processing, noise removed at any rate, the attenuation limit and the voice gate doing what they say, and a
/// missing or wrong library named with how to get the right one.
@Suite struct RNNoiseTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func library() throws -> RNNoiseLibrary {
        switch RNNoiseLibrary.shared {
        case .success(let library): return library
        case .failure(let missing): throw missing  // scripts/install-deps.sh installs it: a test machine must have it
        }
    }

    /// Something voice-like in 16-bit steps: a glide of harmonics in syllables, over a steady hiss.
    func noisyVoice(frames: Int, sampleRate: Double = 48000) -> [Float] {
        var noise = Noise(state: 11)
        var phase = 0.0
        return (0..<frames).map { n in
            let t = Double(n) / sampleRate
            let pitch = 140 + 40 * sin(2 * Double.pi * 0.7 * t) + 20 * sin(2 * Double.pi * 3.1 * t)  // never periodic for long
            phase += 2 * Double.pi * pitch / sampleRate
            let syllable = max(0, sin(2 * Double.pi * 2.5 * t))
            let voice = (1...12).reduce(0.0) { $0 + sin(Double($1) * phase) / Double($1) } * 0.12 * syllable
            let sample = Float(voice) + noise.sample(0.02)
            return (sample * 32768).rounded() / 32768
        }
    }

    /// A fan's rumble: white noise through a leaky integrator (RNNoise takes plain white noise for half-voice).
    func rumble(frames: Int) -> [Float] {
        var noise = Noise(state: 13)
        var level: Float = 0
        return (0..<frames).map { _ in
            level = 0.97 * level + noise.sample(0.01)
            return level
        }
    }

    @Test func theOutputIsPyrnnoisesOwn() throws {
        let effect = try RNNoiseEffect(library: try library(), channels: 1, sampleRate: 48000, maxFrames: 256)
        #expect(effect.latencyFrames == 1440)
        let frames = 480 * 300  // 3 s
        let input = noisyVoice(frames: frames)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dp-rnnoise-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let raw = input.map { Int16($0 * 32768).littleEndian }
        try raw.withUnsafeBytes { try Data($0).write(to: folder.appendingPathComponent("in.raw")) }
        let python = Process()
        python.executableURL = Self.packageRoot.appendingPathComponent(".build/venv/bin/python")
        python.arguments = [
            Self.packageRoot.appendingPathComponent("Tests/Scripts/rnnoise_reference.py").path, folder.appendingPathComponent("in.raw").path,
            folder.appendingPathComponent("out.raw").path, folder.appendingPathComponent("voice.raw").path,
        ]
        try python.run()
        python.waitUntilExit()
        try #require(python.terminationStatus == 0, "pyrnnoise (scripts/lib/python-tools.sh installs it in .build/venv)")
        let reference = try Data(contentsOf: folder.appendingPathComponent("out.raw")).withUnsafeBytes { Array($0.bindMemory(to: Int16.self)) }
        let voice = try Data(contentsOf: folder.appendingPathComponent("voice.raw")).withUnsafeBytes { Array($0.bindMemory(to: Float.self)) }
        #expect(reference.count == frames)

        // Ours, in blocks of odd sizes: the same frames, 480 samples later.
        let output = run(effect, [input], block: 173)[0]
        let ours = output[480...].map { Int16(($0 * 32768).rounded(.towardZero)) }  // pyrnnoise's float-to-int16 cast
        #expect(ours.count == frames - 480)
        let differing = zip(ours, reference).filter { $0 != $1 }.count
        #expect(differing == 0, "bit for bit pyrnnoise's 16-bit output (the same library, the same frames)")
        #expect(reference.contains { abs($0) > 1000 }, "the reference kept the voice")
        #expect(effect.voiceProbability == voice.last, "the last frame's voice probability is the reference's")
    }

    @Test(arguments: [48000.0, 44100, 96000])
    func hissIsRemovedAtAnyRate(rate: Double) throws {
        let effect = try RNNoiseEffect(library: try library(), channels: 2, sampleRate: rate, maxFrames: 128)
        var noise = Noise(state: 5)
        let hiss = (0..<Int(rate) * 2).map { _ in noise.sample(0.05) }
        let output = run(effect, [hiss, hiss], block: 128)
        let reduction = decibels(rms(output[0][Int(rate)...]) / rms(hiss[Int(rate)...]))
        #expect(reduction < -20, "\(reduction) dB at \(rate) Hz")
        #expect(output[0] == output[1], "each channel has its own model; the same input gives the same output")
    }

    /// What the chain compensates: the voice comes out `latencyFrames` after it went in (the best-matching lag).
    @Test(arguments: [48000.0, 44100])
    func theReportedLatencyIsWhereTheVoiceComesOut(rate: Double) throws {
        let effect = try RNNoiseEffect(library: try library(), channels: 1, sampleRate: rate, maxFrames: 128)
        let input = noisyVoice(frames: Int(rate) * 2, sampleRate: rate)
        let output = run(effect, [input], block: 128)[0]
        let best = bestLag(input, output, around: effect.latencyFrames, from: Int(rate / 2), count: Int(rate / 4))
        #expect(best.map { abs($0 - effect.latencyFrames) <= 3 } == true, "voice at \(best ?? -1), latency \(effect.latencyFrames)")
    }

    @Test func theAttenuationLimitKeepsThatMuchNoise() throws {
        let effect = try RNNoiseEffect(library: try library(), channels: 1, sampleRate: 48000, maxFrames: 128)
        try effect.set("limit", 12)
        var noise = Noise(state: 9)
        let hiss = (0..<96000).map { _ in noise.sample(0.05) }
        let output = run(effect, [hiss], block: 128)[0]
        let reduction = decibels(rms(output[48000...]) / rms(hiss[48000...]))
        #expect(reduction > -13.5 && reduction < -10, "\(reduction) dB with a 12 dB limit")
    }

    @Test func theVoiceGateSilencesNoiseAfterItsHoldAndLetsVoiceThrough() throws {
        let effect = try RNNoiseEffect(library: try library(), channels: 1, sampleRate: 48000, maxFrames: 128)
        try effect.set("limit", 20)
        try effect.set("gate", 60)
        try effect.set("hold", 200)
        let gated = run(effect, [rumble(frames: 96000)], block: 128)[0]
        #expect((effect.voiceProbability ?? 1) < 0.2, "a rumble is not voice")
        #expect(gated[48000...].allSatisfy { $0 == 0 }, "noise alone: silence once the hold is over")
        let open = try RNNoiseEffect(library: try library(), channels: 1, sampleRate: 48000, maxFrames: 128)
        try open.set("gate", 60)
        let voiced = run(open, [noisyVoice(frames: 96000)], block: 128)[0]
        #expect(rms(voiced[48000...]) > 0.02, "voice passes the gate")
    }

    @Test func theVoiceChainTakesTheBestNoiseRemovalAndSaysWhenItCannot() throws {
        let deepfilter = try DeepFilterLibrary.shared.get(), rnnoise = try library()
        let noDeepFilter = DeepFilterUnavailable(tried: ["/x/DeepFilterNet3_onnx.tar.gz: not found"])
        let noRNNoise = RNNoiseUnavailable(tried: ["/x/librnnoise.so: not found"])
        func ids(_ chain: ChainDescription) -> [String] { chain.effects.map(\.id) }
        let best = VoiceChain.best(deepfilter: .success(deepfilter), rnnoise: .success(rnnoise))
        #expect(ids(best.chain).contains("deepfilter") && best.warning == nil)
        let second = VoiceChain.best(deepfilter: .failure(noDeepFilter), rnnoise: .success(rnnoise))
        #expect(ids(second.chain).contains("rnnoise") && second.warning?.contains("/x/DeepFilterNet3_onnx.tar.gz: not found") == true)
        let last = VoiceChain.best(deepfilter: .failure(noDeepFilter), rnnoise: .failure(noRNNoise))
        #expect(ids(last.chain).contains("denoise") && !ids(last.chain).contains("rnnoise"))
        #expect(last.warning?.contains("speexdsp") == true && last.warning?.contains("/x/librnnoise.so: not found") == true)
        #expect(Set([best, second, last].map { $0.chain.effects.count }).count == 1)
    }

    @Test func aMissingOrWrongLibraryIsNamedWithHowToGetIt() {
        guard case .failure(let missing) = RNNoiseLibrary.load(environment: ["DIRECTPIPE_RNNOISE": "/nonexistent/librnnoise.so"]) else {
            Issue.record("a missing file loaded")
            return
        }
        #expect(missing.description.contains("/nonexistent/librnnoise.so: not found"), "\(missing)")
        #expect(missing.description.contains("scripts/fetch-rnnoise.sh"), "\(missing)")
        guard case .failure(let wrong) = RNNoiseLibrary.load(environment: ["DIRECTPIPE_RNNOISE": "libm.so.6"]) else {
            Issue.record("libm loaded as RNNoise")
            return
        }
        #expect(wrong.tried == ["libm.so.6: not RNNoise 0.2's API (rnnoise_create/_destroy/_process_frame/_get_frame_size)"])
    }
}
