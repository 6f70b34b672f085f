import CSpeexDSP

/// Noise suppression with speexdsp's preprocessor (spectral subtraction with
/// a noise estimate that adapts), one state per channel, at the chain's rate.
/// speexdsp works on 16-bit frames of 10 ms: latency 10 ms.
/// Unchecked Sendable: AudioEffect's contract: speexdsp states and raw buffers (freed in deinit) are process()'s own (audio thread).
public final class NoiseSuppressorEffect: AudioEffect, @unchecked Sendable {
    public static let info = EffectInfo(
        id: "denoise", name: "Noise suppression", format: .builtin, audioInputs: 2, audioOutputs: 2,
        parameters: [EffectParameter("suppression", "Suppression", -70, -1, default: -30, unit: "dB")],
        author: "speexdsp", category: "Restoration")

    private let frameSize: Int
    private let states: UnsafeMutablePointer<OpaquePointer?>
    private let input: UnsafeMutablePointer<Float>  // channels × frameSize, collecting
    private let output: UnsafeMutablePointer<Float>  // channels × frameSize, playing out
    private let scratch: UnsafeMutablePointer<Int16>
    private var position = 0
    private var applied: Float = 0

    public init(channels: Int, sampleRate: Double, maxFrames: Int) throws(EffectError) {
        frameSize = Int(sampleRate / 100)
        states = .allocate(capacity: channels)
        states.initialize(repeating: nil, count: channels)
        input = .allocate(capacity: channels * frameSize)
        input.initialize(repeating: 0, count: channels * frameSize)
        output = .allocate(capacity: channels * frameSize)
        output.initialize(repeating: 0, count: channels * frameSize)
        scratch = .allocate(capacity: frameSize)
        super.init(info: Self.info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        for channel in 0..<channels {
            let state = speex_preprocess_state_init(Int32(frameSize), Int32(sampleRate))
            states[channel] = state
            guard state != nil else { throw .failed(effect: info.id, reason: "speexdsp refused \(sampleRate) Hz") }
            var on: Int32 = 1, off: Int32 = 0
            speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_DENOISE, &on)
            speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_AGC, &off)
            speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_VAD, &off)
            speex_preprocess_ctl(state, SPEEX_PREPROCESS_SET_DEREVERB, &off)
        }
        applySuppression()
    }

    deinit {
        for channel in 0..<channels where states[channel] != nil { speex_preprocess_state_destroy(states[channel]) }
        states.deallocate()
        input.deallocate()
        output.deallocate()
        scratch.deallocate()
    }

    public override var latencyFrames: Int { frameSize }

    public override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        if values.value(0) != applied { applySuppression() }
        for frame in 0..<frames {
            for channel in 0..<channels {
                let slot = channel * frameSize + position
                input[slot] = buffers[channel][frame]
                buffers[channel][frame] = output[slot]
            }
            position += 1
            if position == frameSize {
                position = 0
                for channel in 0..<channels { suppress(channel) }
            }
        }
    }

    private func suppress(_ channel: Int) {
        let samples = input + channel * frameSize
        for index in 0..<frameSize { scratch[index] = Int16(max(-32768, min(32767, (samples[index] * 32768).rounded()))) }
        speex_preprocess_run(states[channel], scratch)
        let target = output + channel * frameSize
        for index in 0..<frameSize { target[index] = Float(scratch[index]) / 32768 }
    }

    private func applySuppression() {
        applied = values.value(0)
        var decibels = Int32(applied.rounded())
        for channel in 0..<channels { speex_preprocess_ctl(states[channel], SPEEX_PREPROCESS_SET_NOISE_SUPPRESS, &decibels) }
    }

    public override func reset() {
        input.update(repeating: 0, count: channels * frameSize)
        output.update(repeating: 0, count: channels * frameSize)
        position = 0
    }
}
