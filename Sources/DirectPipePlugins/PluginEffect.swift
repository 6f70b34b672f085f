import DirectPipeDSP

/// What LV2 and LADSPA effects share: audio ports mapped onto the chain's
/// channels (a mono plugin on a stereo chain runs as a pair, like lv2apply
/// does), and control ports fed from ``AudioEffect/values`` — applied at
/// block boundaries and glided over about 10 ms where the value is continuous.
///
/// Where the ports map one to one onto the channels and the plugin does not
/// declare itself in-place broken, its audio ports are connected straight to
/// the chain's buffers (as Ardour and Carla do): no copying in or out.
/// Otherwise the plugin gets buffers of its own and the host copies.
/// Unchecked Sendable: non-final, and its raw control and port memory (freed in deinit) is process()'s own (audio thread).
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
    /// The parameters' change count when last applied, and whether any control was still gliding then:
    /// with neither, a block costs one atomic load for all its controls.
    private var appliedChanges: UInt32 = 0
    private var gliding = false
    // What the audio thread reads, as plain memory and counts: no array, no generic call on that path.
    private let controlCount: Int
    private let controlPorts: UnsafeMutablePointer<ControlPort>
    private let controlIsContinuous: UnsafeMutablePointer<Bool>
    private let inputCount: Int
    private let outputCount: Int
    private let inputChannels: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    private let outputChannels: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    private let channelCount: Int
    /// Ports connected straight to the chain's buffers, and the buffer each channel's ports are on now.
    private let inPlace: Bool
    private let connected: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>
    private let inputPortList: UnsafeMutablePointer<Int>
    private let outputPortList: UnsafeMutablePointer<Int>
    /// ``AudioEffect/values`` seen from here (the audio thread touches no superclass property).
    private var parameterValues: Unmanaged<ParameterValues>?

    init(
        info: EffectInfo, channels: Int, sampleRate: Double, maxFrames: Int, portCount: Int, audioInputs: [Int],
        audioOutputs: [Int], controlInputs: [ControlPort], portDefaults: [Float], inPlaceBroken: Bool
    ) {
        instanceCount = Self.instanceCount(ins: audioInputs.count, outs: audioOutputs.count, channels: channels)
        let pair = instanceCount > 1
        inPlace = !inPlaceBroken && (pair ? audioInputs.count == 1 : audioInputs.count == channels && audioOutputs.count == channels)
        connected = .allocate(capacity: max(channels, 1))
        connected.initialize(repeating: nil, count: max(channels, 1))
        inputPortList = .allocate(capacity: max(audioInputs.count, 1))
        inputPortList.initialize(from: audioInputs, count: audioInputs.count)
        outputPortList = .allocate(capacity: max(audioOutputs.count, 1))
        outputPortList.initialize(from: audioOutputs, count: audioOutputs.count)
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
        controlCount = controlInputs.count
        controlPorts = .allocate(capacity: max(controlInputs.count, 1))
        controlPorts.initialize(from: controlInputs, count: controlInputs.count)
        controlIsContinuous = .allocate(capacity: max(controlInputs.count, 1))
        for (index, port) in controlInputs.enumerated() {
            (controlIsContinuous + index).initialize(to: info.parameters[port.parameter].kind == .continuous)
        }
        inputCount = audioInputs.count
        outputCount = audioOutputs.count
        inputChannels = inputs.pointers
        outputChannels = outputs.pointers
        channelCount = channels
        super.init(info: info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        parameterValues = valuesView
    }

    deinit {
        controlValues.deallocate()
        glide.deallocate()
        controlPorts.deallocate()
        controlIsContinuous.deallocate()
        connected.deallocate()
        inputPortList.deallocate()
        outputPortList.deallocate()
    }

    /// How many instances a plugin with `ins` audio inputs and `outs` outputs runs as on `channels` channels: one
    /// per channel for a mono plugin on more than one (as lv2apply does), else one.
    static func instanceCount(ins: Int, outs: Int, channels: Int) -> Int { ins <= 1 && outs == 1 && channels > 1 ? channels : 1 }

    /// Where instance `instance` reads or writes port `port`'s value.
    func control(_ instance: Int, _ port: Int) -> UnsafeMutablePointer<Float> { controlValues + instance * portCount + port }

    /// Runs every instance over `frames` frames of ``inputs`` into ``outputs``. Real-time safe.
    func runInstances(frames: Int) {}

    /// Connects instance `instance`'s port `port` to `buffer`. Real-time safe (LV2 and LADSPA both allow
    /// connecting ports between runs on the audio thread).
    func connectAudio(instance: Int, port: Int, to buffer: UnsafeMutablePointer<Float>) {}

    @_noAllocation
    override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        updateControls(frames: frames)
        let plugin = Unmanaged.passUnretained(self)
        if inPlace {
            reconnectIfMoved(buffers)
            _unsafePerformance { plugin._withUnsafeGuaranteedRef { $0.runInstances(frames: frames) } }
            return
        }
        let ins = inputCount, outs = outputCount, channels = channelCount, instances = instanceCount
        if instances > 1 {
            for instance in 0..<instances where ins == 1 { copySamples(from: buffers[instance], to: inputChannels[instance], count: frames) }
        } else {
            // Input k takes channel k; a mono chain feeds both inputs of a stereo plugin; inputs beyond
            // that (a sidechain, a third channel) get silence.
            for input in 0..<ins {
                if input < channels || (channels == 1 && input < 2) {
                    copySamples(from: buffers[min(input, channels - 1)], to: inputChannels[input], count: frames)
                } else {
                    for frame in 0..<frames { inputChannels[input][frame] = 0 }
                }
            }
        }
        // The plugin's own code (a C call the compiler cannot see into): real-time safe by the plugin's contract.
        _unsafePerformance { plugin._withUnsafeGuaranteedRef { $0.runInstances(frames: frames) } }
        guard outs > 0 else { return }
        if instances > 1 {
            for instance in 0..<instances { copySamples(from: outputChannels[instance], to: buffers[instance], count: frames) }
        } else {
            for channel in 0..<channels { copySamples(from: outputChannels[min(channel, outs - 1)], to: buffers[channel], count: frames) }
        }
    }

    /// In place: (re)connects channel c's input and output ports to the chain's buffer c when it is not
    /// already there — once, in practice, since a chain's buffers do not move.
    @_noAllocation
    private func reconnectIfMoved(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>) {
        let plugin = Unmanaged.passUnretained(self)
        let pairs = instanceCount > 1, inputs = inputPortList, outputs = outputPortList
        for channel in 0..<channelCount where connected[channel] != buffers[channel] {
            let buffer = buffers[channel]
            let instance = pairs ? channel : 0, port = pairs ? 0 : channel
            _unsafePerformance {
                plugin._withUnsafeGuaranteedRef {
                    $0.connectAudio(instance: instance, port: inputs[port], to: buffer)
                    $0.connectAudio(instance: instance, port: outputs[port], to: buffer)
                }
            }
            connected[channel] = buffer
        }
    }

    /// The port the plugin reports its latency on, if any.
    var latencyPort: Int? { nil }

    /// True when the plugin tells its latency only once it has run: through a latency port (LV2, LADSPA), or as
    /// DPF's VST2 builds do, from their process call.
    var latencyNeedsARun: Bool { latencyPort != nil }

    /// The latency the plugin reports now (once it has run, where ``latencyNeedsARun``).
    var reportedLatency: Int { latencyPort.map { Int(control(0, $0).pointee) } ?? 0 }

    /// The latency a twin reported in ``prepare()``, until this instance has run and reports its own.
    private var preparedLatency = 0

    override var latencyFrames: Int { latencyNeedsARun && !primed ? preparedLatency : reportedLatency }

    /// A fresh instance of the same plugin for the same chain, or nil.
    func makeTwin() -> PluginEffect? { nil }

    /// Whether the plugin has an editor of its own that DirectPipe can open (an X11 one).
    var hasEditor: Bool { false }

    /// Why the plugin's own editor cannot be opened although it has one (another toolkit's, say); nil otherwise.
    var editorUnavailable: String? { nil }

    /// Opens the plugin's editor in a window on `display` titled `title`, shown (on the plugin thread).
    func openEditor(on display: EditorDisplay, title: String) throws(EditorError) -> PluginEditor {
        throw .none(effect: info.id)
    }

    /// A plugin that reports latency only does so once it has run: a twin, set up the same way, runs a
    /// block of silence and tells. This instance stays untouched, so the signal meets it in its initial
    /// state (re-activating it instead does not reset every plugin: LSP's differ by an ulp from lv2apply's).
    override func prepare() {
        guard latencyNeedsARun, let twin = makeTwin() else { return }
        for index in 0..<values.count { twin.values.set(index, values.value(index)) }
        if let state = savedState() { try? twin.restore(state: state) }
        let silence = PlanarBuffer(channels: channels, capacity: maxFrames)
        twin.process(silence.pointers, frames: maxFrames)
        preparedLatency = twin.latencyFrames
    }

    /// Moves each control port toward its parameter: at once for the first block and for steps
    /// (integers, toggles, choices), by a one-pole glide per block for continuous values.
    @_noAllocation
    private func updateControls(frames: Int) {
        let first = !primed
        let changes = parameterValues?._withUnsafeGuaranteedRef { $0.changeCount } ?? 0
        if !first, !gliding, changes == appliedChanges { return }
        appliedChanges = changes
        var stillGliding = false
        for index in 0..<controlCount {
            let port = controlPorts[index]
            let target = parameterValues?._withUnsafeGuaranteedRef { $0.value(port.parameter) } ?? 0
            let settled = glide[index].isSettled, unchanged = glide[index].current == target  // (no `&&` on self: autoclosures)
            if !first, settled, unchanged { continue }
            let continuous = controlIsContinuous[index]  // read before `||`: no self captured in its autoclosure
            let steps = first || !continuous
            if steps {
                glide[index].jump(to: target)
            } else {
                glide[index].target = target
                _ = glide[index].advance(frames)
                if !glide[index].isSettled { stillGliding = true }
            }
            let value = glide[index].current
            for instance in 0..<instanceCount { controlValues[instance * portCount + port.port] = value }
        }
        gliding = stillGliding
        primed = true
    }
}
