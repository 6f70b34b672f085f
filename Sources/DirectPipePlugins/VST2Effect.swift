import CDirectPipePluginABI
import DirectPipeDSP
import Foundation

/// A VST2 plugin in the chain (one instance, or a pair for a mono plugin on stereo): a parameter's value is sent
/// with `setParameter` (normalized) in the block where it changed, before `processReplacing`; its latency is the
/// record's `initialDelay`; its state is its chunk where it keeps one.
/// Unchecked Sendable: PluginEffect's contract: instances run only in process() (audio thread), their
/// dispatcher only before the chain goes live; the effect list is freed in deinit.
final class VST2Effect: ValuePluginEffect, @unchecked Sendable {
    let plugin: VST2Plugin
    private let instances: [VST2Instance]
    private let live: Bool
    /// Each instance's effect record, as plain memory for the audio thread.
    private let effectList: UnsafeMutablePointer<UnsafeMutablePointer<dp_vst2_effect>>
    /// For a plugin that processes only doubles: scratch buffers, every instance's channels one after another
    /// (nil otherwise), and their pointer lists for the audio thread.
    private let doubleInputs: PlanarDoubles?
    private let doubleOutputs: PlanarDoubles?
    private let doubleInputList: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>?
    private let doubleOutputList: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>?

    init(_ plugin: VST2Plugin, channels: Int, sampleRate: Double, maxFrames: Int, live: Bool) throws(EffectError) {
        self.plugin = plugin
        self.live = live
        let info = plugin.info
        let instances = try Self.makeInstances(for: info, channels: channels) { () throws(EffectError) in
            try VST2Instance(entry: plugin.entry, shellID: plugin.shellID, id: info.id, sampleRate: sampleRate, blockSize: maxFrames, offline: !live)
        }
        self.instances = instances
        effectList = .allocate(capacity: instances.count)
        effectList.initialize(from: instances.map(\.effect), count: instances.count)
        let doublesOnly = instances[0].effect.pointee.flags & Int32(DP_VST2_FLAG_CAN_REPLACING.rawValue) == 0
        doubleInputs = doublesOnly ? PlanarDoubles(channels: max(1, instances.count * info.audioInputs), frames: maxFrames) : nil
        doubleOutputs = doublesOnly ? PlanarDoubles(channels: max(1, instances.count * info.audioOutputs), frames: maxFrames) : nil
        doubleInputList = doubleInputs?.pointers
        doubleOutputList = doubleOutputs?.pointers
        super.init(
            info: info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, instances: instances.count,
            normalizedRanges: plugin.ranges)
        instances[0].host.pointee.editor = editorQueue.pointer
        PluginThread.shared.run { for instance in instances { instance.resume() } }
    }

    override var hasEditor: Bool { plugin.hasEditor }

    override func openEditor(on display: EditorDisplay, title: String) throws(EditorError) -> PluginEditor {
        try VST2Editor(self, instance: instances[0], display: display, title: title)
    }

    deinit {
        effectList.deallocate()  // the instances suspend and close themselves, on the plugin thread
    }

    /// DPF's builds set `initialDelay` in their process call only: asked of a twin that has run (``prepare()``).
    override var latencyNeedsARun: Bool { true }

    override var reportedLatency: Int { Int(max(0, instances[0].effect.pointee.initial_delay)) }

    override func makeTwin() -> PluginEffect? {
        try? VST2Effect(plugin, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, live: live)
    }

    override func runInstances(frames: Int) {
        let inputs = ins, outputs = outs
        for instance in 0..<instanceCount {
            let effect = effectList[instance], list = channelLists + instance * (inputs + outputs)
            forEachChange(of: instance) { index, normalized in dp_vst2_set_parameter(effect, Int32(index), normalized) }
            dp_vst2_process(
                effect, list, list + inputs, Int32(frames), doubleInputList.map { $0 + instance * inputs },
                doubleOutputList.map { $0 + instance * outputs })
        }
    }

    override func resetOnPluginThread() {
        for instance in instances {
            instance.suspend()
            instance.resume()
        }
    }

    /// Selects program `preset` (`program:N`, as ``EffectFactory/presets(_:)`` lists them) on every instance; its
    /// parameter values become the effect's.
    func loadProgram(_ preset: String) throws(EffectError) {
        guard preset.hasPrefix("program:"), let index = Int(preset.dropFirst("program:".count)), plugin.programs.indices.contains(index) else {
            throw .failed(effect: info.id, reason: "no program '\(preset)' (it has program:0…program:\(max(plugin.programs.count - 1, 0)))")
        }
        PluginThread.shared.run {
            for instance in instances { instance.dispatch(Int32(DP_VST2_SET_PROGRAM.rawValue), value: index) }
            takeValues { dp_vst2_get_parameter(instances[0].effect, Int32($0)) }
        }
    }

    // MARK: State: the plugin's chunk, where it keeps one (its parameters are saved as parameters anyway)

    private static let chunkPrefix = "vst2-chunk:"

    override func savedStateOnPluginThread() -> String? {
        guard plugin.hasChunks, let chunk = instances[0].chunk() else { return nil }
        return Self.chunkPrefix + chunk.base64EncodedString()
    }

    override func restoreOnPluginThread(_ text: String) throws(EffectError) {
        guard text.hasPrefix(Self.chunkPrefix), let chunk = Data(base64Encoded: String(text.dropFirst(Self.chunkPrefix.count))) else {
            throw .failed(effect: info.id, reason: "its saved state is not a VST2 chunk")
        }
        guard plugin.hasChunks else { throw .failed(effect: info.id, reason: "it keeps no state chunk, yet one was given") }
        for instance in instances { instance.setChunk(chunk) }
        // The chunk carries parameter values: they become the effect's, so the next block sends them back unchanged.
        takeValues { dp_vst2_get_parameter(instances[0].effect, Int32($0)) }
    }
}

/// Per-channel buffers of doubles, for a plugin that only processes doubles.
/// Unchecked Sendable: owned by one effect, used by its process() only.
final class PlanarDoubles: @unchecked Sendable {
    let pointers: UnsafeMutablePointer<UnsafeMutablePointer<Double>?>
    private let channels: Int

    init(channels: Int, frames: Int) {
        self.channels = channels
        pointers = .allocate(capacity: channels)
        for channel in 0..<channels {
            let buffer = UnsafeMutablePointer<Double>.allocate(capacity: frames)
            buffer.initialize(repeating: 0, count: frames)
            (pointers + channel).initialize(to: buffer)
        }
    }

    deinit {
        for channel in 0..<channels { pointers[channel]?.deallocate() }
        pointers.deallocate()
    }
}
