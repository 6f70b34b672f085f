import CDirectPipeLV2
import CLilv
import DirectPipeDSP
import Foundation
import Synchronization

/// An LV2 plugin in the chain, hosted the way the LV2 specification asks:
/// URID map/unmap, options (sample rate, min/max/nominal block length,
/// sequence size), bounded block length, log and worker features; every port
/// connected (audio, control, CV, atom sequences in and out); default state
/// loaded; state saved and restored; latency read from its latency port.
/// Unchecked Sendable: PluginEffect's contract: lilv instances run only in process() (audio thread); state calls take LV2World's lock.
final class LV2Effect: PluginEffect, @unchecked Sendable {
    let plugin: LV2Plugin
    private let world: LV2World
    private let instances: [UnsafeMutablePointer<LilvInstance>]
    private let features: [OpaquePointer]
    private let atomInputs: [UnsafeMutableRawPointer]
    private let atomOutputs: [UnsafeMutableRawPointer]
    private let cvBuffers: PlanarBuffer
    private let sequenceType: UInt32
    private let chunkType: UInt32
    // The above as plain memory and counts, for the audio thread (no array iteration there).
    private let instanceList: UnsafeMutablePointer<UnsafeMutablePointer<LilvInstance>>
    private let featureList: UnsafeMutablePointer<OpaquePointer>
    /// Every instance's atom buffers, instance by instance (instance 0's first), as plain memory for the audio thread.
    private let atomInputList: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let atomOutputList: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let instanceTotal: Int
    private let atomInputTotal: Int
    private let atomOutputTotal: Int
    static let atomCapacity = 8192
    /// Atoms between the plugin's UI and instance 0 (for a plugin with a UI and atom ports): its UI's writes, to be
    /// delivered into the atom inputs before a run, and the atom outputs after a run, while an editor listens.
    let toPlugin: OpaquePointer?
    let toUI: OpaquePointer?
    /// Set while the plugin's editor is open: the audio thread collects atom outputs for it.
    let editorListening = Atomic<Bool>(false)
    /// Instance 0's atom port indices, in the order of its buffers at the head of `atomInputList`/`atomOutputList`.
    private let uiInputPorts: UnsafeMutablePointer<UInt32>
    private let uiOutputPorts: UnsafeMutablePointer<UInt32>
    private let uiInputCount: Int
    private let uiOutputCount: Int

    /// `liveWorker`: run the plugin's scheduled work on a thread (live use), or inline (offline, deterministic).
    init(_ plugin: LV2Plugin, channels: Int, sampleRate: Double, maxFrames: Int, liveWorker: Bool) throws(EffectError) {
        let world = LV2World.shared
        self.plugin = plugin
        self.world = world
        let uri = plugin.info.id
        if let missing = plugin.requiredFeatures.first(where: { !LV2World.supportedFeatures.contains($0) }) {
            throw .unsupported(effect: uri, reason: "it requires the feature \(missing)")
        }
        sequenceType = world.map("http://lv2plug.in/ns/ext/atom#Sequence")
        chunkType = world.map("http://lv2plug.in/ns/ext/atom#Chunk")
        let audioIns = plugin.ports.indices.filter { plugin.ports[$0] == .audioInput }
        let audioOuts = plugin.ports.indices.filter { plugin.ports[$0] == .audioOutput }
        let count = Self.instanceCount(ins: audioIns.count, outs: audioOuts.count, channels: channels)
        var instances: [UnsafeMutablePointer<LilvInstance>] = [], features: [OpaquePointer] = []
        for _ in 0..<count {
            guard let feature = dp_lv2_features_new(world.urids, sampleRate, UInt32(maxFrames), liveWorker ? 1 : 0) else {
                throw .failed(effect: uri, reason: "out of memory")
            }
            let instance = world.withLock { lilv_plugin_instantiate(plugin.plugin, sampleRate, dp_lv2_features_list(feature)) }
            guard let instance else {
                dp_lv2_features_free(feature)
                for (instance, feature) in zip(instances, features) {
                    lilv_instance_free(instance)
                    dp_lv2_features_free(feature)
                }
                throw .failed(effect: uri, reason: "instantiate failed at \(Int(sampleRate)) Hz")
            }
            let worker = lilv_instance_get_extension_data(instance, "http://lv2plug.in/ns/ext/worker#interface")
            dp_lv2_features_set_worker(feature, worker?.assumingMemoryBound(to: LV2_Worker_Interface.self), lilv_instance_get_handle(instance))
            instances.append(instance)
            features.append(feature)
        }
        self.instances = instances
        self.features = features
        let atomIns = plugin.ports.filter { $0 == .atomInput }.count, atomOuts = plugin.ports.filter { $0 == .atomOutput }.count
        atomInputs = (0..<count * atomIns).map { _ in .allocate(byteCount: Self.atomCapacity, alignment: 64) }
        atomOutputs = (0..<count * atomOuts).map { _ in .allocate(byteCount: Self.atomCapacity, alignment: 64) }
        cvBuffers = PlanarBuffer(channels: count * plugin.ports.count, capacity: maxFrames)
        instanceTotal = instances.count
        instanceList = .allocate(capacity: max(instances.count, 1))
        instanceList.initialize(from: instances, count: instances.count)
        featureList = .allocate(capacity: max(features.count, 1))
        featureList.initialize(from: features, count: features.count)
        atomInputTotal = atomInputs.count
        atomInputList = .allocate(capacity: max(atomInputs.count, 1))
        atomInputList.initialize(from: atomInputs.map(Optional.some), count: atomInputs.count)
        atomOutputTotal = atomOutputs.count
        atomOutputList = .allocate(capacity: max(atomOutputs.count, 1))
        atomOutputList.initialize(from: atomOutputs.map(Optional.some), count: atomOutputs.count)
        let inputPorts = plugin.ports.indices.filter { plugin.ports[$0] == .atomInput }.map(UInt32.init)
        let outputPorts = plugin.ports.indices.filter { plugin.ports[$0] == .atomOutput }.map(UInt32.init)
        let talks = plugin.ui != nil && !(inputPorts.isEmpty && outputPorts.isEmpty)
        toPlugin = talks ? dp_lv2_atom_ring_new(UInt32(Self.atomCapacity * 8)) : nil
        toUI = talks ? dp_lv2_atom_ring_new(UInt32(Self.atomCapacity * 32)) : nil
        uiInputCount = inputPorts.count
        uiOutputCount = outputPorts.count
        uiInputPorts = .allocate(capacity: max(inputPorts.count, 1))
        uiInputPorts.initialize(from: inputPorts, count: inputPorts.count)
        uiOutputPorts = .allocate(capacity: max(outputPorts.count, 1))
        uiOutputPorts.initialize(from: outputPorts, count: outputPorts.count)
        let controls = plugin.ports.enumerated().compactMap { index, port -> ControlPort? in
            if case .controlInput(let parameter) = port { return ControlPort(port: index, parameter: parameter) }
            return nil
        }
        super.init(
            info: plugin.info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, portCount: plugin.ports.count,
            audioInputs: audioIns, audioOutputs: audioOuts, controlInputs: controls, portDefaults: plugin.defaults,
            inPlaceBroken: plugin.requiredFeatures.contains("http://lv2plug.in/ns/lv2core#inPlaceBroken"))
        connectPorts()
        if plugin.requiredFeatures.contains("http://lv2plug.in/ns/ext/state#loadDefaultState") {
            try restoreState(
                from: world.withLock {
                    lilv_state_new_from_world(world.world, dp_lv2_urids_map_feature(world.urids), lilv_plugin_get_uri(plugin.plugin))
                })
        }
        for instance in instances { lilv_instance_activate(instance) }
    }

    override var hasEditor: Bool { plugin.ui != nil }

    override var editorUnavailable: String? { plugin.uiUnavailable }

    override func openEditor(on display: EditorDisplay, title: String) throws(EditorError) -> PluginEditor {
        guard let ui = plugin.ui else { throw .none(effect: info.id) }
        return try LV2Editor(self, ui: ui, instance: instances[0], display: display, title: title)
    }

    deinit {
        for (instance, feature) in zip(instances, features) {
            dp_lv2_features_stop_worker(feature)  // no work() once deactivation begins
            lilv_instance_deactivate(instance)
            lilv_instance_free(instance)
            dp_lv2_features_free(feature)
        }
        for buffer in atomInputs + atomOutputs { buffer.deallocate() }
        dp_lv2_atom_ring_free(toPlugin)
        dp_lv2_atom_ring_free(toUI)
        uiInputPorts.deallocate()
        uiOutputPorts.deallocate()
        for list in [
            UnsafeMutableRawPointer(instanceList), UnsafeMutableRawPointer(featureList), UnsafeMutableRawPointer(atomInputList),
            UnsafeMutableRawPointer(atomOutputList),
        ] {
            list.deallocate()
        }
    }

    private func connectPorts() {
        let ins = audioInputPorts.count, outs = audioOutputPorts.count
        for (i, instance) in instances.enumerated() {
            var audioIn = 0, audioOut = 0, atomIn = 0, atomOut = 0
            let atomIns = atomInputs.count / instances.count, atomOuts = atomOutputs.count / instances.count
            for (index, port) in plugin.ports.enumerated() {
                let target: UnsafeMutableRawPointer?
                switch port {
                case .audioInput:
                    target = UnsafeMutableRawPointer(inputs[i * ins + audioIn])
                    audioIn += 1
                case .audioOutput:
                    target = UnsafeMutableRawPointer(outputs[i * outs + audioOut])
                    audioOut += 1
                case .controlInput, .controlOutput: target = UnsafeMutableRawPointer(control(i, index))
                case .cvInput(let value):
                    let buffer = cvBuffers[i * plugin.ports.count + index]
                    buffer.initialize(repeating: value, count: maxFrames)
                    target = UnsafeMutableRawPointer(buffer)
                case .cvOutput: target = UnsafeMutableRawPointer(cvBuffers[i * plugin.ports.count + index])
                case .atomInput:
                    target = atomInputs[i * atomIns + atomIn]
                    dp_lv2_atom_input_clear(target, sequenceType)
                    atomIn += 1
                case .atomOutput:
                    target = atomOutputs[i * atomOuts + atomOut]
                    dp_lv2_atom_output_reset(target, UInt32(Self.atomCapacity), chunkType)
                    atomOut += 1
                case .unconnected: target = nil
                }
                lilv_instance_connect_port(instance, UInt32(index), target)
            }
        }
    }

    override var latencyPort: Int? { plugin.latencyPort }

    override func makeTwin() -> PluginEffect? {
        try? LV2Effect(plugin, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, liveWorker: false)
    }

    override func runInstances(frames: Int) {
        for index in 0..<atomInputTotal { dp_lv2_atom_input_clear(atomInputList[index], sequenceType) }
        for index in 0..<atomOutputTotal { dp_lv2_atom_output_reset(atomOutputList[index], UInt32(Self.atomCapacity), chunkType) }
        if let toPlugin { dp_lv2_atom_ring_deliver(toPlugin, uiInputPorts, atomInputList, UInt32(uiInputCount), UInt32(Self.atomCapacity)) }
        for index in 0..<instanceTotal {
            dp_lv2_features_before_run(featureList[index])
            lilv_instance_run(instanceList[index], UInt32(frames))
            dp_lv2_features_after_run(featureList[index])
        }
        if let toUI, editorListening.load(ordering: .relaxed) {
            dp_lv2_atom_ring_collect(toUI, uiOutputPorts, atomOutputList, UInt32(uiOutputCount), sequenceType)
        }
    }

    override func connectAudio(instance: Int, port: Int, to buffer: UnsafeMutablePointer<Float>) {
        lilv_instance_connect_port(instanceList[instance], UInt32(port), buffer)
    }

    override func reset() {
        for instance in instances {
            lilv_instance_deactivate(instance)
            lilv_instance_activate(instance)
        }
    }

    // MARK: State and presets (never while the chain runs: state is saved and restored on instances not yet live)

    override func savedState() -> String? {
        world.withLock {
            let map = dp_lv2_urids_map_feature(world.urids)
            guard
                let state = lilv_state_new_from_instance(
                    plugin.plugin, instances[0], map, nil, nil, nil, nil, nil, nil,
                    UInt32(LV2_STATE_IS_POD.rawValue | LV2_STATE_IS_PORTABLE.rawValue), dp_lv2_features_list(features[0]))
            else { return nil }
            defer { lilv_state_free(state) }
            guard let text = lilv_state_to_string(world.world, map, dp_lv2_urids_unmap_feature(world.urids), state, "urn:directpipe:state", nil)
            else { return nil }
            defer { lilv_free(text) }
            return String(cString: text)
        }
    }

    override func restore(state text: String) throws(EffectError) {
        let state = world.withLock { lilv_state_new_from_string(world.world, dp_lv2_urids_map_feature(world.urids), text) }
        guard let state else { throw .failed(effect: info.id, reason: "its saved state is not valid Turtle") }
        try restoreState(from: state)
    }

    /// The plugin's own presets (URI and label).
    var presets: [(uri: String, label: String)] { plugin.presets }

    /// Loads one of the plugin's presets: its port values become the parameters, its state is restored.
    func loadPreset(_ uri: String) throws(EffectError) {
        let state = world.withLock { lilv_state_new_from_world(world.world, dp_lv2_urids_map_feature(world.urids), world.node(uri)) }
        guard let state else { throw .failed(effect: info.id, reason: "no preset \(uri) (see `directpipe plugins info`)") }
        try restoreState(from: state)
    }

    private func restoreState(from state: OpaquePointer?) throws(EffectError) {
        guard let state else { return }
        defer { lilv_state_free(state) }
        final class Collected { var values: [(String, Float)] = [] }
        let collected = Collected()
        let floatType = world.map("http://lv2plug.in/ns/ext/atom#Float")
        withExtendedLifetime(collected) {
            lilv_state_emit_port_values(
                state,
                { symbol, user, value, size, type in
                    guard let symbol, let user, let value else { return }
                    let collected = Unmanaged<Collected>.fromOpaque(user).takeUnretainedValue()
                    collected.values.append((String(cString: symbol), size == 4 ? value.load(as: Float.self) : .nan))
                    _ = type
                }, Unmanaged.passUnretained(collected).toOpaque())
        }
        _ = floatType
        for (symbol, value) in collected.values where value.isFinite {
            if let index = values.index(of: symbol) { values.set(index, value) }
        }
        world.withLock {
            for (instance, feature) in zip(instances, features) {
                lilv_state_restore(state, instance, nil, nil, 0, dp_lv2_features_list(feature))
            }
        }
    }
}
