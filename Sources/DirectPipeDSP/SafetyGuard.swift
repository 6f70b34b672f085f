import Foundation

/// The last stage before an output: keeps every sample within ±ceiling with no latency. The gain drops at once to
/// what a frame needs (channels linked) and comes back smoothly (release), so a peak is turned down rather than
/// clipped; a final clamp makes "never above the ceiling" hold sample for sample, float rounding included. Below
/// the ceiling, once released, it passes the signal bit for bit (×1).
///
/// A value type with no storage of its own beyond its state: the engine keeps one per destination and runs it on
/// the audio thread.
public struct SafetyGuard: Sendable {
    /// Per-sample approach to unity after a reduction (a time constant of `releaseSeconds`).
    @usableFromInline let release: Float
    @usableFromInline var current: Float = 1
    /// The gain now (1: not reducing).
    public var gain: Float { current }

    public init(sampleRate: Double, releaseSeconds: Double = 0.06) {
        release = Float(1 - exp(-1 / (releaseSeconds * sampleRate)))
    }

    /// Guards `frames` interleaved frames of `channels` in place; returns the lowest gain it used in them (1: none).
    /// Inlinable: the engine's audio thread calls it under `@_noAllocation`, which must see its body.
    @inlinable
    public mutating func process(_ samples: UnsafeMutablePointer<Float>, frames: Int, channels: Int, ceiling: Float) -> Float {
        var lowest: Float = 1
        var gain = current
        for frame in 0..<frames {
            let first = frame * channels
            var peak: Float = 0
            for channel in 0..<channels { peak = max(peak, abs(samples[first + channel])) }
            let needed: Float = peak > ceiling ? ceiling / peak : 1
            gain = min(needed, gain + (1 - gain) * release)
            if gain < 1 {
                for channel in 0..<channels {
                    samples[first + channel] = min(ceiling, max(-ceiling, samples[first + channel] * gain))
                }
            }
            lowest = min(lowest, gain)
        }
        // Within 0.001 dB of unity is unity: in Float the release stalls a little short of 1 (its steps fall below
        // the spacing of floats there), and below the ceiling the signal then passes untouched again.
        current = gain > 0.9999 ? 1 : gain
        return lowest
    }
}
