import CDirectPipePluginABI
import DirectPipeDSP
import Foundation

/// A CLAP plugin in the chain (one instance, or a pair for a mono plugin on stereo): its input channels are every
/// input port's in order, its outputs likewise; a changed parameter goes to the plugin as a parameter event at the
/// start of the block; latency is the latency extension's; state is the state extension's.
/// Unchecked Sendable: PluginEffect's contract: instances are processed only in process() (audio thread), their
/// other calls made before the chain goes live; the lists are freed in deinit.
final class CLAPEffect: ValuePluginEffect, @unchecked Sendable {
    let plugin: CLAPPlugin
    private let instances: [CLAPInstance]
    // For the audio thread, as plain memory: each instance's processor and plugin, each parameter's id.
    private let processors: UnsafeMutablePointer<OpaquePointer>
    private let pluginList: UnsafeMutablePointer<UnsafePointer<dp_clap_plugin>>
    private let parameterIDs: UnsafeMutablePointer<dp_clap_id>
    private var cachedLatency: Int

    init(_ plugin: CLAPPlugin, channels: Int, sampleRate: Double, maxFrames: Int) throws(EffectError) {
        self.plugin = plugin
        let info = plugin.info
        let instances = try Self.makeInstances(for: info, channels: channels) { () throws(EffectError) in
            let instance = try CLAPInstance(factory: plugin.factory, pluginID: plugin.pluginID, id: info.id)
            try instance.activate(sampleRate: sampleRate, maxFrames: maxFrames, id: info.id)
            return instance
        }
        self.instances = instances
        cachedLatency = PluginThread.shared.run { instances[0].latency }
        hasGUI = PluginThread.shared.run { instances[0].extension(DP_CLAP_EXT_GUI) != nil }
        pluginList = .allocate(capacity: instances.count)
        pluginList.initialize(from: instances.map(\.plugin), count: instances.count)
        parameterIDs = .allocate(capacity: max(plugin.parameterIDs.count, 1))
        parameterIDs.initialize(from: plugin.parameterIDs, count: plugin.parameterIDs.count)
        processors = .allocate(capacity: instances.count)
        super.init(info: info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, instances: instances.count, normalizedRanges: nil)
        for instance in 0..<instances.count {
            let list = channelLists + instance * (ins + outs)
            guard
                let processor = dp_clap_processor_new(
                    UInt32(plugin.inputChannels.count), plugin.inputChannels, list, UInt32(plugin.outputChannels.count), plugin.outputChannels,
                    list + ins, UInt32(parameterCount))
            else {
                processorCount = instance
                throw .failed(effect: info.id, reason: "out of memory")
            }
            (processors + instance).initialize(to: processor)
        }
        processorCount = instances.count
        instances[0].host.pointee.editor = editorQueue.pointer
        dp_clap_processor_report_to(processors[0], editorQueue.pointer)
    }

    override var hasEditor: Bool { hasGUI }

    /// Whether the plugin has the gui extension (asked once: the state asks often, and must not wait for the plugin
    /// thread).
    private let hasGUI: Bool

    override func openEditor(on display: EditorDisplay, title: String) throws(EditorError) -> PluginEditor {
        try CLAPEditor(self, instance: instances[0], display: display, title: title)
    }

    /// Processors made (all, but when making one failed).
    private var processorCount = 0

    deinit {
        let (processors, plugins, count) = (processors, pluginList, processorCount)
        PluginThread.shared.run {
            for index in 0..<count { dp_clap_processor_stop(processors[index], plugins[index]) }
        }
        for index in 0..<count { dp_clap_processor_free(processors[index]) }
        processors.deallocate()
        pluginList.deallocate()
        parameterIDs.deallocate()
    }

    override var latencyFrames: Int {
        if instances[0].latencyChanged { cachedLatency = PluginThread.shared.run { instances[0].latency } }
        return cachedLatency
    }

    override func makeTwin() -> PluginEffect? { try? CLAPEffect(plugin, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames) }

    override func runInstances(frames: Int) {
        let ids = parameterIDs
        for instance in 0..<instanceCount {
            let processor = processors[instance]
            forEachChange(of: instance) { index, value in _ = dp_clap_processor_add_param(processor, ids[index], nil, Double(value)) }
            _ = dp_clap_processor_run(processor, pluginList[instance], UInt32(frames))
        }
    }

    /// CLAP's `reset` is the audio thread's call: off it, processing stops and the plugin is activated anew.
    override func resetOnPluginThread() {
        for (index, instance) in instances.enumerated() {
            dp_clap_processor_stop(processors[index], pluginList[index])
            instance.reactivate()
        }
    }

    // MARK: State: the state extension's bytes

    private static let statePrefix = "clap-state:"

    override func savedStateOnPluginThread() -> String? {
        guard let data = instances[0].savedState() else { return nil }
        return Self.statePrefix + data.base64EncodedString()
    }

    override func restoreOnPluginThread(_ text: String) throws(EffectError) {
        guard text.hasPrefix(Self.statePrefix), let data = Data(base64Encoded: String(text.dropFirst(Self.statePrefix.count))) else {
            throw .failed(effect: info.id, reason: "its saved state is not a CLAP state")
        }
        for instance in instances where !instance.load(data) {
            throw .failed(effect: info.id, reason: "it refused the saved state")
        }
        // The state carries parameter values: they become the effect's, so the next block sends them unchanged.
        takeValues { index in instances[0].value(plugin.parameterIDs[index]).map(Float.init) ?? values.value(index) }
    }
}
