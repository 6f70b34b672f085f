import DirectPipeDSP
import DirectPipeEngine
import DirectPipePlugins

/// The run's effects chain from its source (a chain file, or "voice"), built off the audio thread in the
/// engine's format: live plugins, scheduled work on worker threads, blocks up to the engine's largest period.
public enum ChainLoader {
    /// The factory for live chains in the engine's format.
    public static func factory(_ format: EngineFormat) -> EffectFactory {
        EffectFactory(
            channels: format.outputChannels, sampleRate: Double(format.sampleRate), maxFrames: EngineFormat.maxPeriodFrames, liveWorker: true,
            periodFrames: format.periodFrames)
    }

    /// `source`'s chain description: "voice", or a chain file's (the error names the file and what is wrong).
    /// `warn` hears what the user should know (the voice chain without RNNoise).
    public static func description(of source: String, warn: (String) -> Void = { _ in }) throws -> ChainDescription {
        guard source == "voice" else { return try ChainDescription(contentsOf: source) }
        let voice = VoiceChain.best()
        if let warning = voice.warning { warn(warning) }
        return voice.chain
    }

    /// What the chain is, for the log: where it came from, its effects and latency.
    public static func describe(_ chain: EffectChain, from source: String) -> String {
        let names = chain.slots.map(\.effect.info.id).joined(separator: " → ")
        return "\(source): \(names.isEmpty ? "empty" : names), latency \(chain.latencyFrames) frames"
    }
}
