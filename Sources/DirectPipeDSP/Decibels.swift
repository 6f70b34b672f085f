import Foundation

/// dB ↔ linear gain (amplitude).
@inline(__always)
public func decibelsToGain(_ decibels: Float) -> Float { powf(10, decibels / 20) }

@inline(__always)
public func gainToDecibels(_ gain: Float) -> Float { 20 * log10f(max(gain, 1e-12)) }

/// The per-sample coefficient of a one-pole smoother reaching 1 − 1/e of a step in `milliseconds`.
@inline(__always)
public func onePoleCoefficient(milliseconds: Float, sampleRate: Double) -> Float {
    milliseconds <= 0 ? 0 : expf(-1 / (milliseconds * 0.001 * Float(sampleRate)))
}
