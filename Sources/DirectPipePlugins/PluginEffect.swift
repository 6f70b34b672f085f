import DirectPipeDSP

/// What LV2 and LADSPA effects share: audio ports mapped onto the chain's
/// channels (a mono plugin on a stereo chain runs as a pair, like lv2apply
/// does), and control ports fed from ``AudioEffect/values`` — applied at
/// block boundaries and glided over about 10 ms where the value is continuous.
class PluginEffect: AudioEffect, @unchecked Sendable {
    /// A plugin port the host drives: its index and, for an input, its parameter.
    struct ControlPort {
        var port: Int
        var parameter: Int
    }

    let instanceCount: Int
    let audioInputPorts: [Int]
    let audioOutputPorts: [Int]
    let controlInputs: [ControlPort]
    /// Per instance, one value per port (control ports read theirs from here).
    let controlValues: UnsafeMutablePointer<Float>
    let portCount: Int
    /// Inputs then outputs, per instance: instance i's input k is `inputs[i * ins + k]`.
    let inputs: PlanarBuffer
    let outputs: PlanarBuffer
    private let glide: UnsafeMutablePointer<SmoothedValue>
    private var primed = false

    init(
        info: EffectInfo, channels: Int, sampleRate: Double, maxFrames: Int, portCount: Int, audioInputs: [Int],
        audioOutputs: [Int], controlInputs: [ControlPort], portDefaults: [Float]
    ) {
        let pair = audioInputs.count <= 1 && audioOutputs.count == 1 && channels > 1
        instanceCount = pair ? channels : 1
        audioInputPorts = audioInputs
        audioOutputPorts = audioOutputs
        self.controlInputs = controlInputs
        self.portCount = portCount
        controlValues = .allocate(capacity: max(instanceCount * portCount, 1))
        controlValues.initialize(repeating: 0, count: max(instanceCount * portCount, 1))
        for instance in 0..<instanceCount {
            for (port, value) in portDefaults.enumerated() { controlValues[instance * portCount + port] = value }
        }
        inputs = PlanarBuffer(channels: instanceCount * audioInputs.count, capacity: maxFrames)
        outputs = PlanarBuffer(channels: instanceCount * audioOutputs.count, capacity: maxFrames)
        glide = .allocate(capacity: max(controlInputs.count, 1))
        for index in controlInputs.indices { (glide + index).initialize(to: SmoothedValue(0, sampleRate: sampleRate)) }
        super.init(info: info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
    }

    deinit {
        controlValues.deallocate()
        glide.deallocate()
    }

    /// Where instance `instance` reads or writes port `port`'s value.
    func control(_ instance: Int, _ port: Int) -> UnsafeMutablePointer<Float> { controlValues + instance * portCount + port }

    /// Runs every instance over `frames` frames of ``inputs`` into ``outputs``. Real-time safe.
    func runInstances(frames: Int) {}

    override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        updateControls(frames: frames)
        let ins = audioInputPorts.count, outs = audioOutputPorts.count
        if instanceCount > 1 {
            for instance in 0..<instanceCount where ins == 1 { inputs[instance].update(from: buffers[instance], count: frames) }
        } else {
            // Input k takes channel k; a mono chain feeds both inputs of a stereo plugin; inputs beyond
            // that (a sidechain, a third channel) get silence.
            for input in 0..<ins {
                if input < channels || (channels == 1 && input < 2) {
                    inputs[input].update(from: buffers[min(input, channels - 1)], count: frames)
                } else {
                    inputs[input].update(repeating: 0, count: frames)
                }
            }
        }
        runInstances(frames: frames)
        guard outs > 0 else { return }
        if instanceCount > 1 {
            for instance in 0..<instanceCount { buffers[instance].update(from: outputs[instance], count: frames) }
        } else {
            for channel in 0..<channels { buffers[channel].update(from: outputs[min(channel, outs - 1)], count: frames) }
        }
    }

    /// The port the plugin reports its latency on, if any.
    var latencyPort: Int? { nil }

    override var latencyFrames: Int { latencyPort.map { Int(control(0, $0).pointee) } ?? 0 }

    /// A plugin that reports latency runs one block of silence, so the latency is known before the
    /// chain sums it, then is re-activated to start from its initial state. Others are left untouched
    /// (re-activation does not reset every plugin's LFOs, and output should match lv2apply's exactly).
    override func prepare() {
        guard latencyPort != nil else { return }
        let silence = PlanarBuffer(channels: channels, capacity: maxFrames)
        process(silence.pointers, frames: maxFrames)
        reset()
    }

    /// Moves each control port toward its parameter: at once for the first block and for steps
    /// (integers, toggles, choices), by a one-pole glide per block for continuous values.
    private func updateControls(frames: Int) {
        let parameters = values.parameters
        for (index, port) in controlInputs.enumerated() {
            let target = values.value(port.parameter)
            if !primed || parameters[port.parameter].kind != .continuous {
                glide[index].jump(to: target)
            } else {
                glide[index].target = target
                _ = glide[index].advance(frames)
            }
            let value = glide[index].current
            for instance in 0..<instanceCount { control(instance, port.port).pointee = value }
        }
        primed = true
    }
}
