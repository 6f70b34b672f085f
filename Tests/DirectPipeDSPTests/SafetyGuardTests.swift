import DirectPipeDSP
import Foundation
import Testing

/// The safety guard before every output: nothing above the ceiling, ever, with no latency; loud passages turned
/// down rather than clipped; below the ceiling, the signal untouched.
@Suite struct SafetyGuardTests {
    private let ceiling = decibelsToGain(-1)

    private func guarded(_ input: [Float], channels: Int = 2, blockFrames: Int = 128) -> (output: [Float], lowest: Float) {
        var safetyGuard = SafetyGuard(sampleRate: 48000)
        var output = input
        var lowest: Float = 1
        output.withUnsafeMutableBufferPointer { samples in
            inBlocks(of: blockFrames, frames: samples.count / channels) { frame, count in
                lowest = min(
                    lowest, safetyGuard.process(samples.baseAddress! + frame * channels, frames: count, channels: channels, ceiling: ceiling))
            }
        }
        return (output, lowest)
    }

    private func sine(amplitude: Float, hertz: Double = 1000, seconds: Double = 1, channels: Int = 2) -> [Float] {
        (0..<Int(48000 * seconds)).flatMap { n in
            [Float](repeating: amplitude * Float(sin(2 * Double.pi * hertz * Double(n) / 48000)), count: channels)
        }
    }

    @Test func noSampleEverPassesTheCeiling() {
        var generator = SystemRandomNumberGenerator()
        let wild = (0..<96000).map { _ in Float.random(in: -4...4, using: &generator) }
        let (output, lowest) = guarded(wild)
        let peak = output.map(abs).max() ?? 0
        #expect(peak <= ceiling, "peak \(peak) over the ceiling \(ceiling)")
        #expect(lowest < 0.3, "it turned the signal down: lowest gain \(lowest)")
    }

    /// Sweeps, bursts and spikes, the shapes that catch a guard out: a 20 Hz–20 kHz sweep at +6 dBFS, tone bursts
    /// from silence at +12 dBFS, and single-sample +20 dB spikes on a tone just under the ceiling, in blocks of odd sizes.
    @Test func sweepsBurstsAndSpikesNeverPassTheCeiling() {
        for (name, signal) in guardTorture(burstRadians: 0.3) {
            for block in [1, 37, 128, 1024] {
                let stereo = signal.flatMap { [$0, -$0 * 0.5] }
                let peak = guarded(stereo, blockFrames: block).output.map(abs).max() ?? 0
                #expect(peak <= ceiling, "\(name) in blocks of \(block): peak \(peak) over \(ceiling)")
            }
        }
    }

    /// A sine at +6 dBFS comes out as the same sine turned down (the gain holds across its cycles), not clipped flat:
    /// within 1 % of the ideal (the input × ceiling/2) at every sample. A zero-latency guard cannot see a crest
    /// coming, so the few samples around each crest meet the ceiling by a gain that is a hair lower there.
    @Test func aLoudToneIsTurnedDownNotClipped() {
        let loud = sine(amplitude: 2)
        let (output, _) = guarded(loud)
        let skip = 48000 / 5 * 2  // after 0.2 s
        let settled = Array(output.dropFirst(skip)), ideal = loud.dropFirst(skip).map { $0 * ceiling / 2 }
        let peak = settled.map(abs).max() ?? 0
        #expect(peak <= ceiling && peak > 0.99 * ceiling, "peak \(peak)")
        let worst = zip(settled, ideal).map { abs($0 - $1) }.max() ?? .infinity
        #expect(worst < 0.01 * ceiling, "\(worst) from the ideal turned-down sine")
    }

    @Test func belowTheCeilingTheSignalIsUntouchedBitForBit() {
        let quiet = sine(amplitude: 0.5)
        let (output, lowest) = guarded(quiet)
        #expect(output == quiet && lowest == 1)
    }

    /// After a burst, the gain comes back to unity and the signal passes untouched again.
    @Test func afterABurstItLetsGoCompletely() {
        let burst = sine(amplitude: 3, seconds: 0.05), quiet = sine(amplitude: 0.5, seconds: 2)
        let (output, _) = guarded(burst + quiet)
        let tail = Array(output.suffix(48000))  // the last second
        #expect(tail == Array(quiet.suffix(48000)), "released: the last second is the input")
    }

    /// Channels are linked: a peak on the left turns the right down as much (the image does not shift).
    @Test func channelsAreTurnedDownTogether() {
        let left = sine(amplitude: 2, channels: 1), right = sine(amplitude: 0.25, hertz: 300, channels: 1)
        let stereo = zip(left, right).flatMap { [$0, $1] }
        let (output, _) = guarded(stereo)
        let index = 24000 + 12  // a frame half a second in
        let leftGain = output[index * 2] / stereo[index * 2], rightGain = output[index * 2 + 1] / stereo[index * 2 + 1]
        #expect(abs(leftGain - rightGain) < 1e-4 && leftGain < 0.6, "left ×\(leftGain), right ×\(rightGain)")
    }
}
