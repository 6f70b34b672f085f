import CDirectPipePluginABI
import DirectPipeDSP
import Foundation

/// A VST3 plugin in the chain (one instance, or a pair for a mono plugin on stereo), through the
/// ``PluginEffect`` port model: ports are its buses' input channels, then output channels, then one per parameter.
/// A changed parameter goes to the processor as a normalized value in the block's parameter changes, at its start;
/// latency is the processor's; state is the component's and the controller's, both kept.
/// Unchecked Sendable: PluginEffect's contract: instances are processed only in process() (audio thread), their
/// other calls made before the chain goes live; the pointer lists are freed in deinit.
final class VST3Effect: PluginEffect, @unchecked Sendable {
    let plugin: VST3Plugin
    private let instances: [VST3Instance]
    private let instanceList: UnsafeMutablePointer<OpaquePointer>
    private let channelLists: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>
    private let sent: UnsafeMutablePointer<Float>
    private let parameterIDs: UnsafeMutablePointer<UInt32>
    private let lowest: UnsafeMutablePointer<Float>
    private let span: UnsafeMutablePointer<Float>
    private let parameterCount: Int
    private let ins: Int
    private let outs: Int
    private var cachedLatency: Int

    init(_ plugin: VST3Plugin, channels: Int, sampleRate: Double, maxFrames: Int, live: Bool) throws(EffectError) {
        self.plugin = plugin
        let info = plugin.info
        ins = info.audioInputs
        outs = info.audioOutputs
        parameterCount = plugin.parameterIDs.count
        let pair = ins <= 1 && outs == 1 && channels > 1
        var instances: [VST3Instance] = []
        for _ in 0..<(pair ? channels : 1) {
            let instance = try VST3Instance(module: plugin.module, classID: plugin.classID, id: info.id)
            try instance.activate(sampleRate: sampleRate, maxFrames: maxFrames, offline: !live, id: info.id)
            instances.append(instance)
        }
        self.instances = instances
        cachedLatency = Int(dp_vst3_instance_latency(instances[0].instance))
        let count = instances.count
        instanceList = .allocate(capacity: count)
        instanceList.initialize(from: instances.map(\.instance), count: count)
        channelLists = .allocate(capacity: max(count * (ins + outs), 1))
        channelLists.initialize(repeating: nil, count: max(count * (ins + outs), 1))
        sent = .allocate(capacity: max(count * parameterCount, 1))
        sent.initialize(repeating: .nan, count: max(count * parameterCount, 1))
        parameterIDs = .allocate(capacity: max(parameterCount, 1))
        parameterIDs.initialize(from: plugin.parameterIDs, count: parameterCount)
        lowest = .allocate(capacity: max(parameterCount, 1))
        span = .allocate(capacity: max(parameterCount, 1))
        for (index, range) in plugin.ranges.enumerated() {
            (lowest + index).initialize(to: range.lowerBound)
            (span + index).initialize(to: range.upperBound - range.lowerBound)
        }
        let portCount = ins + outs + parameterCount
        var defaults = [Float](repeating: 0, count: portCount)
        for (index, parameter) in info.parameters.enumerated() { defaults[ins + outs + index] = parameter.defaultValue }
        super.init(
            info: info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, portCount: portCount, audioInputs: Array(0..<ins),
            audioOutputs: Array(ins..<(ins + outs)), controlInputs: Self.controlPorts(after: ins + outs, count: parameterCount),
            portDefaults: defaults, inPlaceBroken: true)  // VST3 lets a host pass one buffer both ways; not done here
        for (index, instance) in instances.enumerated() {
            let list = channelLists + index * (ins + outs)
            for k in 0..<ins { list[k] = inputs[index * ins + k] }
            for k in 0..<outs { list[ins + k] = outputs[index * outs + k] }
            dp_vst3_instance_set_buffers(instance.instance, list, list + ins)
        }
    }

    deinit {
        instanceList.deallocate()
        channelLists.deallocate()
        sent.deallocate()
        parameterIDs.deallocate()
        lowest.deallocate()
        span.deallocate()
    }

    override var latencyFrames: Int {
        if dp_vst3_instance_take_restart_flags(instances[0].instance) & (1 << 3) != 0 {
            cachedLatency = Int(dp_vst3_instance_latency(instances[0].instance))
        }
        return cachedLatency
    }

    override func makeTwin() -> PluginEffect? {
        try? VST3Effect(plugin, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, live: false)
    }

    override func reset() {
        for instance in instances { dp_vst3_instance_reset(instance.instance) }
    }

    override func runInstances(frames: Int) {
        let parameters = parameterCount, ports = ins + outs
        for index in 0..<instanceCount {
            let instance = instanceList[index]
            let values = control(index, ports)
            for parameter in 0..<parameters where values[parameter] != sent[index * parameters + parameter] {
                sent[index * parameters + parameter] = values[parameter]
                let normalized = span[parameter] > 0 ? (values[parameter] - lowest[parameter]) / span[parameter] : values[parameter]
                _ = dp_vst3_instance_queue(instance, parameterIDs[parameter], Double(min(max(normalized, 0), 1)))
            }
            _ = dp_vst3_instance_process(instance, Int32(frames))
        }
    }

    // MARK: State: the component's and the controller's, as two base64 blocks

    private static let statePrefix = "vst3-state:"

    override func savedState() -> String? {
        guard let (component, controller) = instances[0].save() else { return nil }
        return Self.statePrefix + component.base64EncodedString() + ":" + controller.base64EncodedString()
    }

    override func restore(state text: String) throws(EffectError) {
        let parts = text.dropFirst(Self.statePrefix.count).split(separator: ":", omittingEmptySubsequences: false)
        guard text.hasPrefix(Self.statePrefix), parts.count == 2, let component = Data(base64Encoded: String(parts[0])),
            let controller = Data(base64Encoded: String(parts[1]))
        else { throw .failed(effect: info.id, reason: "its saved state is not a VST3 state") }
        for instance in instances where !instance.load(component: component, controller: controller) {
            throw .failed(effect: info.id, reason: "it refused the saved state")
        }
        // The state carries parameter values: they become the effect's, so the next block sends them unchanged.
        for (index, id) in plugin.parameterIDs.enumerated() {
            let normalized = Float(dp_vst3_instance_normalized(instances[0].instance, id))
            values.set(index, normalized * (plugin.ranges[index].upperBound - plugin.ranges[index].lowerBound) + plugin.ranges[index].lowerBound)
        }
    }
}
