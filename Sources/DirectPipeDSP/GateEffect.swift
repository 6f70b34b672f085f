import Foundation

/// Noise gate and expander: closes when the signal stays under the threshold
/// for longer than `hold`, and opens `lookahead` ahead of the signal (3 ms by
/// default), so the first consonant of a word is never chopped. Closed, it
/// turns the signal down by the expander's `ratio` (each dB under the threshold
/// becomes `ratio` dB) but never by more than `range`; at the top ratio ("∞",
/// the default) it is a plain gate. The detector has 3 dB of hysteresis, so a
/// level hovering at the threshold does not chatter. Latency: the lookahead,
/// set when the gate is built (0 ms: none, for the lowest latency, at the cost
/// of the attack's first milliseconds).
/// Unchecked Sendable: AudioEffect's contract: envelope, hold state and delay line are process()'s own (audio thread).
public final class GateEffect: AudioEffect, @unchecked Sendable {
    public static let info = EffectInfo(
        id: "gate", name: "Noise gate", format: .builtin, audioInputs: 2, audioOutputs: 2,
        parameters: [
            EffectParameter("threshold", "Threshold", -80, 0, default: -45, unit: "dB"),
            EffectParameter("range", "Range", -90, 0, default: -40, unit: "dB"),
            EffectParameter("attack", "Attack", 0.1, 50, default: 1, unit: "ms", logarithmic: true),
            EffectParameter("hold", "Hold", 0, 1000, default: 80, unit: "ms"),
            EffectParameter("release", "Release", 5, 2000, default: 150, unit: "ms", logarithmic: true),
            EffectParameter("ratio", "Expander ratio (100 = gate)", 1, 100, default: 100, unit: ":1", logarithmic: true),
            EffectParameter("lookahead", "Lookahead", 0, 20, default: 3, unit: "ms"),
        ], category: "Dynamics")
    private static let lookahead = 6

    private var delay: DelayLine
    private var gain: Float
    private var holdLeft = 0
    /// The detector's level with a 20 ms release: what the expander's gain follows (not each sample's peak).
    private var envelope: Float = 0
    private let envelopeRelease: Float
    private var isOpen = false

    public init(channels: Int, sampleRate: Double, maxFrames: Int) {
        delay = DelayLine(channels: channels, length: Self.frames(milliseconds: Self.info.parameters[Self.lookahead].defaultValue, sampleRate))
        gain = 0
        envelopeRelease = onePoleCoefficient(milliseconds: 20, sampleRate: sampleRate)
        super.init(info: Self.info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        gain = decibelsToGain(values.value(1))
    }

    public override var latencyFrames: Int { delay.length }
    public override var latencySettingParameters: [Int] { [Self.lookahead] }

    /// Sizes the lookahead as asked (before the gate goes live; later changes build a new gate).
    public override func prepare() {
        let frames = Self.frames(milliseconds: values.value(Self.lookahead), sampleRate)
        if frames != delay.length { delay = DelayLine(channels: channels, length: frames) }
    }

    private static func frames(milliseconds: Float, _ sampleRate: Double) -> Int {
        Int((Double(milliseconds) * sampleRate / 1000).rounded())
    }

    /// Whether the gate was open at the end of the last block (for meters).
    public var open: Bool { isOpen }

    public override var reducesGain: Bool { true }

    public override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        let openLevel = decibelsToGain(values.value(0))
        let closeLevel = openLevel * 0.7079  // −3 dB
        let closedGain = decibelsToGain(values.value(1))
        let attack = onePoleCoefficient(milliseconds: values.value(2), sampleRate: sampleRate)
        let holdFrames = Int(values.value(3) * 0.001 * Float(sampleRate))
        let release = onePoleCoefficient(milliseconds: values.value(4), sampleRate: sampleRate)
        let ratio = values.value(5)
        let isGate = ratio >= 50
        for frame in 0..<frames {
            var level: Float = 0
            for channel in 0..<channels { level = max(level, abs(buffers[channel][frame])) }
            envelope = max(level, envelope * envelopeRelease)
            if level >= openLevel || (isOpen && level >= closeLevel) {
                isOpen = true
                holdLeft = holdFrames
            } else if holdLeft > 0 {
                holdLeft -= 1
            } else {
                isOpen = false
            }
            let target: Float =
                isOpen ? 1 : isGate ? closedGain : max(closedGain, min(1, powf(envelope / openLevel, ratio - 1)))
            gain = target + (gain - target) * (target > gain ? attack : release)
            for channel in 0..<channels { buffers[channel][frame] = delay.push(buffers[channel][frame], channel: channel) * gain }
            delay.advance()
        }
        publishGainReduction(gainToDecibels(gain))
    }

    public override func reset() {
        delay.clear()
        isOpen = false
        holdLeft = 0
        envelope = 0
        gain = decibelsToGain(values.value(1))
    }
}
