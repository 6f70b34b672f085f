/// A gate driven by a noise remover's voice probability rather than by level: open while the model hears voice
/// and for `hold` after, closed (silence) otherwise. It decides once per model frame, on the probability of the
/// frame it is about to play, so a word's first frame passes whole (a level gate's usual fault is chopping it);
/// it opens in 1 ms and closes over 20 ms. A threshold of 0 leaves it open.
public struct VoiceActivityGate: Sendable {
    private let openStep: Float
    private let closeStep: Float
    private let framesPerSecond: Float
    private var gain: Float = 1
    private var holdLeft = 0
    private var target: Float = 1

    /// A gate for frames of `frameSize` samples at `sampleRate`.
    public init(frameSize: Int, sampleRate: Double) {
        openStep = Float(1 / (0.001 * sampleRate))
        closeStep = Float(1 / (0.020 * sampleRate))
        framesPerSecond = Float(sampleRate) / Float(frameSize)
    }

    /// Applies the gate to one frame in place, deciding on `probability` (0…1): open at or above `threshold`,
    /// and for `holdSeconds` after.
    @inline(__always)
    public mutating func process(_ frame: UnsafeMutablePointer<Float>, count: Int, probability: Float, threshold: Float, holdSeconds: Float) {
        if threshold <= 0 || probability >= threshold {
            target = 1
            holdLeft = Int(holdSeconds * framesPerSecond)
        } else if holdLeft > 0 {
            holdLeft -= 1
        } else {
            target = 0
        }
        if gain == target, gain == 1 { return }
        for index in 0..<count {
            gain = target > gain ? min(target, gain + openStep) : max(target, gain - closeStep)
            frame[index] *= gain
        }
    }

    /// Open, as at the start.
    public mutating func reset() {
        gain = 1
        target = 1
        holdLeft = 0
    }
}
