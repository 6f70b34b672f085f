import DirectPipeDSP
import Foundation
import Testing

/// The auto-gain on speech-like input: quiet, normal and loud voices come out at the target loudness within ±1 LU
/// after a few seconds; pauses and noise under the freeze threshold never raise the gain.
@Suite struct AutoGainTests {
    /// Speech-like at `level` (its integrated loudness, LUFS; dBFS of its RMS, near enough): a pitch glide of
    /// harmonics in syllables, with pauses between phrases.
    func speech(seconds: Double, level: Double, sampleRate: Double = 48000) throws -> [Float] {
        let raw = voice(seconds: seconds, sampleRate: sampleRate)
        let scale = Float(pow(10, (level - (try loudness(raw, from: 0))) / 20))
        return raw.map { $0 * scale }
    }

    func voice(seconds: Double, sampleRate: Double) -> [Float] {
        var phase = 0.0
        return (0..<Int(seconds * sampleRate)).map { n in
            let t = Double(n) / sampleRate
            phase += 2 * Double.pi * (130 + 40 * sin(2 * Double.pi * 0.6 * t) + 15 * sin(2 * Double.pi * 2.9 * t)) / sampleRate
            let syllable = max(0, sin(2 * Double.pi * 3 * t)), phrase: Double = t.truncatingRemainder(dividingBy: 4) < 3.2 ? 1 : 0
            return Float((1...10).reduce(0.0) { $0 + sin(Double($1) * phase) / Double($1) } * 0.1 * syllable * phrase)
        }
    }

    /// The integrated loudness of `samples` (mono, read as dual mono: a stream's both channels) from `from` seconds on.
    func loudness(_ samples: [Float], from: Double) throws -> Double {
        let meter = try LoudnessMeter(channels: 1, sampleRate: 48000, monoAsDualMono: true)
        samples[Int(from * 48000)...].withUnsafeBufferPointer { meter.add($0.baseAddress!, frames: $0.count) }
        return meter.reading.integrated
    }

    @Test(arguments: [-45.0, -30, -15])
    func speechComesOutAtTheTarget(level: Double) throws {
        let effect = try AutoGainEffect(channels: 1, sampleRate: 48000, maxFrames: 128)
        let input = try speech(seconds: 24, level: level)
        let before = try loudness(input, from: 0)
        let output = run(effect, [input], block: 128)[0]
        let after = try loudness(output, from: 16)
        #expect(abs(after + 16) <= 1, "speech at \(String(format: "%.1f", before)) LUFS came out at \(after) LUFS (gain \(effect.appliedGainDB) dB)")
        #expect(effect.gainReductionDB == effect.appliedGainDB)
        print(
            "auto-gain: speech at \(String(format: "%.1f", before)) LUFS out at \(String(format: "%.2f", after)) LUFS, gain \(effect.appliedGainDB) dB"
        )
    }

    @Test func silenceAndNoiseUnderTheFreezeThresholdNeverRaiseTheGain() throws {
        let effect = try AutoGainEffect(channels: 1, sampleRate: 48000, maxFrames: 128)
        var noise = Noise(state: 3)
        let quiet = (0..<48000 * 10).map { n in n < 48000 * 5 ? 0 : noise.sample(0.0005) }  // silence, then −66 dBFS hiss
        #expect(try loudness(quiet, from: 5) < -50)
        _ = run(effect, [quiet], block: 128)
        #expect(effect.appliedGainDB == 0, "held at \(effect.appliedGainDB) dB")

        // After speech has set a gain, a long pause holds it: the next word starts at the level the last one ended.
        let talk = try AutoGainEffect(channels: 1, sampleRate: 48000, maxFrames: 128)
        _ = run(talk, [try speech(seconds: 16, level: -30)], block: 128)
        let set = talk.appliedGainDB
        _ = run(talk, [[Float](repeating: 0, count: 48000 * 8)], block: 128)
        #expect(set > 10 && talk.appliedGainDB == set, "\(set) dB then \(talk.appliedGainDB) dB after a pause")
    }

    @Test func theGainMovesNoFasterThanItsSpeeds() throws {
        let effect = try AutoGainEffect(channels: 1, sampleRate: 48000, maxFrames: 128)
        try effect.set("rise", 2)
        _ = run(effect, [try speech(seconds: 3, level: -45)], block: 128)
        #expect(effect.appliedGainDB > 0 && effect.appliedGainDB <= 2 * 3 + 0.01, "\(effect.appliedGainDB) dB after 3 s at 2 dB/s")
    }
}
