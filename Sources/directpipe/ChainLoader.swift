import DirectPipeDSP
import DirectPipeEngine
import DirectPipePlugins

/// Builds the run's effects chain from its source (a chain file, or "voice"),
/// off the audio thread, in the engine's format: live plugins, scheduled
/// work on worker threads, blocks up to the engine's largest period.
struct ChainLoader {
    let source: String
    let factory: EffectFactory

    init(source: String, format: EngineFormat) {
        self.source = source
        factory = Self.factory(format)
    }

    /// The factory for live chains in the engine's format.
    static func factory(_ format: EngineFormat) -> EffectFactory {
        EffectFactory(channels: format.outputChannels, sampleRate: Double(format.sampleRate), maxFrames: EngineFormat.maxPeriodFrames, liveWorker: true)
    }

    /// The source's chain description as it is now; the error names the file and what is wrong.
    func description() throws -> ChainDescription {
        source == "voice" ? ChainDescription.voice : try ChainDescription(contentsOf: source)
    }

    /// What the chain is, for the log: its effects and latency.
    func describe(_ chain: EffectChain) -> String {
        let names = chain.slots.map(\.effect.info.id).joined(separator: " → ")
        return "\(source): \(names.isEmpty ? "empty" : names), latency \(chain.latencyFrames) frames"
    }
}
