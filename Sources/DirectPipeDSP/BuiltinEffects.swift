/// The effects DirectPipe has without any plugin: their descriptions and a
/// way to make one by id.
public enum BuiltinEffects {
    public static let all: [EffectInfo] = [
        GainEffect.info, PassFilterEffect.info(.highPass), PassFilterEffect.info(.lowPass), EqualizerEffect.info,
        GateEffect.info, CompressorEffect.info, DeEsserEffect.info, LimiterEffect.info, NoiseSuppressorEffect.info,
        RNNoiseEffect.info, DeepFilterEffect.info, AutoGainEffect.info,
    ]

    public static func info(_ id: String) -> EffectInfo? { all.first { $0.id == id } }

    /// A new instance of built-in `id`, for `channels` channels at `sampleRate`, in blocks of at most `maxFrames`.
    /// `live`: for the engine (a model that cannot keep to the audio thread runs on a worker) rather than offline;
    /// `periodFrames`: the engine's period, live.
    public static func make(
        _ id: String, channels: Int, sampleRate: Double, maxFrames: Int, live: Bool = false, periodFrames: Int = 480
    ) throws(EffectError) -> AudioEffect {
        switch id {
        case "gain": GainEffect(channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        case "highpass": PassFilterEffect(.highPass, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        case "lowpass": PassFilterEffect(.lowPass, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        case "eq": EqualizerEffect(channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        case "gate": GateEffect(channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        case "compressor": CompressorEffect(channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        case "deesser": DeEsserEffect(channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        case "limiter": LimiterEffect(channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        case "denoise": try NoiseSuppressorEffect(channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        case "rnnoise": try RNNoiseEffect(channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        case "deepfilter":
            try DeepFilterEffect(channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, live: live, periodFrames: periodFrames)
        case "autogain": try AutoGainEffect(channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        default: throw .unknownEffect(id)
        }
    }
}
