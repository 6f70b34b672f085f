import DirectPipeDSP
import Foundation
import Testing

/// The guard's true-peak mode: the output's true peak, as an EBU R 128 meter reads it (libebur128's, not our own
/// interpolator), never above the ceiling; a constant 1 ms delay; below the ceiling the signal only delayed.
@Suite struct TruePeakGuardTests {
    private let ceiling = decibelsToGain(-1)

    private func guarded(_ input: [Float], channels: Int = 2, blockFrames: Int = 128, ceiling: Float? = nil) -> (output: [Float], lowest: Float) {
        let guardStage = TruePeakGuard(channels: channels, sampleRate: 48000)
        var output = input
        var lowest: Float = 1
        let limit = ceiling ?? self.ceiling
        output.withUnsafeMutableBufferPointer { samples in
            inBlocks(of: blockFrames, frames: samples.count / channels) { frame, count in
                lowest = min(lowest, guardStage.process(samples.baseAddress! + frame * channels, frames: count, ceiling: limit))
            }
        }
        return (output, lowest)
    }

    /// libebur128's true peak of interleaved `samples`, in dBTP.
    private func truePeak(_ samples: [Float], channels: Int = 2) throws -> Double {
        let meter = try LoudnessMeter(channels: channels, sampleRate: 48000)
        samples.withUnsafeBufferPointer { meter.add($0.baseAddress!, frames: samples.count / channels) }
        return meter.reading.truePeak
    }

    /// A quarter of the sample rate at 45°: every sample is ±0.707 of the wave's crest, so a waveform whose samples
    /// sit at the ceiling peaks 3 dB above it between them — the case the sample-peak guard cannot see.
    private func quarterRate(crest: Float, frames: Int = 48000) -> [Float] {
        (0..<frames).flatMap { n in
            let value = crest * Float(sin(Double.pi / 2 * Double(n) + Double.pi / 4))
            return [value, value]
        }
    }

    @Test func itsLatencyIsOneMillisecondAndBelowTheCeilingItOnlyDelays() {
        let guardStage = TruePeakGuard(channels: 2, sampleRate: 48000)
        #expect(guardStage.latencyFrames == 48)
        #expect(TruePeakGuard(channels: 1, sampleRate: 96000).latencyFrames == 96)
        let quiet = (0..<9600).flatMap { n in [0.5 * Float(sin(Double(n) * 0.05)), 0.3 * Float(cos(Double(n) * 0.011))] }
        for ceiling: Float? in [nil, .infinity] {
            let (output, lowest) = guarded(quiet, blockFrames: 37, ceiling: ceiling)
            #expect(lowest == 1)
            #expect(Array(output.dropFirst(96)) == Array(quiet.dropLast(96)), "the input 48 frames late, bit for bit")
            #expect(output.prefix(96).allSatisfy { $0 == 0 })
        }
        let loud = quarterRate(crest: 4)
        let (off, offLowest) = guarded(loud, ceiling: .infinity)
        #expect(offLowest == 1 && Array(off.dropFirst(96)) == Array(loud.dropLast(96)), "off: delayed only, never turned down")
    }

    /// The sample-peak guard passes samples at the ceiling whose true peak is 3 dB over it; this one brings the true
    /// peak under the ceiling.
    @Test func interSamplePeaksStayUnderTheCeiling() throws {
        let atCeiling = quarterRate(crest: ceiling / 0.7071)
        var samplePeakGuard = SafetyGuard(sampleRate: 48000)
        var sampleGuarded = atCeiling
        _ = sampleGuarded.withUnsafeMutableBufferPointer {
            samplePeakGuard.process($0.baseAddress!, frames: $0.count / 2, channels: 2, ceiling: ceiling)
        }
        let before = try truePeak(sampleGuarded)
        #expect(before > -1 + 2.5, "the sample-peak guard leaves \(before) dBTP")
        let after = try truePeak(guarded(atCeiling).output)
        #expect(after <= -1, "\(after) dBTP")
        #expect(after > -1 - 0.5, "turned down to the ceiling, not far below it: \(after) dBTP")
    }

    /// Sweeps, bursts, +20 dB spikes and wild noise (up to the top of the band, where 4× readings differ most), in blocks
    /// of odd sizes: the meter's true peak stays under the ceiling and no sample passes it.
    @Test func sweepsBurstsAndSpikesKeepTheirTruePeakUnderTheCeiling() throws {
        var noise = Noise(state: 13)  // of 30 seeds, the one our reading and the meter's differed on most
        let wild = (0..<96000).map { _ in noise.sample(4) }
        for (name, signal) in guardTorture(burstRadians: 1.4) + [("noise", wild)] {
            for block in [1, 37, 1024] {
                let stereo = signal.flatMap { [$0, -$0 * 0.5] }
                let (output, lowest) = guarded(stereo, blockFrames: block)
                let peak = try truePeak(output)
                #expect(peak <= -1, "\(name) in blocks of \(block): \(peak) dBTP")
                #expect((output.map(abs).max() ?? 0) <= ceiling && lowest < 1)
            }
        }
    }
}
