import CDirectPipePluginABI
import DirectPipeDSP
import Foundation

/// A CLAP plugin in the chain (one instance, or a pair for a mono plugin on stereo), through the
/// ``PluginEffect`` port model: ports are the plugin's input channels (every input port's, in order), then its
/// output channels, then one per parameter. A changed parameter goes to the plugin as a parameter event at the
/// start of the block; latency is the latency extension's; state is the state extension's.
/// Unchecked Sendable: PluginEffect's contract: instances are processed only in process() (audio thread), their
/// other calls made before the chain goes live; the pointer lists are freed in deinit.
final class CLAPEffect: PluginEffect, @unchecked Sendable {
    let plugin: CLAPPlugin
    private let instances: [CLAPInstance]
    private let processors: UnsafeMutablePointer<OpaquePointer>
    private let pluginList: UnsafeMutablePointer<UnsafePointer<dp_clap_plugin>>
    private let channelLists: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>
    private let sent: UnsafeMutablePointer<Float>
    private let parameterIDs: UnsafeMutablePointer<dp_clap_id>
    private let parameterCount: Int
    private let ins: Int
    private let outs: Int
    private var cachedLatency: Int

    init(_ plugin: CLAPPlugin, channels: Int, sampleRate: Double, maxFrames: Int) throws(EffectError) {
        self.plugin = plugin
        let info = plugin.info
        ins = info.audioInputs
        outs = info.audioOutputs
        parameterCount = plugin.parameterIDs.count
        let pair = ins <= 1 && outs == 1 && channels > 1
        var instances: [CLAPInstance] = []
        for _ in 0..<(pair ? channels : 1) {
            let instance = try CLAPInstance(factory: plugin.factory, pluginID: plugin.pluginID, id: info.id)
            try instance.activate(sampleRate: sampleRate, maxFrames: maxFrames, id: info.id)
            instances.append(instance)
        }
        self.instances = instances
        cachedLatency = instances[0].latency
        let count = instances.count
        pluginList = .allocate(capacity: count)
        pluginList.initialize(from: instances.map(\.plugin), count: count)
        channelLists = .allocate(capacity: max(count * (ins + outs), 1))
        channelLists.initialize(repeating: nil, count: max(count * (ins + outs), 1))
        sent = .allocate(capacity: max(count * parameterCount, 1))
        sent.initialize(repeating: .nan, count: max(count * parameterCount, 1))
        parameterIDs = .allocate(capacity: max(parameterCount, 1))
        parameterIDs.initialize(from: plugin.parameterIDs, count: parameterCount)
        // Each processor points into channelLists, filled once the port buffers exist (below).
        processors = .allocate(capacity: count)
        for instance in 0..<count {
            let list = channelLists + instance * (ins + outs)
            guard
                let processor = dp_clap_processor_new(
                    UInt32(plugin.inputChannels.count), plugin.inputChannels, list, UInt32(plugin.outputChannels.count), plugin.outputChannels,
                    list + ins, UInt32(parameterCount))
            else {
                for made in 0..<instance { dp_clap_processor_free(processors[made]) }
                throw .failed(effect: info.id, reason: "out of memory")
            }
            (processors + instance).initialize(to: processor)
        }
        let portCount = ins + outs + parameterCount
        var defaults = [Float](repeating: 0, count: portCount)
        for (index, parameter) in info.parameters.enumerated() { defaults[ins + outs + index] = parameter.defaultValue }
        super.init(
            info: info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, portCount: portCount, audioInputs: Array(0..<ins),
            audioOutputs: Array(ins..<(ins + outs)), controlInputs: Self.controlPorts(after: ins + outs, count: parameterCount),
            portDefaults: defaults, inPlaceBroken: true)  // in-place pairs are a plugin's offer, not taken up here
        for instance in 0..<count {
            let list = channelLists + instance * (ins + outs)
            for k in 0..<ins { list[k] = inputs[instance * ins + k] }
            for k in 0..<outs { list[ins + k] = outputs[instance * outs + k] }
        }
    }

    deinit {
        for index in 0..<instances.count {
            dp_clap_processor_stop(processors[index], pluginList[index])
            dp_clap_processor_free(processors[index])
        }
        processors.deallocate()
        pluginList.deallocate()
        channelLists.deallocate()
        sent.deallocate()
        parameterIDs.deallocate()
    }

    override var latencyFrames: Int {
        if instances[0].latencyChanged { cachedLatency = instances[0].latency }
        return cachedLatency
    }

    override func makeTwin() -> PluginEffect? { try? CLAPEffect(plugin, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames) }

    override func runInstances(frames: Int) {
        let parameters = parameterCount, ports = ins + outs
        for instance in 0..<instanceCount {
            let processor = processors[instance]
            let values = control(instance, ports)
            for index in 0..<parameters where values[index] != sent[instance * parameters + index] {
                sent[instance * parameters + index] = values[index]
                _ = dp_clap_processor_add_param(processor, parameterIDs[index], nil, Double(values[index]))
            }
            _ = dp_clap_processor_run(processor, pluginList[instance], UInt32(frames))
        }
    }

    override func reset() {
        for instance in instances { instance.plugin.pointee.reset?(instance.plugin) }
    }

    // MARK: State: the state extension's bytes

    private static let statePrefix = "clap-state:"

    override func savedState() -> String? {
        instances[0].serviceCallback()
        guard let data = instances[0].savedState() else { return nil }
        return Self.statePrefix + data.base64EncodedString()
    }

    override func restore(state text: String) throws(EffectError) {
        guard text.hasPrefix(Self.statePrefix), let data = Data(base64Encoded: String(text.dropFirst(Self.statePrefix.count))) else {
            throw .failed(effect: info.id, reason: "its saved state is not a CLAP state")
        }
        for instance in instances where !instance.load(data) {
            throw .failed(effect: info.id, reason: "it refused the saved state")
        }
        // The state carries parameter values: they become the effect's, so the next block sends them unchanged.
        for (index, id) in plugin.parameterIDs.enumerated() {
            if let value = instances[0].value(id) { values.set(index, Float(value)) }
        }
    }
}
