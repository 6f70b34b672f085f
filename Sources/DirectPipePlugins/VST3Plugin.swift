import CDirectPipePluginABI
import DirectPipeDSP
import Foundation

/// A VST3 plugin: its module (the bundle, opened once per process), its class, and what an instance told us:
/// parameters, buses, and how each parameter's value maps onto VST3's normalized 0…1.
/// Unchecked Sendable: the module is never closed and read-only once opened; the rest are values.
struct VST3Plugin: @unchecked Sendable {
    let path: String
    let module: OpaquePointer
    let classID: [UInt8]
    /// The class id as a preset file writes it (32 hex digits).
    var classHex: String { classID.map { String(format: "%02X", $0) }.joined() }
    let info: EffectInfo
    /// Per DirectPipe parameter: the plugin's parameter id, and the range its normalized value maps onto
    /// linearly (plain values where the plugin maps linearly or in steps, else 0…1).
    let parameterIDs: [UInt32]
    let ranges: [ClosedRange<Float>]
    /// Channels of each audio input and output bus.
    let inputChannels: [Int32]
    let outputChannels: [Int32]

    /// The `.vstpreset` files made for this class, where VST3 hosts look for them (``VST3PresetFile``).
    var presets: [(path: String, label: String)] {
        VST3PresetFile.presets(in: VST3PresetFile.folders(vendor: info.author, name: info.name, bundle: path), classID: classHex)
    }

    /// The plugin `vst3:BUNDLE[#CLASS-ID]` (the class may be left out when the module has one effect).
    static func find(_ id: String, sampleRate: Double) throws(EffectError) -> VST3Plugin {
        try PluginThread.shared.run { () throws(EffectError) in try findOnPluginThread(id, sampleRate: sampleRate) }
    }

    private static func findOnPluginThread(_ id: String, sampleRate: Double) throws(EffectError) -> VST3Plugin {
        guard let reference = PluginFolders.Reference(id), reference.format == .vst3 else { throw .unknownEffect(id) }
        guard let path = PluginFolders.resolve(reference.file, .vst3) else {
            throw .failed(effect: id, reason: "no \(reference.file) in the VST3 folders (\(PluginFolders.folders(.vst3).joined(separator: ":")))")
        }
        let module = try open(path, id: id)
        let classes = effectClasses(module)
        let chosen: dp_vst3_class_info
        if let part = reference.part {
            guard let match = classes.first(where: { hex($0.cid) == part.uppercased() }) else {
                throw .failed(
                    effect: id, reason: "\(reference.file) has no class \(part) (it has: \(classes.map { hex($0.cid) }.joined(separator: ", ")))")
            }
            chosen = match
        } else {
            guard classes.count == 1 else {
                throw .failed(
                    effect: id,
                    reason:
                        "\(reference.file) holds \(classes.count) effects: name one (\(classes.map { "\(id)#\(hex($0.cid))" }.joined(separator: ", ")))"
                )
            }
            chosen = classes[0]
        }
        return try VST3Plugin(path: path, file: reference.file, module: module, info: chosen, single: classes.count == 1, sampleRate: sampleRate)
    }

    /// Every effect class in the module at `path` (named `file` in ids).
    static func all(inLibrary path: String, file: String, sampleRate: Double = 48000) throws(EffectError) -> [VST3Plugin] {
        try PluginThread.shared.run { () throws(EffectError) in try allOnPluginThread(inLibrary: path, file: file, sampleRate: sampleRate) }
    }

    private static func allOnPluginThread(inLibrary path: String, file: String, sampleRate: Double) throws(EffectError) -> [VST3Plugin] {
        let module = try open(path, id: "vst3:\(file)")
        let classes = effectClasses(module)
        var plugins: [VST3Plugin] = []
        for info in classes {
            plugins.append(try VST3Plugin(path: path, file: file, module: module, info: info, single: classes.count == 1, sampleRate: sampleRate))
        }
        return plugins
    }

    static func open(_ path: String, id: String) throws(EffectError) -> OpaquePointer {
        var error = [CChar](repeating: 0, count: 512)
        guard let module = dp_vst3_module_open(path, &error, error.count) else { throw .failed(effect: id, reason: String(nulTerminated: error)) }
        return module
    }

    /// The module's audio effect classes ("Audio Module Class").
    static func effectClasses(_ module: OpaquePointer) -> [dp_vst3_class_info] {
        (0..<dp_vst3_module_class_count(module)).compactMap { index in
            var info = dp_vst3_class_info()
            guard dp_vst3_module_class(module, index, &info) else { return nil }
            return String(cField: info.category) == "Audio Module Class" ? info : nil
        }
    }

    static func hex(_ uid: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8)) -> String
    {
        withUnsafeBytes(of: uid) { $0.map { String(format: "%02X", $0) }.joined() }
    }

    private init(path: String, file: String, module: OpaquePointer, info classInfo: dp_vst3_class_info, single: Bool, sampleRate: Double)
        throws(EffectError)
    {
        let id = single ? "vst3:\(file)" : "vst3:\(file)#\(Self.hex(classInfo.cid))"
        self.path = path
        self.module = module
        classID = withUnsafeBytes(of: classInfo.cid) { Array($0) }
        let instance = try VST3Instance(module: module, classID: classID, id: id)
        var parameters: [EffectParameter] = [], ids: [UInt32] = [], ranges: [ClosedRange<Float>] = [], symbols = Set<String>()
        for index in 0..<dp_vst3_instance_parameter_count(instance.instance) {
            var described = dp_vst3_parameter_info()
            guard dp_vst3_instance_parameter(instance.instance, index, &described) else { continue }
            let flags = described.flags
            guard flags & Int32(DP_VST3_PARAM_READ_ONLY.rawValue) == 0, flags & Int32(DP_VST3_PARAM_IS_HIDDEN.rawValue) == 0 else { continue }
            let name = String(cField: described.title).isEmpty ? "Parameter \(described.id)" : String(cField: described.title)
            var symbol = LADSPAPlugin.symbol(name)
            if symbols.contains(symbol) { symbol += "_\(described.id)" }
            symbols.insert(symbol)
            let (parameter, range) = instance.parameter(described, name: name, symbol: symbol)
            parameters.append(parameter)
            ranges.append(range)
            ids.append(described.id)
        }
        parameterIDs = ids
        self.ranges = ranges
        inputChannels = (0..<dp_vst3_instance_bus_count(instance.instance, 0)).map { dp_vst3_instance_bus_channels(instance.instance, 0, $0) }
        outputChannels = (0..<dp_vst3_instance_bus_count(instance.instance, 1)).map { dp_vst3_instance_bus_channels(instance.instance, 1, $0) }
        let subcategories = String(cField: classInfo.sub_categories).split(separator: "|").map(String.init)
        info = EffectInfo(
            id: id, name: String(cField: classInfo.name), format: .vst3, audioInputs: Int(inputChannels.reduce(0, +)),
            audioOutputs: Int(outputChannels.reduce(0, +)), parameters: parameters, author: String(cField: classInfo.vendor),
            category: subcategories.first { $0 != "Fx" } ?? subcategories.first ?? "", path: path)
    }
}

/// One VST3 plugin instance (component, processor and controller, as `vst3_host.c` makes them), released with it.
/// Unchecked Sendable: its non-audio calls are made on the plugin thread (``PluginThread``); the audio thread only
/// queues parameter values and processes.
final class VST3Instance: @unchecked Sendable {
    let instance: OpaquePointer

    init(module: OpaquePointer, classID: [UInt8], id: String) throws(EffectError) {
        var error = [CChar](repeating: 0, count: 512)
        let made = classID.withUnsafeBufferPointer { cid in
            cid.withMemoryRebound(to: UInt8.self) { dp_vst3_instance_new(module, $0.baseAddress, &error, error.count) }
        }
        guard let made else { throw .failed(effect: id, reason: String(nulTerminated: error)) }
        instance = made
    }

    deinit { PluginThread.shared.run { dp_vst3_instance_free(instance) } }

    func activate(sampleRate: Double, maxFrames: Int, offline: Bool, id: String) throws(EffectError) {
        var error = [CChar](repeating: 0, count: 512)
        guard dp_vst3_instance_activate(instance, sampleRate, Int32(maxFrames), offline, &error, error.count) else {
            throw .failed(effect: id, reason: String(nulTerminated: error))
        }
    }

    /// A parameter as DirectPipe shows it, and the range its normalized value maps onto: plain values for stepped
    /// parameters (a toggle for one step, choices for a list) and for those the plugin maps linearly, else 0…1.
    func parameter(_ described: dp_vst3_parameter_info, name: String, symbol: String) -> (EffectParameter, ClosedRange<Float>) {
        let id = described.id
        let low = dp_vst3_instance_to_plain(instance, id, 0), high = dp_vst3_instance_to_plain(instance, id, 1)
        let unit = String(cField: described.units)
        if described.step_count > 0 {
            let steps = Int(described.step_count), range = Float(low)...Float(max(high, low + 1))
            let value = Float(dp_vst3_instance_to_plain(instance, id, described.default_normalized)).rounded()
            if steps == 1 { return (EffectParameter(symbol, name, range.lowerBound, range.upperBound, default: value, kind: .toggle), range) }
            if described.flags & Int32(DP_VST3_PARAM_IS_LIST.rawValue) != 0, steps <= 64 {
                let choices = (0...steps).map { step in EffectParameter.Choice(range.lowerBound + Float(step), text(id, Double(step) / Double(steps)))
                }
                return (EffectParameter(symbol, name, range.lowerBound, range.upperBound, default: value, kind: .choice, choices: choices), range)
            }
            return (EffectParameter(symbol, name, range.lowerBound, range.upperBound, default: value, unit: unit, kind: .integer), range)
        }
        let linear =
            high > low
            && [0.25, 0.5, 0.75].allSatisfy { n in
                abs(dp_vst3_instance_to_plain(instance, id, n) - (low + n * (high - low))) <= (high - low) * 1e-6
            }
        guard linear else {
            return (EffectParameter(symbol, name, 0, 1, default: Float(described.default_normalized)), 0...1)
        }
        let range = Float(low)...Float(high)
        let value = Float(described.default_normalized) * (range.upperBound - range.lowerBound) + range.lowerBound
        return (EffectParameter(symbol, name, range.lowerBound, range.upperBound, default: value, unit: unit), range)
    }

    /// The plugin's text for a normalized value of parameter `id`.
    func text(_ id: UInt32, _ normalized: Double) -> String {
        var buffer = [CChar](repeating: 0, count: 512)
        return dp_vst3_instance_text(instance, id, normalized, &buffer, buffer.count) ? String(nulTerminated: buffer) : ""
    }

    /// The component's and controller's state, or nil.
    func save() -> (component: Data, controller: Data)? {
        var component: UnsafeMutablePointer<UInt8>?, controller: UnsafeMutablePointer<UInt8>?
        var componentSize = 0, controllerSize = 0
        guard dp_vst3_instance_save(instance, &component, &componentSize, &controller, &controllerSize) else { return nil }
        defer {
            free(component)
            free(controller)
        }
        return (
            component.map { Data(bytes: $0, count: componentSize) } ?? Data(), controller.map { Data(bytes: $0, count: controllerSize) } ?? Data()
        )
    }

    /// Gives the plugin a state it saved; false when the component refuses it.
    func load(component: Data, controller: Data) -> Bool {
        let a = [UInt8](component), b = [UInt8](controller)
        return a.withUnsafeBufferPointer { a in
            b.withUnsafeBufferPointer { b in dp_vst3_instance_load(instance, a.baseAddress, a.count, b.baseAddress, b.count) }
        }
    }
}
