/// De-esser: turns down only the band above `frequency` while that band is
/// louder than the threshold (4:1, at most `reduction` dB). The band is split
/// off as high = x − lowpass(x), so low + high is exactly x: with nothing to
/// reduce the signal passes unchanged, and while reducing, the output
/// g·x + (1 − g)·lowpass(x) is a high shelf going down to g.
/// Unchecked Sendable: AudioEffect's contract: band filter, `high` buffer and envelope are process()'s own (audio thread).
public final class DeEsserEffect: AudioEffect, @unchecked Sendable {
    public static let info = EffectInfo(
        id: "deesser", name: "De-esser", format: .builtin, audioInputs: 2, audioOutputs: 2,
        parameters: [
            EffectParameter("frequency", "Frequency", 2000, 16000, default: 6000, unit: "Hz", logarithmic: true),
            EffectParameter("threshold", "Threshold", -60, 0, default: -30, unit: "dB"),
            EffectParameter("reduction", "Maximum reduction", 0, 24, default: 8, unit: "dB"),
        ], category: "Dynamics")

    private let band: BiquadCascade
    private let high: PlanarBuffer
    private var designed: Float = 0
    private var envelope: Float = 0
    private let attack: Float
    private let release: Float

    public init(channels: Int, sampleRate: Double, maxFrames: Int) {
        band = BiquadCascade(channels: channels, sections: 1)
        high = PlanarBuffer(channels: channels, capacity: maxFrames)
        attack = onePoleCoefficient(milliseconds: 1, sampleRate: sampleRate)
        release = onePoleCoefficient(milliseconds: 60, sampleRate: sampleRate)
        super.init(info: Self.info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
    }

    public override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        let frequency = values.value(0)
        if frequency != designed {
            designed = frequency
            band.coefficients[0] = .lowPass(Double(frequency), q: 0.7071, sampleRate: sampleRate)
        }
        let threshold = values.value(1), most = values.value(2)
        high.copy(from: buffers, frames: frames)
        band.process(high.pointers, offset: 0, frames: frames, sections: 1)
        for channel in 0..<channels {
            for frame in 0..<frames { high[channel][frame] = buffers[channel][frame] - high[channel][frame] }
        }
        for frame in 0..<frames {
            var level: Float = 0
            for channel in 0..<channels { level = max(level, abs(high[channel][frame])) }
            envelope = level + (envelope - level) * (level > envelope ? attack : release)
            let over = gainToDecibels(envelope) - threshold
            guard over > 0 else { continue }
            let g = decibelsToGain(-min(over * 0.75, most)) - 1
            for channel in 0..<channels { buffers[channel][frame] += g * high[channel][frame] }
        }
    }

    public override func reset() {
        band.clear()
        envelope = 0
    }
}
