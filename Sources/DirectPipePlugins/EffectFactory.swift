import DirectPipeDSP

/// Makes effects and whole chains from ids and chain descriptions: built-ins,
/// LV2 plugins (by URI), LADSPA plugins (`file.so:label`), VST2, VST3 and CLAP
/// plugins (`vst2:FILE`, ``PluginFolders``). Not for the
/// audio thread: a chain is built here, then handed to the engine whole.
public struct EffectFactory: Sendable {
    public let channels: Int
    public let sampleRate: Double
    public let maxFrames: Int
    /// Plugins' scheduled work on a thread (live) or inline (offline processing, deterministic).
    public let liveWorker: Bool
    /// Each plugin runs one frame of silence before the chain goes live, off the audio thread,
    /// because some (Calf's) allocate in their first run.
    public let warmUp: Bool
    /// The engine's period (a live model on a worker thread sizes its slack from it).
    public let periodFrames: Int

    public init(channels: Int, sampleRate: Double, maxFrames: Int, liveWorker: Bool, warmUp: Bool? = nil, periodFrames: Int = 480) {
        self.channels = channels
        self.sampleRate = sampleRate
        self.maxFrames = maxFrames
        self.periodFrames = periodFrames
        self.liveWorker = liveWorker
        self.warmUp = warmUp ?? liveWorker
    }

    /// A new instance of the effect `id`.
    public func make(_ id: String) throws(EffectError) -> AudioEffect {
        switch EffectInfo.format(of: id) {
        case .builtin:
            try BuiltinEffects.make(
                id, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, live: liveWorker, periodFrames: periodFrames)
        case .lv2:
            try LV2Effect(
                LV2Plugin(uri: id, sampleRate: sampleRate), channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, liveWorker: liveWorker)
        case .ladspa:
            try LADSPAEffect(LADSPAPlugin.find(id, sampleRate: sampleRate), channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        case .vst2:
            try VST2Effect(
                VST2Plugin.find(id, sampleRate: sampleRate), channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, live: liveWorker)
        case .clap:
            try CLAPEffect(CLAPPlugin.find(id, sampleRate: sampleRate), channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        case .vst3:
            try VST3Effect(
                VST3Plugin.find(id, sampleRate: sampleRate), channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, live: liveWorker)
        }
    }

    /// The description of the effect `id` (its ports and parameters at this sample rate).
    public func info(_ id: String) throws(EffectError) -> EffectInfo {
        switch EffectInfo.format(of: id) {
        case .builtin:
            guard let info = BuiltinEffects.info(id) else { throw .unknownEffect(id) }
            return info
        case .lv2: return try LV2Plugin(uri: id, sampleRate: sampleRate).info
        case .ladspa: return try LADSPAPlugin.find(id, sampleRate: sampleRate).info
        case .vst2: return try VST2Plugin.find(id, sampleRate: sampleRate).info
        case .clap: return try CLAPPlugin.find(id, sampleRate: sampleRate).info
        case .vst3: return try VST3Plugin.find(id, sampleRate: sampleRate).info
        }
    }

    /// Makes the LV2 bundle at `path` known to this process, beside those on `LV2_PATH` (a plugin being
    /// developed, a test's own).
    public static func loadLV2Bundle(_ path: String) { LV2World.shared.loadBundle(path) }

    /// A plugin's own presets (an id to load and a label): an LV2 plugin's presets, a VST2 plugin's programs
    /// (`program:N`), a VST3 plugin's `.vstpreset` files (their paths); none for other formats.
    public func presets(_ id: String) -> [(uri: String, label: String)] {
        switch EffectInfo.format(of: id) {
        case .lv2: (try? LV2Plugin(uri: id, sampleRate: sampleRate))?.presets ?? []
        case .vst2: (try? VST2Plugin.find(id, sampleRate: sampleRate))?.programs.enumerated().map { ("program:\($0.offset)", $0.element) } ?? []
        case .vst3: (try? VST3Plugin.find(id, sampleRate: sampleRate))?.presets.map { ($0.path, $0.label) } ?? []
        default: []
        }
    }

    /// One effect as a chain's entry: `id` with `parameters`, on top of `preset`'s values and state when one is
    /// named (a preset's values come first; the given ones win).
    public func describe(_ id: String, parameters: [String: Float], preset: String? = nil) throws(EffectError) -> ChainDescription.Effect {
        var effect = ChainDescription.Effect(id: id, parameters: parameters)
        if let preset {
            let instance = try make(id)
            try loadPreset(preset, into: instance)
            effect.parameters = instance.values.snapshot.merging(parameters) { _, given in given }
            effect.state = instance.savedState()
        }
        return effect
    }

    /// A VST3 effect's state now as a `.vstpreset` file (nil for other formats).
    public func vst3Preset(of effect: AudioEffect) -> VST3PresetFile? { (effect as? VST3Effect)?.presetFile }

    /// Loads one of ``presets(_:)`` into `effect` (before it goes live): its values become the effect's.
    public func loadPreset(_ preset: String, into effect: AudioEffect) throws(EffectError) {
        if let lv2 = effect as? LV2Effect { return try lv2.loadPreset(preset) }
        if let vst2 = effect as? VST2Effect { return try vst2.loadProgram(preset) }
        if let vst3 = effect as? VST3Effect { return try vst3.loadPreset(path: preset) }
        throw .unsupported(effect: effect.info.id, reason: "only LV2 presets, VST2 programs and VST3 preset files can be loaded")
    }

    /// Builds every effect of `description`, sets its parameters and state; the first problem stops it,
    /// naming the effect (by position and id) and what is wrong.
    public func chain(_ description: ChainDescription) throws(EffectError) -> EffectChain {
        var effects: [AudioEffect] = []
        for (position, entry) in description.effects.enumerated() {
            do {
                effects.append(try effect(entry))
            } catch {
                throw .failed(effect: "effect \(position + 1) (\(entry.id))", reason: "\(error)")
            }
        }
        let chain = EffectChain(
            effects, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, bypassed: description.effects.map(\.bypass))
        chain.bypass = description.bypass
        return chain
    }

    /// One effect of a chain description, ready to go live: made, its parameters and state set, prepared
    /// (its latency known), and warmed up when ``warmUp`` asks for it.
    public func effect(_ entry: ChainDescription.Effect) throws(EffectError) -> AudioEffect {
        let effect = try make(entry.id)
        for (symbol, value) in entry.parameters.sorted(by: { $0.key < $1.key }) { try effect.set(symbol, value) }
        if let state = entry.state { try effect.restore(state: state) }
        effect.prepare()
        if warmUp, effect is PluginEffect {
            // Some plugins (Calf's) allocate in their first run: that happens here, off the audio thread.
            let silence = PlanarBuffer(channels: channels, capacity: 1)
            effect.process(silence.pointers, frames: 1)
        }
        return effect
    }

    /// What a running chain is now, as its description (parameters and plugin state included).
    public static func describe(_ chain: EffectChain) -> ChainDescription {
        ChainDescription(
            effects: chain.slots.map { slot in
                ChainDescription.Effect(
                    id: slot.effect.info.id, bypass: slot.bypass, parameters: slot.effect.values.snapshot, state: slot.effect.savedState())
            }, bypass: chain.bypass)
    }
}
