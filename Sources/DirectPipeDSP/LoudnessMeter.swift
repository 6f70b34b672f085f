import CEBUR128
import Foundation

/// Loudness as EBU R 128 (ITU-R BS.1770-4) reads it, what streamers watch: momentary (400 ms), short-term (3 s)
/// and integrated loudness in LUFS, and true peak in dBTP. libebur128 filters the signal (K-weighting) and finds
/// true peaks (4× oversampling); the integrated value is gated here, on every 400 ms block 100 ms apart
/// (−70 LUFS absolute gate, −10 LU relative), from a histogram of the blocks' exact energies in 0.01 LU bins, so
/// that ``resetIntegrated()`` is a clear and nothing is allocated as it grows.
///
/// Real-time safe after `init`: ``add(_:frames:)`` allocates nothing (libebur128 is used without its own
/// integrated mode, whose block list grows with `malloc`). One thread at a time.
/// Unchecked Sendable: libebur128's state and the histogram are add()'s own (one thread at a time).
public final class LoudnessMeter: @unchecked Sendable {
    /// The readings now. Loudness of silence is −∞.
    public struct Reading: Sendable, Equatable {
        public var momentary: Double
        public var shortTerm: Double
        public var integrated: Double
        /// The highest true peak since the last reset, in dBTP.
        public var truePeak: Double
    }

    public let channels: Int
    /// 100 ms blocks measured so far (since the start; a reset does not go back).
    public private(set) var blocks = 0
    /// The highest true peak of the latest ``add(_:frames:)``, linear (the engine holds it for its meters).
    public private(set) var latestTruePeak: Float = 0

    private let state: UnsafeMutablePointer<ebur128_state>
    private let blockFrames: Int
    private var untilBlock: Int
    private var momentary = -Double.infinity
    private var shortTerm = -Double.infinity
    private var integrated = -Double.infinity
    private var highestPeak: Double = 0
    /// Energies and counts of the gated blocks, by loudness from −70 LUFS in 0.01 LU steps (the top bin takes all above).
    private let binCount = 8000
    private let energies: UnsafeMutablePointer<Double>
    private let counts: UnsafeMutablePointer<Int>
    /// 100 ms steps since the start or the last reset: a block counts once all its 400 ms came after the reset.
    private var stepsSinceReset = 0
    private var gatedEnergy: Double = 0
    private var gatedCount = 0

    /// `monoAsDualMono`: a single channel is read as heard from two speakers (BS.1770's dual mono, +3 LU), as a mono
    /// microphone is once OBS or a call puts it in both channels of a stereo stream.
    public init(channels: Int, sampleRate: Double, monoAsDualMono: Bool = false) throws(EffectError) {
        let mode = Int32(EBUR128_MODE_S.rawValue | EBUR128_MODE_TRUE_PEAK.rawValue)
        guard let state = ebur128_init(UInt32(channels), UInt(sampleRate), mode) else {
            throw .failed(effect: "loudness meter", reason: "libebur128 refused \(channels) channels at \(sampleRate) Hz")
        }
        if channels == 1, monoAsDualMono { ebur128_set_channel(state, 0, Int32(EBUR128_DUAL_MONO.rawValue)) }
        self.state = state
        self.channels = channels
        blockFrames = Int((sampleRate / 10).rounded())
        untilBlock = blockFrames
        energies = .allocate(capacity: binCount)
        energies.initialize(repeating: 0, count: binCount)
        counts = .allocate(capacity: binCount)
        counts.initialize(repeating: 0, count: binCount)
    }

    deinit {
        var state: UnsafeMutablePointer<ebur128_state>? = self.state
        ebur128_destroy(&state)
        energies.deallocate()
        counts.deallocate()
    }

    /// The readings now. Real-time safe.
    public var reading: Reading {
        @_noAllocation get {
            let peak = highestPeak
            return Reading(
                momentary: momentary, shortTerm: shortTerm, integrated: integrated,
                truePeak: peak > 0 ? 20 * _unsafePerformance { log10(peak) } : -.infinity)
        }
    }

    /// Measures `frames` interleaved frames. Real-time safe.
    @_noAllocation
    public func add(_ samples: UnsafePointer<Float>, frames: Int) {
        var done = 0
        var peak: Double = 0
        let state = self.state, channels = self.channels
        while done < frames {
            let count = min(frames - done, untilBlock)
            // libebur128 without its integrated mode: filters and interpolators made in init, nothing allocated (the
            // allocation-counting tests run it on the audio thread).
            _unsafePerformance { _ = ebur128_add_frames_float(state, samples + done * channels, count) }
            for channel in 0..<channels {
                var channelPeak: Double = 0
                _unsafePerformance { _ = ebur128_prev_true_peak(state, UInt32(channel), &channelPeak) }
                peak = max(peak, channelPeak)
            }
            done += count
            untilBlock -= count
            if untilBlock == 0 {
                untilBlock = blockFrames
                endBlock()
            }
        }
        latestTruePeak = Float(peak)
        highestPeak = max(highestPeak, peak)
    }

    /// Starts the integrated loudness and the true peak again (a user's "reset"). Real-time safe.
    @_noAllocation
    public func resetIntegrated() {
        energies.update(repeating: 0, count: binCount)
        counts.update(repeating: 0, count: binCount)
        gatedEnergy = 0
        gatedCount = 0
        stepsSinceReset = 0
        integrated = -.infinity
        highestPeak = 0
    }

    /// A 100 ms step: the momentary and short-term loudness, and, once a whole 400 ms block is in, that block
    /// into the integrated loudness.
    @_noAllocation
    private func endBlock() {
        blocks += 1
        stepsSinceReset += 1
        var value: Double = 0
        let state = self.state
        if _unsafePerformance({ ebur128_loudness_momentary(state, &value) }) == 0 { momentary = value }
        if _unsafePerformance({ ebur128_loudness_shortterm(state, &value) }) == 0 { shortTerm = value }
        guard stepsSinceReset >= 4, momentary > -70 else { return }
        let loudness = momentary
        let energy = _unsafePerformance { pow(10, (loudness + 0.691) / 10) }  // libm allocates nothing
        let bin = min(binCount - 1, Int((momentary + 70) * 100))
        energies[bin] += energy
        counts[bin] += 1
        gatedEnergy += energy
        gatedCount += 1
        // The relative gate: blocks more than 10 LU under the absolutely gated mean are left out.
        let mean = gatedEnergy / Double(gatedCount)
        let relative = -0.691 + 10 * _unsafePerformance { log10(mean) } - 10
        var kept: Double = 0
        var keptCount = 0
        let edge = (relative + 70) * 100
        let first = min(binCount, max(0, Int(edge) + (Double(Int(edge)) < edge ? 1 : 0)))  // the bin at or above the gate
        for index in first..<binCount {
            kept += energies[index]
            keptCount += counts[index]
        }
        let gated = kept / Double(keptCount)
        integrated = keptCount > 0 ? -0.691 + 10 * _unsafePerformance { log10(gated) } : -.infinity
    }
}
