import CDirectPipePluginABI
import DirectPipeDSP
import Foundation

/// A VST3 plugin in the chain (one instance, or a pair for a mono plugin on stereo): its input channels are its
/// buses' in order, its outputs likewise; a changed parameter goes to the processor as a normalized value in the
/// block's parameter changes, at its start; latency is the processor's; state is the component's and the
/// controller's, both kept.
/// Unchecked Sendable: PluginEffect's contract: instances are processed only in process() (audio thread), their
/// other calls made before the chain goes live; the lists are freed in deinit.
final class VST3Effect: ValuePluginEffect, @unchecked Sendable {
    let plugin: VST3Plugin
    private let instances: [VST3Instance]
    private let live: Bool
    // For the audio thread, as plain memory: each instance, each parameter's id.
    private let instanceList: UnsafeMutablePointer<OpaquePointer>
    private let parameterIDs: UnsafeMutablePointer<UInt32>
    private var cachedLatency: Int

    init(_ plugin: VST3Plugin, channels: Int, sampleRate: Double, maxFrames: Int, live: Bool) throws(EffectError) {
        self.plugin = plugin
        self.live = live
        let info = plugin.info
        let instances = try Self.makeInstances(for: info, channels: channels) { () throws(EffectError) in
            let instance = try VST3Instance(module: plugin.module, classID: plugin.classID, id: info.id)
            try instance.activate(sampleRate: sampleRate, maxFrames: maxFrames, offline: !live, id: info.id)
            return instance
        }
        self.instances = instances
        cachedLatency = PluginThread.shared.run { Int(dp_vst3_instance_latency(instances[0].instance)) }
        hasView = PluginThread.shared.run { dp_vst3_instance_has_view(instances[0].instance) }
        instanceList = .allocate(capacity: instances.count)
        instanceList.initialize(from: instances.map(\.instance), count: instances.count)
        parameterIDs = .allocate(capacity: max(plugin.parameterIDs.count, 1))
        parameterIDs.initialize(from: plugin.parameterIDs, count: plugin.parameterIDs.count)
        super.init(
            info: info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, instances: instances.count,
            normalizedRanges: plugin.ranges)
        for (index, instance) in instances.enumerated() {
            let list = channelLists + index * (ins + outs)
            dp_vst3_instance_set_buffers(instance.instance, list, list + ins)
        }
        dp_vst3_instance_report_to(instances[0].instance, editorQueue.pointer)
    }

    /// Whether the controller makes an editor view that embeds in X11 (asked once).
    private let hasView: Bool

    override var hasEditor: Bool { hasView }

    override func openEditor(on display: EditorDisplay, title: String) throws(EditorError) -> PluginEditor {
        try VST3Editor(self, instance: instances[0].instance, display: display, title: title)
    }

    /// The plugin's id of parameter `index`.
    func parameterID(_ index: Int) -> UInt32 { parameterIDs[index] }

    deinit {
        instanceList.deallocate()
        parameterIDs.deallocate()
    }

    override var latencyFrames: Int {
        if dp_vst3_instance_take_restart_flags(instances[0].instance) & (1 << 3) != 0 {  // kLatencyChanged
            cachedLatency = PluginThread.shared.run { Int(dp_vst3_instance_latency(instances[0].instance)) }
        }
        return cachedLatency
    }

    override func makeTwin() -> PluginEffect? {
        try? VST3Effect(plugin, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, live: live)
    }

    override func resetOnPluginThread() {
        for instance in instances { dp_vst3_instance_reset(instance.instance) }
    }

    override func runInstances(frames: Int) {
        let ids = parameterIDs
        for index in 0..<instanceCount {
            let instance = instanceList[index]
            forEachChange(of: index) { parameter, normalized in _ = dp_vst3_instance_queue(instance, ids[parameter], Double(normalized)) }
            _ = dp_vst3_instance_process(instance, Int32(frames))
        }
    }

    // MARK: State: the component's and the controller's, as two base64 blocks

    private static let statePrefix = "vst3-state:"

    override func savedStateOnPluginThread() -> String? {
        guard let (component, controller) = instances[0].save() else { return nil }
        return Self.statePrefix + component.base64EncodedString() + ":" + controller.base64EncodedString()
    }

    override func restoreOnPluginThread(_ text: String) throws(EffectError) {
        let parts = text.dropFirst(Self.statePrefix.count).split(separator: ":", omittingEmptySubsequences: false)
        guard text.hasPrefix(Self.statePrefix), parts.count == 2, let component = Data(base64Encoded: String(parts[0])),
            let controller = Data(base64Encoded: String(parts[1]))
        else { throw .failed(effect: info.id, reason: "its saved state is not a VST3 state") }
        try load(component: component, controller: controller)
    }

    /// The plugin's state now, as a `.vstpreset` file's contents (for other hosts, or to load later).
    var presetFile: VST3PresetFile? {
        PluginThread.shared.run { instances[0].save() }.map {
            VST3PresetFile(classID: plugin.classHex, component: $0.component, controller: $0.controller)
        }
    }

    /// Loads the `.vstpreset` file at `path` (made for this plugin's class).
    func loadPreset(path: String) throws(EffectError) {
        guard let data = FileManager.default.contents(atPath: path) else { throw .failed(effect: info.id, reason: "no preset file \(path)") }
        let preset: VST3PresetFile
        do { preset = try VST3PresetFile(data) } catch { throw .failed(effect: info.id, reason: "\(path): \(error)") }
        guard preset.classID == plugin.classHex else {
            throw .failed(effect: info.id, reason: "\(path) is for another plugin (class \(preset.classID), not \(plugin.classHex))")
        }
        try PluginThread.shared.run { () throws(EffectError) in try load(component: preset.component, controller: preset.controller) }
    }

    /// Gives every instance a component and controller state; its parameter values become the effect's.
    private func load(component: Data, controller: Data) throws(EffectError) {
        for instance in instances where !instance.load(component: component, controller: controller) {
            throw .failed(effect: info.id, reason: "it refused the saved state")
        }
        // The state carries parameter values: they become the effect's, so the next block sends them unchanged.
        takeValues { Float(dp_vst3_instance_normalized(instances[0].instance, plugin.parameterIDs[$0])) }
    }
}
