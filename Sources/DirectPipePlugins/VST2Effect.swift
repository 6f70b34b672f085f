import CDirectPipePluginABI
import DirectPipeDSP
import Foundation

/// A VST2 plugin in the chain (one instance, or a pair for a mono plugin on stereo), through the
/// ``PluginEffect`` port model: ports are the plugin's inputs, then its outputs, then one per parameter.
/// A parameter's value is sent with `setParameter` (normalized) in the block where it changed, before
/// `processReplacing`; its latency is the record's `initialDelay`; its state is its chunk where it keeps one.
/// Unchecked Sendable: PluginEffect's contract: instances run only in process() (audio thread), their
/// dispatcher only before the chain goes live; the pointer lists are freed in deinit.
final class VST2Effect: PluginEffect, @unchecked Sendable {
    let plugin: VST2Plugin
    private let instances: [VST2Instance]
    private let live: Bool
    // For the audio thread, as plain memory: each instance's effect, its input and output pointer lists, the
    // last value sent per parameter, and each parameter's range.
    private let effectList: UnsafeMutablePointer<UnsafeMutablePointer<dp_vst2_effect>>
    private let inputLists: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>
    private let outputLists: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>
    private let sent: UnsafeMutablePointer<Float>
    private let lowest: UnsafeMutablePointer<Float>
    private let span: UnsafeMutablePointer<Float>
    private let parameterCount: Int
    private let ins: Int
    private let outs: Int
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
        ins = info.audioInputs
        outs = info.audioOutputs
        parameterCount = info.parameters.count
        let pair = ins <= 1 && outs == 1 && channels > 1
        var instances: [VST2Instance] = []
        for _ in 0..<(pair ? channels : 1) {
            instances.append(
                try VST2Instance(
                    entry: plugin.entry, shellID: plugin.shellID, id: info.id, sampleRate: sampleRate, blockSize: maxFrames, offline: !live))
        }
        self.instances = instances
        let count = instances.count
        effectList = .allocate(capacity: count)
        effectList.initialize(from: instances.map(\.effect), count: count)
        inputLists = .allocate(capacity: max(count * ins, 1))
        inputLists.initialize(repeating: nil, count: max(count * ins, 1))
        outputLists = .allocate(capacity: max(count * outs, 1))
        outputLists.initialize(repeating: nil, count: max(count * outs, 1))
        sent = .allocate(capacity: max(count * parameterCount, 1))
        sent.initialize(repeating: .nan, count: max(count * parameterCount, 1))
        lowest = .allocate(capacity: max(parameterCount, 1))
        span = .allocate(capacity: max(parameterCount, 1))
        for (index, range) in plugin.ranges.enumerated() {
            (lowest + index).initialize(to: range.lowerBound)
            (span + index).initialize(to: range.upperBound - range.lowerBound)
        }
        let doublesOnly = instances[0].effect.pointee.flags & Int32(DP_VST2_FLAG_CAN_REPLACING.rawValue) == 0
        doubleInputs = doublesOnly ? PlanarDoubles(channels: max(1, count * ins), frames: maxFrames) : nil
        doubleOutputs = doublesOnly ? PlanarDoubles(channels: max(1, count * outs), frames: maxFrames) : nil
        doubleInputList = doubleInputs?.pointers
        doubleOutputList = doubleOutputs?.pointers
        let portCount = ins + outs + parameterCount
        var defaults = [Float](repeating: 0, count: portCount)
        for (index, parameter) in info.parameters.enumerated() { defaults[ins + outs + index] = parameter.defaultValue }
        super.init(
            info: info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, portCount: portCount, audioInputs: Array(0..<ins),
            audioOutputs: Array(ins..<(ins + outs)), controlInputs: Self.controlPorts(after: ins + outs, count: parameterCount),
            portDefaults: defaults, inPlaceBroken: true)  // VST2 does not promise that inputs may be outputs
        for instance in 0..<count {
            for k in 0..<ins { inputLists[instance * ins + k] = inputs[instance * ins + k] }
            for k in 0..<outs { outputLists[instance * outs + k] = outputs[instance * outs + k] }
        }
        for instance in instances { instance.resume() }
    }

    deinit {
        for instance in instances { instance.suspend() }
        effectList.deallocate()
        inputLists.deallocate()
        outputLists.deallocate()
        sent.deallocate()
        lowest.deallocate()
        span.deallocate()
    }

    /// DPF's builds set `initialDelay` in their process call only: asked of a twin that has run (``prepare()``).
    override var latencyNeedsARun: Bool { true }

    override var reportedLatency: Int { Int(max(0, instances[0].effect.pointee.initial_delay)) }

    override func makeTwin() -> PluginEffect? {
        try? VST2Effect(plugin, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, live: live)
    }

    override func runInstances(frames: Int) {
        let parameters = parameterCount, inputs = ins, outputs = outs, ports = ins + outs
        for instance in 0..<instanceCount {
            let effect = effectList[instance]
            let values = control(instance, ports)
            for index in 0..<parameters where values[index] != sent[instance * parameters + index] {
                sent[instance * parameters + index] = values[index]
                let normalized = span[index] > 0 ? (values[index] - lowest[index]) / span[index] : values[index]
                dp_vst2_set_parameter(effect, Int32(index), min(max(normalized, 0), 1))
            }
            dp_vst2_process(
                effect, inputLists + instance * inputs, outputLists + instance * outputs, Int32(frames),
                doubleInputList.map { $0 + instance * inputs },
                doubleOutputList.map { $0 + instance * outputs })
        }
    }

    override func reset() {
        for instance in instances {
            instance.suspend()
            instance.resume()
        }
    }

    // MARK: State: the plugin's chunk, where it keeps one (its parameters are saved as parameters anyway)

    private static let chunkPrefix = "vst2-chunk:"

    override func savedState() -> String? {
        guard plugin.hasChunks, let chunk = instances[0].chunk() else { return nil }
        return Self.chunkPrefix + chunk.base64EncodedString()
    }

    override func restore(state text: String) throws(EffectError) {
        guard text.hasPrefix(Self.chunkPrefix), let chunk = Data(base64Encoded: String(text.dropFirst(Self.chunkPrefix.count))) else {
            throw .failed(effect: info.id, reason: "its saved state is not a VST2 chunk")
        }
        guard plugin.hasChunks else { throw .failed(effect: info.id, reason: "it keeps no state chunk, yet one was given") }
        for instance in instances { instance.setChunk(chunk) }
        // The chunk carries parameter values: they become the effect's, so the next block sends them back unchanged.
        for index in 0..<parameterCount {
            let normalized = dp_vst2_get_parameter(instances[0].effect, Int32(index))
            let value = plugin.ranges[index].lowerBound + normalized * (plugin.ranges[index].upperBound - plugin.ranges[index].lowerBound)
            values.set(index, value)
        }
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
