import CDirectPipePluginABI
import DirectPipeDSP
import Foundation
import Synchronization

/// A CLAP plugin: its library's factory, its own id, and what an instance told us about it (parameters, audio
/// ports). Libraries are initialized once (`clap_entry.init`) and stay loaded for the life of the process.
/// Unchecked Sendable: the factory is read-only data of a library that is never unloaded; the rest are values.
struct CLAPPlugin: @unchecked Sendable {
    let path: String
    /// The plugin's own id (`com.zamaudio.ZamComp`).
    let pluginID: String
    let factory: UnsafePointer<dp_clap_factory>
    let info: EffectInfo
    /// Per DirectPipe parameter, the plugin's parameter id (hidden and read-only ones are not shown).
    let parameterIDs: [dp_clap_id]
    /// Channels of each audio input and output port.
    let inputChannels: [UInt32]
    let outputChannels: [UInt32]

    /// The plugin `clap:FILE[#PLUGIN-ID]` (the part may be left out when the file holds one plugin).
    static func find(_ id: String, sampleRate: Double) throws(EffectError) -> CLAPPlugin {
        try PluginThread.shared.run { () throws(EffectError) in try findOnPluginThread(id, sampleRate: sampleRate) }
    }

    private static func findOnPluginThread(_ id: String, sampleRate: Double) throws(EffectError) -> CLAPPlugin {
        guard let reference = PluginFolders.Reference(id), reference.format == .clap else { throw .unknownEffect(id) }
        guard let path = PluginFolders.resolve(reference.file, .clap) else {
            throw .failed(effect: id, reason: "no \(reference.file) in the CLAP folders (\(PluginFolders.folders(.clap).joined(separator: ":")))")
        }
        let factory = try Self.factory(of: path, id: id)
        let ids = Self.pluginIDs(factory)
        let pluginID: String
        if let part = reference.part {
            guard ids.contains(part) else {
                throw .failed(effect: id, reason: "\(reference.file) has no plugin \(part) (it has: \(ids.joined(separator: ", ")))")
            }
            pluginID = part
        } else {
            guard ids.count == 1 else {
                throw .failed(
                    effect: id,
                    reason: "\(reference.file) holds \(ids.count) plugins: name one (\(ids.map { "\(id)#\($0)" }.joined(separator: ", ")))")
            }
            pluginID = ids[0]
        }
        return try CLAPPlugin(
            path: path, id: ids.count == 1 ? "clap:\(reference.file)" : "clap:\(reference.file)#\(pluginID)", pluginID: pluginID, factory: factory)
    }

    /// Every plugin in the CLAP file at `path` (named `file` in ids).
    static func all(inLibrary path: String, file: String) throws(EffectError) -> [CLAPPlugin] {
        try PluginThread.shared.run { () throws(EffectError) in try allOnPluginThread(inLibrary: path, file: file) }
    }

    private static func allOnPluginThread(inLibrary path: String, file: String) throws(EffectError) -> [CLAPPlugin] {
        let factory = try Self.factory(of: path, id: "clap:\(file)")
        let ids = Self.pluginIDs(factory)
        var plugins: [CLAPPlugin] = []
        for pluginID in ids {
            plugins.append(
                try CLAPPlugin(path: path, id: ids.count == 1 ? "clap:\(file)" : "clap:\(file)#\(pluginID)", pluginID: pluginID, factory: factory))
        }
        return plugins
    }

    /// Libraries already initialized, by path (their factories' addresses): `init` may be called once only.
    private static let factories = Mutex<[String: UInt]>([:])

    /// The plugin factory of the CLAP file at `path`, its library loaded and initialized on first use.
    static func factory(of path: String, id: String) throws(EffectError) -> UnsafePointer<dp_clap_factory> {
        let result: Result<UInt, EffectError> = factories.withLock { known in
            if let address = known[path] { return .success(address) }
            guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
                return .failure(.failed(effect: id, reason: "cannot load: \(dlerror().map { String(cString: $0) } ?? path)"))
            }
            guard let symbol = dlsym(handle, "clap_entry") else { return .failure(.failed(effect: id, reason: "not a CLAP file (no clap_entry)")) }
            let entry = symbol.assumingMemoryBound(to: dp_clap_entry.self)
            guard entry.pointee.version.major >= 1 else {
                return .failure(
                    .failed(effect: id, reason: "it speaks CLAP \(entry.pointee.version.major).\(entry.pointee.version.minor), before 1.0"))
            }
            guard dp_clap_entry_init(entry, path) else { return .failure(.failed(effect: id, reason: "its entry's init failed")) }
            guard let factory = dp_clap_entry_factory(entry) else { return .failure(.failed(effect: id, reason: "it has no plugin factory")) }
            let address = UInt(bitPattern: factory)
            known[path] = address
            return .success(address)
        }
        return try UnsafePointer(bitPattern: result.get())!
    }

    static func pluginIDs(_ factory: UnsafePointer<dp_clap_factory>) -> [String] {
        let count = factory.pointee.get_plugin_count?(factory) ?? 0
        return (0..<count).compactMap { index in factory.pointee.get_plugin_descriptor?(factory, index)?.pointee.id.map { String(cString: $0) } }
    }

    private init(path: String, id: String, pluginID: String, factory: UnsafePointer<dp_clap_factory>) throws(EffectError) {
        self.path = path
        self.pluginID = pluginID
        self.factory = factory
        let instance = try CLAPInstance(factory: factory, pluginID: pluginID, id: id)
        let descriptor = instance.plugin.pointee.desc.pointee
        var parameters: [EffectParameter] = [], ids: [dp_clap_id] = [], symbols = Set<String>()
        for described in instance.parameters()
        where described.flags & DP_CLAP_PARAM_IS_HIDDEN.rawValue == 0 && described.flags & DP_CLAP_PARAM_IS_READONLY.rawValue == 0 {
            var symbol = LADSPAPlugin.symbol(String(cField: described.name))
            if symbols.contains(symbol) { symbol += "_\(described.id)" }
            symbols.insert(symbol)
            parameters.append(instance.parameter(described, symbol: symbol))
            ids.append(described.id)
        }
        parameterIDs = ids
        inputChannels = instance.audioPorts(input: true)
        outputChannels = instance.audioPorts(input: false)
        let features = Self.strings(descriptor.features)
        info = EffectInfo(
            id: id, name: descriptor.name.map { String(cString: $0) } ?? pluginID, format: .clap,
            audioInputs: Int(inputChannels.reduce(0, +)), audioOutputs: Int(outputChannels.reduce(0, +)), parameters: parameters,
            author: descriptor.vendor.map { String(cString: $0) } ?? "", category: features.first { $0 != "audio-effect" } ?? features.first ?? "",
            path: path)
    }

    /// A NULL-terminated list of C strings.
    private static func strings(_ list: UnsafePointer<UnsafePointer<CChar>?>?) -> [String] {
        guard let list else { return [] }
        var strings: [String] = [], index = 0
        while let string = list[index], index < 256 {
            strings.append(String(cString: string))
            index += 1
        }
        return strings
    }
}

/// One CLAP plugin instance and its host record: created and initialized; ``activate(sampleRate:maxFrames:)``
/// readies it for processing. Destroyed in order (stop processing, deactivate, destroy) when released.
/// Unchecked Sendable: its non-audio calls are made on the plugin thread (``PluginThread``); the audio thread only
/// processes.
final class CLAPInstance: @unchecked Sendable {
    let host: UnsafeMutablePointer<dp_clap_host>
    let plugin: UnsafePointer<dp_clap_plugin>
    let params: UnsafePointer<dp_clap_plugin_params>?
    let state: UnsafePointer<dp_clap_plugin_state>?
    private let latencyExtension: UnsafePointer<dp_clap_plugin_latency>?
    private let ports: UnsafePointer<dp_clap_plugin_audio_ports>?
    private(set) var active = false
    /// What it was activated with (for ``reactivate()``).
    private var activation: (sampleRate: Double, maxFrames: Int) = (0, 0)

    init(factory: UnsafePointer<dp_clap_factory>, pluginID: String, id: String) throws(EffectError) {
        guard let host = dp_clap_host_new() else { throw .failed(effect: id, reason: "out of memory") }
        guard let plugin = dp_clap_create(factory, host, pluginID) else {
            dp_clap_host_free(host)
            throw .failed(effect: id, reason: "its factory made no plugin \(pluginID)")
        }
        guard plugin.pointee.`init`?(plugin) == true else {
            plugin.pointee.destroy?(plugin)
            dp_clap_host_free(host)
            throw .failed(effect: id, reason: "its init failed")
        }
        self.host = host
        self.plugin = plugin
        params = dp_clap_extension(plugin, DP_CLAP_EXT_PARAMS)?.assumingMemoryBound(to: dp_clap_plugin_params.self)
        state = dp_clap_extension(plugin, DP_CLAP_EXT_STATE)?.assumingMemoryBound(to: dp_clap_plugin_state.self)
        latencyExtension = dp_clap_extension(plugin, DP_CLAP_EXT_LATENCY)?.assumingMemoryBound(to: dp_clap_plugin_latency.self)
        ports = dp_clap_extension(plugin, DP_CLAP_EXT_AUDIO_PORTS)?.assumingMemoryBound(to: dp_clap_plugin_audio_ports.self)
        PluginThread.shared.addIdleTask(for: self) { [weak self] in self?.serviceCallback() }
    }

    deinit {
        PluginThread.shared.removeIdleTask(for: self)
        PluginThread.shared.run {
            if active { plugin.pointee.deactivate?(plugin) }
            plugin.pointee.destroy?(plugin)
        }
        dp_clap_host_free(host)
    }

    /// Readies the plugin for blocks of up to `maxFrames` frames at `sampleRate`.
    func activate(sampleRate: Double, maxFrames: Int, id: String) throws(EffectError) {
        guard !active else { return }
        guard plugin.pointee.activate?(plugin, sampleRate, 1, UInt32(maxFrames)) == true else {
            throw .failed(effect: id, reason: "it refused to activate at \(Int(sampleRate)) Hz, \(maxFrames) frames")
        }
        active = true
        activation = (sampleRate, maxFrames)
    }

    /// Deactivates and activates it again as it was (processing stopped first): forgets the signal's history.
    func reactivate() {
        guard active else { return }
        plugin.pointee.deactivate?(plugin)
        active = plugin.pointee.activate?(plugin, activation.sampleRate, 1, UInt32(activation.maxFrames)) == true
    }

    /// Its latency in frames (only known once active).
    var latency: Int {
        guard active, let get = latencyExtension?.pointee.get else { return 0 }
        _ = dp_clap_host_take(host, DP_CLAP_HOST_LATENCY_CHANGED)
        return Int(get(plugin))
    }

    /// True when the plugin said its latency changed since ``latency`` was last read.
    var latencyChanged: Bool { dp_clap_host_peek(host, DP_CLAP_HOST_LATENCY_CHANGED) }

    /// Runs the plugin's main-thread callback when it asked for one (on the plugin thread: its idle task).
    /// The plugin's extension `id`, if it has it (on the plugin thread).
    func `extension`(_ id: String) -> UnsafeRawPointer? { dp_clap_extension(plugin, id) }

    func serviceCallback() {
        if dp_clap_host_take(host, DP_CLAP_HOST_CALLBACK_REQUESTED) { plugin.pointee.on_main_thread?(plugin) }
    }

    /// Every parameter the plugin has.
    func parameters() -> [dp_clap_param_info] {
        guard let params, let count = params.pointee.count?(plugin) else { return [] }
        return (0..<count).compactMap { index in
            var info = dp_clap_param_info()
            return params.pointee.get_info?(plugin, index, &info) == true ? info : nil
        }
    }

    /// The plugin's text for `value` of parameter `id`, or nil.
    func text(_ id: dp_clap_id, _ value: Double) -> String? {
        guard let toText = params?.pointee.value_to_text else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        guard toText(plugin, id, value, &buffer, UInt32(buffer.count)) else { return nil }
        return String(nulTerminated: buffer)
    }

    /// The value of parameter `id` now, or nil.
    func value(_ id: dp_clap_id) -> Double? {
        var value = 0.0
        return params?.pointee.get_value?(plugin, id, &value) == true ? value : nil
    }

    /// A parameter as DirectPipe shows it: a stepped 0…1 one is a toggle; other stepped ones are whole numbers, or
    /// choices when the plugin names their values; the unit is what follows the number in the plugin's text.
    func parameter(_ described: dp_clap_param_info, symbol: String) -> EffectParameter {
        let name = String(cField: described.name)
        let low = Float(described.min_value), high = Float(described.max_value)
        var kind = EffectParameter.Kind.continuous, choices: [EffectParameter.Choice] = []
        if described.flags & DP_CLAP_PARAM_IS_STEPPED.rawValue != 0 {
            kind = low == 0 && high == 1 ? .toggle : .integer
            if kind == .integer, high - low <= 64 {
                let labels = stride(from: described.min_value, through: described.max_value, by: 1).map { ($0, text(described.id, $0) ?? "") }
                if labels.allSatisfy({ !$0.1.isEmpty }), labels.contains(where: { Self.number(in: $0.1) == nil }) {
                    kind = .choice
                    choices = labels.map { EffectParameter.Choice(Float($0.0), $0.1) }
                }
            }
        }
        var unit = ""
        if kind == .continuous || kind == .integer, let shown = text(described.id, described.default_value), Self.number(in: shown) != nil {
            unit = shown.split(separator: " ", maxSplits: 1).dropFirst().first.map(String.init) ?? ""
        }
        return EffectParameter(
            symbol, name.isEmpty ? "Parameter \(described.id)" : name, low, high, default: Float(described.default_value), unit: unit, kind: kind,
            choices: choices)
    }

    /// The number a value's text starts with ("-12.0 dB" → -12), or nil when it starts with a word.
    private static func number(in text: String) -> Double? {
        text.split(separator: " ").first.flatMap { Double($0) }
    }

    /// Channels of each audio port on one side.
    func audioPorts(input: Bool) -> [UInt32] {
        guard let ports, let count = ports.pointee.count?(plugin, input) else { return [] }
        return (0..<count).map { index in
            var info = dp_clap_audio_port_info()
            return ports.pointee.get?(plugin, index, input, &info) == true ? info.channel_count : 0
        }
    }

    /// The plugin's state, or nil when it has none to give.
    func savedState() -> Data? {
        guard let save = state?.pointee.save else { return nil }
        var out = dp_clap_memory_out()
        dp_clap_memory_out_init(&out)
        defer { dp_clap_memory_out_free(&out) }
        let saved = withUnsafeMutablePointer(to: &out) { pointer in
            pointer.pointee.stream.ctx = UnsafeMutableRawPointer(pointer)
            return save(plugin, &pointer.pointee.stream)
        }
        guard saved, let bytes = out.bytes else { return nil }
        return Data(bytes: bytes, count: Int(out.size))
    }

    /// Loads a state the plugin saved; false when it refuses it.
    func load(_ data: Data) -> Bool {
        guard let load = state?.pointee.load else { return false }
        let bytes = [UInt8](data)
        return bytes.withUnsafeBufferPointer { buffer in
            var input = dp_clap_memory_in()
            return withUnsafeMutablePointer(to: &input) { pointer in
                dp_clap_memory_in_init(pointer, buffer.baseAddress, UInt64(buffer.count))
                return load(plugin, &pointer.pointee.stream)
            }
        }
    }
}
