import Foundation

/// The safety guard's true-peak mode: keeps the output's true peak (the peaks between samples a DAC or a lossy
/// encoder reconstructs, read 4× oversampled as EBU R 128 meters do) under the ceiling, at the cost of a short
/// lookahead (1 ms). The sample-peak guard (``SafetyGuard``) has no latency but lets a waveform whose samples sit at
/// the ceiling peak up to 3 dB above it between them.
///
/// Each interval between two samples is read at the samples and at three points between them (a 12-tap windowed-sinc
/// interpolator per point, as long as libebur128's); a sample needs the gain the loudest interval whose reading it
/// takes part in needs; that gain is held at its minimum over a window and averaged over the same window
/// (``LookaheadGain``, as ``LimiterEffect`` does for samples), so it ramps down before the peak and is flat across
/// it, then released slowly. A final clamp keeps
/// every sample within the ceiling too. Channels are linked. Off (``process(_:frames:ceiling:)`` with an infinite
/// ceiling), it still delays by its latency, so switching it off or on never moves the output in time.
///
/// A final class with raw buffers of its own, real-time safe: the engine makes one when asked for and runs it on the
/// audio thread.
public final class TruePeakGuard: @unchecked Sendable {
    /// The lookahead, and so the latency it adds to every output.
    public static let lookaheadMilliseconds = 1.0
    /// Points read between two samples (4× oversampling, as BS.1770's true-peak meter).
    static let oversampling = 4
    /// Taps of the interpolator for each point: the interval m…m+1 is read from samples m − (taps/2 − 1) … m + taps/2.
    static let taps = 12
    static let half = taps / 2
    /// Frames from the newest sample to the oldest one the newest readable interval (m = newest − taps/2) involves.
    static let analysisDelay = taps - 1

    /// The gain aims this far under the ceiling (−0.2 dB): two 4× readings of the same samples (ours, a meter's)
    /// differ by up to about a tenth of a dB on noise that reaches the top of the band (0.12 dB seen over 30 seeds).
    static let margin: Float = 0.97724

    /// Frames every output is delayed by.
    public let latencyFrames: Int
    private let channels: Int
    /// The last `latencyFrames + 1` input frames of each channel (channel-major), the output read from the oldest.
    private let history: UnsafeMutablePointer<Float>
    private let historyLength: Int
    private var newest = 0
    /// The interpolator: `oversampling − 1` points, `taps` coefficients each.
    private let kernel: UnsafeMutablePointer<Float>
    /// The true peak of the last `taps` intervals (all channels), newest at `intervalPosition`.
    private let intervals: UnsafeMutablePointer<Float>
    private var intervalPosition = 0
    private var lookahead: LookaheadGain
    private var gain: Float = 1
    private let release: Float

    /// The gain now (1: not reducing).
    public var currentGain: Float { gain }

    public init(channels: Int, sampleRate: Double, releaseSeconds: Double = 0.06) {
        self.channels = channels
        latencyFrames = max(TruePeakGuard.analysisDelay + 8, Int((TruePeakGuard.lookaheadMilliseconds * sampleRate / 1000).rounded()))
        historyLength = latencyFrames + 1
        history = .allocate(capacity: channels * historyLength)
        history.initialize(repeating: 0, count: channels * historyLength)
        kernel = .allocate(capacity: (TruePeakGuard.oversampling - 1) * TruePeakGuard.taps)
        for point in 1..<TruePeakGuard.oversampling {
            let fraction = Double(point) / Double(TruePeakGuard.oversampling)
            var sum = 0.0
            var row = [Double](repeating: 0, count: TruePeakGuard.taps)
            for tap in 0..<TruePeakGuard.taps {
                // Tap k weighs sample m − (half − 1) + k, at distance t from the point m + fraction.
                let t = fraction - Double(tap - (TruePeakGuard.half - 1))
                let sinc = sin(Double.pi * t) / (Double.pi * t)
                let hann = 0.5 * (1 + cos(Double.pi * t / (Double(TruePeakGuard.half) + 0.5)))
                row[tap] = sinc * hann
                sum += row[tap]
            }
            for tap in 0..<TruePeakGuard.taps { kernel[(point - 1) * TruePeakGuard.taps + tap] = Float(row[tap] / sum) }  // unity at DC
        }
        intervals = .allocate(capacity: TruePeakGuard.taps)
        intervals.initialize(repeating: 0, count: TruePeakGuard.taps)
        lookahead = LookaheadGain(window: latencyFrames - TruePeakGuard.analysisDelay + 1)
        release = Float(1 - exp(-1 / (releaseSeconds * sampleRate)))
    }

    deinit {
        history.deallocate()
        kernel.deallocate()
        intervals.deallocate()
    }

    /// Guards `frames` interleaved frames of the channels it was made for in place, `latencyFrames` late; returns the
    /// lowest gain it used in them (1: none). An infinite ceiling: delayed only. Real-time safe.
    @_noAllocation
    public func process(_ samples: UnsafeMutablePointer<Float>, frames: Int, ceiling: Float) -> Float {
        let channels = self.channels
        var lowest: Float = 1
        for frame in 0..<frames {
            let first = frame * channels
            newest = newest + 1 == historyLength ? 0 : newest + 1
            var loudest: Float = 0
            for channel in 0..<channels {
                history[channel * historyLength + newest] = samples[first + channel]
                loudest = max(loudest, intervalPeak(channel))
            }
            intervalPosition = intervalPosition + 1 == TruePeakGuard.taps ? 0 : intervalPosition + 1
            intervals[intervalPosition] = loudest
            // The oldest sample the held intervals all involve needs what the loudest of them needs.
            var peak: Float = 0
            for index in 0..<TruePeakGuard.taps { peak = max(peak, intervals[index]) }
            let target = ceiling * TruePeakGuard.margin
            let smooth = lookahead.next(needing: peak > target ? target / peak : 1)
            gain = min(smooth, 1 - (1 - gain) * release)
            if gain > 0.9999, smooth == 1 { gain = 1 }  // as SafetyGuard: unity again once released, bit for bit
            let oldest = newest + 1 == historyLength ? 0 : newest + 1
            for channel in 0..<channels {
                let delayed = history[channel * historyLength + oldest]
                samples[first + channel] = gain < 1 ? min(ceiling, max(-ceiling, delayed * gain)) : delayed
            }
            lowest = min(lowest, gain)
        }
        return lowest
    }

    /// The true peak of `channel`'s newest readable interval (m…m+1, m = newest − taps/2): its two samples and the
    /// three points between them.
    @inline(__always) @_noAllocation
    private func intervalPeak(_ channel: Int) -> Float {
        let base = history + channel * historyLength
        // Sample m − (half − 1) + k is `analysisDelay − k` frames before the newest.
        @inline(__always) func sample(_ tap: Int) -> Float {
            let back = TruePeakGuard.analysisDelay - tap
            return base[newest >= back ? newest - back : newest - back + historyLength]
        }
        var peak = max(abs(sample(TruePeakGuard.half - 1)), abs(sample(TruePeakGuard.half)))
        for point in 0..<(TruePeakGuard.oversampling - 1) {
            var value: Float = 0
            for tap in 0..<TruePeakGuard.taps { value += kernel[point * TruePeakGuard.taps + tap] * sample(tap) }
            peak = max(peak, abs(value))
        }
        return peak
    }
}
