/// Gain/trim: a level change in dB, smoothed.
/// Unchecked Sendable: AudioEffect's contract: the gain ramp is process()'s own (audio thread); parameters arrive as atomics.
public final class GainEffect: AudioEffect, @unchecked Sendable {
    public static let info = EffectInfo(
        id: "gain", name: "Gain", format: .builtin, audioInputs: 2, audioOutputs: 2,
        parameters: [EffectParameter("gain", "Gain", -60, 24, default: 0, unit: "dB")], category: "Utility")

    private var gain: SmoothedValue
    private var started = false

    public init(channels: Int, sampleRate: Double, maxFrames: Int) {
        gain = SmoothedValue(1, sampleRate: sampleRate)
        super.init(info: Self.info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        gain.jump(to: decibelsToGain(values.value(0)))
    }

    public override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        gain.target = decibelsToGain(values.value(0))
        if !started { gain.jump(to: gain.target) }  // the first block starts where the parameters were set
        started = true
        for frame in 0..<frames {
            let g = gain.next()
            for channel in 0..<channels { buffers[channel][frame] *= g }
        }
    }
}
