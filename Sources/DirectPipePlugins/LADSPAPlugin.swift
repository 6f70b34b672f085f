import CLADSPA
import DirectPipeDSP
import Foundation

/// A LADSPA plugin found in a library: its descriptor and what we make of
/// its ports. The library stays loaded for the life of the process (LADSPA
/// plugins are not written to be unloaded while a descriptor is in use).
/// Unchecked Sendable: the descriptor is read-only data of a library that is never unloaded; every other field is an immutable value.
struct LADSPAPlugin: @unchecked Sendable {
    let descriptor: UnsafePointer<LADSPA_Descriptor>
    let info: EffectInfo
    let audioInputs: [Int]
    let audioOutputs: [Int]
    let controlInputs: [Int]
    /// The conventional "latency" output control port, if the plugin has one.
    let latencyPort: Int?

    /// The folders searched for LADSPA libraries: `LADSPA_PATH`, else the usual places.
    static var searchPath: [String] {
        let variable = ProcessInfo.processInfo.environment["LADSPA_PATH"] ?? ""
        let folders = variable.split(separator: ":").map(String.init).filter { !$0.isEmpty }
        return folders.isEmpty ? ["/usr/lib/ladspa", "/usr/local/lib/ladspa", "/usr/lib/x86_64-linux-gnu/ladspa"] : folders
    }

    /// The library file for `file` (a bare name is looked for along ``searchPath``).
    static func resolve(_ file: String) -> String? {
        if file.hasPrefix("/") { return FileManager.default.fileExists(atPath: file) ? file : nil }
        return searchPath.map { "\($0)/\(file)" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Every plugin in the library at `path`.
    static func all(inLibrary path: String, sampleRate: Double = 48000) throws(EffectError) -> [LADSPAPlugin] {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw .failed(effect: path, reason: "cannot load: \(String(cString: dlerror()))")
        }
        guard let symbol = dlsym(handle, "ladspa_descriptor") else {
            throw .failed(effect: path, reason: "not a LADSPA library (no ladspa_descriptor)")
        }
        let function = unsafeBitCast(symbol, to: LADSPA_Descriptor_Function.self)
        var plugins: [LADSPAPlugin] = []
        var index: UInt = 0
        while let descriptor = function(index) {
            plugins.append(LADSPAPlugin(descriptor, file: (path as NSString).lastPathComponent, path: path, sampleRate: sampleRate))
            index += 1
        }
        return plugins
    }

    /// The plugin `file.so:label`.
    static func find(_ id: String, sampleRate: Double) throws(EffectError) -> LADSPAPlugin {
        guard let colon = id.range(of: ".so:") else { throw .unknownEffect(id) }
        let file = String(id[..<colon.lowerBound]) + ".so", label = String(id[colon.upperBound...])
        guard let path = resolve(file) else {
            throw .failed(effect: id, reason: "no \(file) in LADSPA_PATH (\(searchPath.joined(separator: ":")))")
        }
        let plugins = try all(inLibrary: path, sampleRate: sampleRate)
        guard let plugin = plugins.first(where: { String(cString: $0.descriptor.pointee.Label) == label }) else {
            throw .failed(
                effect: id,
                reason:
                    "\(file) has no plugin labelled '\(label)' (it has: \(plugins.map { String(cString: $0.descriptor.pointee.Label) }.joined(separator: ", ")))"
            )
        }
        return plugin
    }

    private init(_ descriptor: UnsafePointer<LADSPA_Descriptor>, file: String, path: String, sampleRate: Double) {
        self.descriptor = descriptor
        let d = descriptor.pointee
        var inputs: [Int] = [], outputs: [Int] = [], controls: [Int] = [], parameters: [EffectParameter] = []
        var latency: Int?
        var symbols = Set<String>()
        for port in 0..<Int(d.PortCount) {
            let kind = Int32(d.PortDescriptors[port])
            let isInput = kind & LADSPA_PORT_INPUT != 0
            let name = d.PortNames[port].map { String(cString: $0) } ?? "port \(port)"
            if kind & LADSPA_PORT_AUDIO != 0 {
                if isInput { inputs.append(port) } else { outputs.append(port) }
            } else if isInput {
                controls.append(port)
                var symbol = Self.symbol(name)
                if symbols.contains(symbol) { symbol += "_\(port)" }
                symbols.insert(symbol)
                parameters.append(Self.parameter(symbol, name, d.PortRangeHints[port], sampleRate: sampleRate))
            } else if name.lowercased() == "latency" || name.lowercased() == "_latency" {
                latency = port
            }
        }
        audioInputs = inputs
        audioOutputs = outputs
        controlInputs = controls
        latencyPort = latency
        let label = String(cString: d.Label)
        info = EffectInfo(
            id: "\(file):\(label)", name: String(cString: d.Name), format: .ladspa, audioInputs: inputs.count,
            audioOutputs: outputs.count, parameters: parameters, author: d.Maker.map { String(cString: $0) } ?? "",
            category: "", path: path)
    }

    /// A port name as a symbol: lower case letters, digits and underscores ("Cutoff (Hz)" → "cutoff_hz").
    static func symbol(_ name: String) -> String {
        var symbol = ""
        for character in name.lowercased() {
            if character.isASCII && (character.isLetter || character.isNumber) {
                symbol.append(character)
            } else if !symbol.hasSuffix("_") {
                symbol.append("_")
            }
        }
        while symbol.hasSuffix("_") { symbol.removeLast() }
        if symbol.isEmpty || symbol.first!.isNumber { symbol = "p_" + symbol }
        return symbol
    }

    /// The parameter a control port's hints describe, with the default LADSPA's hint names.
    static func parameter(_ symbol: String, _ name: String, _ hint: LADSPA_PortRangeHint, sampleRate: Double) -> EffectParameter {
        let h = Int32(hint.HintDescriptor)
        let scale: Float = h & LADSPA_HINT_SAMPLE_RATE != 0 ? Float(sampleRate) : 1
        let toggled = h & LADSPA_HINT_TOGGLED != 0
        var low: Float = h & LADSPA_HINT_BOUNDED_BELOW != 0 ? hint.LowerBound * scale : (toggled ? 0 : -1e6)
        var high: Float = h & LADSPA_HINT_BOUNDED_ABOVE != 0 ? hint.UpperBound * scale : (toggled ? 1 : 1e6)
        if toggled { (low, high) = (0, 1) }
        let logarithmic = h & LADSPA_HINT_LOGARITHMIC != 0 && low > 0 && high > 0
        func between(_ lowWeight: Float) -> Float {
            logarithmic ? expf(logf(low) * lowWeight + logf(high) * (1 - lowWeight)) : low * lowWeight + high * (1 - lowWeight)
        }
        let value: Float =
            switch h & LADSPA_HINT_DEFAULT_MASK {
            case LADSPA_HINT_DEFAULT_MINIMUM: low
            case LADSPA_HINT_DEFAULT_LOW: between(0.75)
            case LADSPA_HINT_DEFAULT_MIDDLE: between(0.5)
            case LADSPA_HINT_DEFAULT_HIGH: between(0.25)
            case LADSPA_HINT_DEFAULT_MAXIMUM: high
            case LADSPA_HINT_DEFAULT_0: 0
            case LADSPA_HINT_DEFAULT_1: 1
            case LADSPA_HINT_DEFAULT_100: 100
            case LADSPA_HINT_DEFAULT_440: 440
            default: min(max(0, low), high)
            }
        let kind: EffectParameter.Kind = toggled ? .toggle : (h & LADSPA_HINT_INTEGER != 0 ? .integer : .continuous)
        return EffectParameter(symbol, name, low, high, default: value, kind: kind, logarithmic: logarithmic)
    }
}

/// A LADSPA plugin in the chain (one instance, or a pair for a mono plugin on stereo).
/// Unchecked Sendable: PluginEffect's contract: LADSPA handles run only in process() (audio thread); `handleList` is freed in deinit.
final class LADSPAEffect: PluginEffect, @unchecked Sendable {
    private let plugin: LADSPAPlugin
    private let handles: [LADSPA_Handle]
    private let run: @convention(c) (LADSPA_Handle?, UInt) -> Void
    private let connect: @convention(c) (LADSPA_Handle?, UInt, UnsafeMutablePointer<LADSPA_Data>?) -> Void
    /// ``handles`` as plain memory, for the audio thread.
    private let handleList: UnsafeMutablePointer<LADSPA_Handle?>
    private let handleCount: Int

    init(_ plugin: LADSPAPlugin, channels: Int, sampleRate: Double, maxFrames: Int) throws(EffectError) {
        self.plugin = plugin
        let d = plugin.descriptor.pointee
        guard let instantiate = d.instantiate, let connect = d.connect_port, let run = d.run else {
            throw .unsupported(effect: plugin.info.id, reason: "its descriptor lacks instantiate, connect_port or run")
        }
        self.run = run
        self.connect = connect
        var defaults = [Float](repeating: 0, count: Int(d.PortCount))
        for (index, port) in plugin.controlInputs.enumerated() { defaults[port] = plugin.info.parameters[index].defaultValue }
        var handles: [LADSPA_Handle] = []
        for _ in 0..<Self.instanceCount(ins: plugin.audioInputs.count, outs: plugin.audioOutputs.count, channels: channels) {
            guard let handle = instantiate(plugin.descriptor, UInt(sampleRate)) else {
                for handle in handles { d.cleanup?(handle) }
                throw .failed(effect: plugin.info.id, reason: "instantiate failed at \(Int(sampleRate)) Hz")
            }
            handles.append(handle)
        }
        self.handles = handles
        handleCount = handles.count
        handleList = .allocate(capacity: handles.count)
        for (index, handle) in handles.enumerated() { (handleList + index).initialize(to: handle) }
        super.init(
            info: plugin.info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, portCount: Int(d.PortCount),
            audioInputs: plugin.audioInputs, audioOutputs: plugin.audioOutputs,
            controlInputs: plugin.controlInputs.enumerated().map { ControlPort(port: $1, parameter: $0) }, portDefaults: defaults,
            inPlaceBroken: Int32(d.Properties) & LADSPA_PROPERTY_INPLACE_BROKEN != 0)
        let ins = plugin.audioInputs.count, outs = plugin.audioOutputs.count
        for (instance, handle) in handles.enumerated() {
            for port in 0..<Int(d.PortCount) { connect(handle, UInt(port), control(instance, port)) }
            for (k, port) in plugin.audioInputs.enumerated() { connect(handle, UInt(port), inputs[instance * ins + k]) }
            for (k, port) in plugin.audioOutputs.enumerated() { connect(handle, UInt(port), outputs[instance * outs + k]) }
            d.activate?(handle)
        }
    }

    deinit {
        let d = plugin.descriptor.pointee
        for handle in handles {
            d.deactivate?(handle)
            d.cleanup?(handle)
        }
        handleList.deallocate()
    }

    override var latencyPort: Int? { plugin.latencyPort }

    override func makeTwin() -> PluginEffect? { try? LADSPAEffect(plugin, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames) }

    override func runInstances(frames: Int) {
        for index in 0..<handleCount { run(handleList[index], UInt(frames)) }
    }

    override func connectAudio(instance: Int, port: Int, to buffer: UnsafeMutablePointer<Float>) {
        connect(handleList[instance], UInt(port), buffer)
    }

    override func reset() {
        let d = plugin.descriptor.pointee
        for handle in handles {
            d.deactivate?(handle)
            d.activate?(handle)
        }
    }
}
