import DirectPipeDSP
import Foundation
import Testing

/// The loudness meter on EBU Tech 3341's minimum-requirement signals (generated here: stereo 1 kHz sines at the
/// levels and durations the document gives), each within its ±0.1 LU, and true peak on an inter-sample peak.
@Suite struct LoudnessMeterTests {
    /// Stereo 1 kHz sine segments (dBFS, seconds), one after another, into a meter at 48 kHz in 128-frame blocks.
    func measure(_ segments: [(level: Double, seconds: Double)], into meter: LoudnessMeter? = nil) throws -> LoudnessMeter {
        let meter = try meter ?? LoudnessMeter(channels: 2, sampleRate: 48000)
        var phase = 0.0
        var block = [Float](repeating: 0, count: 256)
        for (level, seconds) in segments {
            let amplitude = pow(10, level / 20)
            var left = Int(seconds * 48000)
            while left > 0 {
                let frames = min(128, left)
                for frame in 0..<frames {
                    let sample = Float(amplitude * sin(phase))
                    phase += 2 * Double.pi * 1000 / 48000
                    block[2 * frame] = sample
                    block[2 * frame + 1] = sample
                }
                block.withUnsafeBufferPointer { meter.add($0.baseAddress!, frames: frames) }
                left -= frames
            }
        }
        return meter
    }

    @Test func caseOneAndTwoSteadySinesReadTheirLevelEverywhere() throws {
        for level in [-23.0, -33.0] {
            let reading = try measure([(level, 20)]).reading
            for (name, value) in [("momentary", reading.momentary), ("short-term", reading.shortTerm), ("integrated", reading.integrated)] {
                #expect(abs(value - level) <= 0.1, "\(name) \(value) for a \(level) dBFS sine")
            }
        }
    }

    @Test func casesThreeToFiveTheGatesKeepTheIntegratedAtMinus23() throws {
        let cases: [[(Double, Double)]] = [
            [(-36, 10), (-23, 60), (-36, 10)],
            [(-72, 10), (-36, 10), (-23, 60), (-36, 10), (-72, 10)],
            [(-26, 20), (-20, 20.1), (-26, 20)],
        ]
        for (index, segments) in cases.enumerated() {
            let integrated = try measure(segments).reading.integrated
            #expect(abs(integrated + 23) <= 0.1, "Tech 3341 case \(index + 3): \(integrated) LUFS")
        }
    }

    @Test func aResetStartsTheIntegratedLoudnessAndTruePeakAgain() throws {
        let meter = try measure([(-20, 10)])
        #expect(abs(meter.reading.integrated + 20) <= 0.1)
        meter.resetIntegrated()
        #expect(meter.reading.integrated == -.infinity && meter.reading.truePeak == -.infinity)
        _ = try measure([(-30, 10)], into: meter)
        #expect(abs(meter.reading.integrated + 30) <= 0.1, "only what came after the reset: \(meter.reading.integrated)")
    }

    /// A mono −23 dBFS sine: −26.0 LUFS as one channel, −23.0 as dual mono (what a stereo stream carrying it reads).
    @Test func monoReadsAsOneChannelOrAsDualMono() throws {
        let sine = (0..<48000 * 5).map { Float(pow(10, -23.0 / 20) * sin(2 * Double.pi * 1000 * Double($0) / 48000)) }
        for (dualMono, expected) in [(false, -26.01), (true, -23.0)] {
            let meter = try LoudnessMeter(channels: 1, sampleRate: 48000, monoAsDualMono: dualMono)
            sine.withUnsafeBufferPointer { meter.add($0.baseAddress!, frames: $0.count) }
            #expect(abs(meter.reading.integrated - expected) <= 0.1, "dual mono \(dualMono): \(meter.reading.integrated)")
        }
    }

    @Test func truePeakFindsThePeakBetweenSamples() throws {
        // A quarter-rate sine 45° off the samples: every sample is at 0.354, the wave peaks at 0.5 between them.
        let meter = try LoudnessMeter(channels: 1, sampleRate: 48000)
        let samples = (0..<48000).map { Float(0.5 * sin(Double.pi / 2 * Double($0) + Double.pi / 4)) }
        samples.withUnsafeBufferPointer { meter.add($0.baseAddress!, frames: $0.count) }
        #expect(samples.map(abs).max()! < 0.36)
        #expect(abs(meter.reading.truePeak - 20 * log10(0.5)) <= 0.2, "true peak \(meter.reading.truePeak) dBTP")
    }
}
