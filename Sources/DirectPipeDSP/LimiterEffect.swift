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

    private let window: Int
    private let needed: UnsafeMutablePointer<Float>  // gain each of the last `window` samples needs
    private let minima: UnsafeMutablePointer<Float>  // the window minimum at each of the last `window` samples
    private var minimaSum: Double
    private var position = 0
    private var gain: Float = 1
    private let delay: DelayLine

    public init(channels: Int, sampleRate: Double, maxFrames: Int) {
        window = max(1, Int((Self.lookaheadMilliseconds * sampleRate / 1000).rounded())) + 1
        needed = .allocate(capacity: window)
        needed.initialize(repeating: 1, count: window)
        minima = .allocate(capacity: window)
        minima.initialize(repeating: 1, count: window)
        minimaSum = Double(window)
        delay = DelayLine(channels: channels, length: window - 1)
        super.init(info: Self.info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
    }

    deinit {
        needed.deallocate()
        minima.deallocate()
    }

    public override var latencyFrames: Int { window - 1 }

    public override var reducesGain: Bool { true }

    public override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        let ceiling = decibelsToGain(values.value(0))
        let release = onePoleCoefficient(milliseconds: values.value(1), sampleRate: sampleRate)
        for frame in 0..<frames {
            var peak: Float = 0
            for channel in 0..<channels { peak = max(peak, abs(buffers[channel][frame])) }
            needed[position] = peak > ceiling ? ceiling / peak : 1
            var least: Float = 1
            for index in 0..<window { least = min(least, needed[index]) }
            minimaSum += Double(least) - Double(minima[position])
            minima[position] = least
            position += 1
            if position == window {
                position = 0
                minimaSum = 0  // re-add from scratch once per window: no drift from rounding
                for index in 0..<window { minimaSum += Double(minima[index]) }
            }
            let smooth = Float(minimaSum / Double(window))
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
        needed.update(repeating: 1, count: window)
        minima.update(repeating: 1, count: window)
        minimaSum = Double(window)
        gain = 1
        delay.clear()
    }
}
