import DirectPipeDSP

/// What VST2, VST3 and CLAP effects share: their parameters are not ports but values the host sends when they
/// change (`setParameter`, a parameter queue, a parameter event), so on top of ``PluginEffect``'s port model
/// (the audio ports first, then one port per parameter) this keeps, per instance, the value last sent of each
/// parameter, each parameter's range for formats that take normalized values, and each instance's channel pointers
/// (inputs then outputs) as plain memory for the audio thread.
/// Unchecked Sendable: PluginEffect's contract; the memory is the audio thread's once live, freed in deinit.
class ValuePluginEffect: PluginEffect, @unchecked Sendable {
    let ins: Int
    let outs: Int
    let parameterCount: Int
    /// Where the plugin's editor reports (instance 0's: the one an editor opens on).
    let editorQueue = EditorQueue()
    /// Instance i's channel pointers: `channelLists + i * (ins + outs)`, inputs then outputs.
    let channelLists: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>
    private let sent: UnsafeMutablePointer<Float>
    private let lowest: UnsafeMutablePointer<Float>
    private let span: UnsafeMutablePointer<Float>

    /// The instances an effect of `info` needs on `channels` channels, each made by `make` on the plugin thread.
    static func makeInstances<Instance>(
        for info: EffectInfo, channels: Int, _ make: () throws(EffectError) -> Instance
    ) throws(EffectError) -> [Instance] {
        let count = instanceCount(ins: info.audioInputs, outs: info.audioOutputs, channels: channels)
        return try PluginThread.shared.run { () throws(EffectError) in
            var instances: [Instance] = []
            for _ in 0..<count { instances.append(try make()) }
            return instances
        }
    }

    /// `normalizedRanges`: per parameter, the range its value maps onto 0…1 linearly before it is sent; nil for a
    /// format that takes values as they are (CLAP).
    init(
        info: EffectInfo, channels: Int, sampleRate: Double, maxFrames: Int, instances: Int, normalizedRanges: [ClosedRange<Float>]?
    ) {
        let ins = info.audioInputs, outs = info.audioOutputs, parameterCount = info.parameters.count
        self.ins = ins
        self.outs = outs
        self.parameterCount = parameterCount
        channelLists = .allocate(capacity: max(instances * (ins + outs), 1))
        channelLists.initialize(repeating: nil, count: max(instances * (ins + outs), 1))
        // A new instance holds its defaults already: sent as they are, so the first block sends only what differs (a
        // value sent back through VST2's or VST3's normalized form need not come back as the same float).
        sent = .allocate(capacity: max(instances * parameterCount, 1))
        sent.initialize(repeating: 0, count: max(instances * parameterCount, 1))
        for instance in 0..<instances {
            for (index, parameter) in info.parameters.enumerated() { sent[instance * parameterCount + index] = parameter.defaultValue }
        }
        lowest = .allocate(capacity: max(parameterCount, 1))
        lowest.initialize(repeating: 0, count: max(parameterCount, 1))
        span = .allocate(capacity: max(parameterCount, 1))
        span.initialize(repeating: 0, count: max(parameterCount, 1))
        for (index, range) in (normalizedRanges ?? []).enumerated() {
            lowest[index] = range.lowerBound
            span[index] = range.upperBound - range.lowerBound
        }
        var defaults = [Float](repeating: 0, count: ins + outs + parameterCount)
        for (index, parameter) in info.parameters.enumerated() { defaults[ins + outs + index] = parameter.defaultValue }
        super.init(
            info: info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, portCount: ins + outs + parameterCount,
            audioInputs: Array(0..<ins), audioOutputs: Array(ins..<(ins + outs)),
            controlInputs: (0..<parameterCount).map { ControlPort(port: ins + outs + $0, parameter: $0) },
            portDefaults: defaults, inPlaceBroken: true)  // none of the three promises that an input may be an output
        for instance in 0..<instances {
            let list = channelLists + instance * (ins + outs)
            for k in 0..<ins { list[k] = inputs[instance * ins + k] }
            for k in 0..<outs { list[ins + k] = outputs[instance * outs + k] }
        }
    }

    deinit {
        channelLists.deallocate()
        sent.deallocate()
        lowest.deallocate()
        span.deallocate()
    }

    /// Parameter `index`'s value for `normalized`, a 0…1 value the plugin gave (its editor moved it).
    func plainValue(_ index: Int, normalized: Float) -> Float {
        span[index] > 0 ? lowest[index] + min(max(normalized, 0), 1) * span[index] : normalized
    }

    /// Parameter `index`'s `value` as the plugin takes it (0…1 where the format normalizes).
    func normalizedValue(_ index: Int, _ value: Float) -> Float {
        span[index] > 0 ? min(max((value - lowest[index]) / span[index], 0), 1) : value
    }

    /// Calls `send(parameter, value)` for each parameter of `instance` whose value changed since it was last sent
    /// (every one, the first time), the value normalized where the format takes 0…1. Real-time safe.
    @inline(__always)
    func forEachChange(of instance: Int, _ send: (Int, Float) -> Void) {
        let values = control(instance, ins + outs), last = sent + instance * parameterCount
        for index in 0..<parameterCount where values[index] != last[index] {
            last[index] = values[index]
            send(index, span[index] > 0 ? min(max((values[index] - lowest[index]) / span[index], 0), 1) : values[index])
        }
    }

    // The format's non-audio calls, made on the plugin thread: subclasses override the `OnPluginThread` forms.

    override final func savedState() -> String? { PluginThread.shared.run { savedStateOnPluginThread() } }

    override final func restore(state text: String) throws(EffectError) {
        try PluginThread.shared.run { () throws(EffectError) in try restoreOnPluginThread(text) }
    }

    override final func reset() { PluginThread.shared.run { resetOnPluginThread() } }

    /// The plugin's state as text for chain files (on the plugin thread).
    func savedStateOnPluginThread() -> String? { nil }

    /// Restores what ``savedStateOnPluginThread()`` gave (on the plugin thread).
    func restoreOnPluginThread(_ text: String) throws(EffectError) {}

    /// Forgets the signal's history (on the plugin thread).
    func resetOnPluginThread() {}

    /// Takes the plugin's own values (after its state was loaded) as the effect's: `read(index)` gives parameter
    /// `index`'s value, normalized where the format's values are. They count as sent, so the next block does not send
    /// them back (through a normalized form that need not return the same float).
    func takeValues(_ read: (Int) -> Float) {
        for index in 0..<parameterCount {
            let raw = read(index)
            values.set(index, span[index] > 0 ? raw * span[index] + lowest[index] : raw)
            for instance in 0..<instanceCount { sent[instance * parameterCount + index] = values.value(index) }
        }
    }
}
