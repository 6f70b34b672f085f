/// Limiter ("safety guard"): the output never goes above the ceiling.
///
/// A lookahead limiter: the gain each sample needs is taken as the minimum
/// over the lookahead window, then averaged over the same window — a smooth
/// gain that is provably never more than what any sample in the window
/// needs — then released slowly; a final clamp catches float rounding.
/// Channels are linked. Latency: the lookahead (1.5 ms).
/// Unchecked Sendable: AudioEffect's contract: lookahead buffers (raw, freed in deinit) and gain are process()'s own (audio thread).
public final class LimiterEffect: AudioEffect, @unchecked Sendable {
    public static let lookaheadMilliseconds: Double = 1.5
    public static let info = EffectInfo(
        id: "limiter", name: "Limiter (safety guard)", format: .builtin, audioInputs: 2, audioOutputs: 2,
        parameters: [
            EffectParameter("ceiling", "Ceiling", -24, 0, default: -1, unit: "dB"),
            EffectParameter("release", "Release", 1, 1000, default: 60, unit: "ms", logarithmic: true),
        ], category: "Dynamics")

    private var lookahead: LookaheadGain
    private var gain: Float = 1
    private let delay: DelayLine

    public init(channels: Int, sampleRate: Double, maxFrames: Int) {
        lookahead = LookaheadGain(window: max(1, Int((Self.lookaheadMilliseconds * sampleRate / 1000).rounded())) + 1)
        delay = DelayLine(channels: channels, length: lookahead.window - 1)
        super.init(info: Self.info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
    }

    public override var latencyFrames: Int { lookahead.window - 1 }

    public override var reducesGain: Bool { true }

    public override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        let ceiling = decibelsToGain(values.value(0))
        let release = onePoleCoefficient(milliseconds: values.value(1), sampleRate: sampleRate)
        for frame in 0..<frames {
            var peak: Float = 0
            for channel in 0..<channels { peak = max(peak, abs(buffers[channel][frame])) }
            let smooth = lookahead.next(needing: peak > ceiling ? ceiling / peak : 1)
            gain = min(smooth, 1 - (1 - gain) * release)
            for channel in 0..<channels {
                let y = delay.push(buffers[channel][frame], channel: channel) * gain
                buffers[channel][frame] = min(max(y, -ceiling), ceiling)
            }
            delay.advance()
        }
        publishGainReduction(gainToDecibels(gain))
    }

    public override func reset() {
        lookahead.reset()
        gain = 1
        delay.clear()
    }
}
