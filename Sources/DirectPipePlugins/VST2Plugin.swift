import CDirectPipePluginABI
import DirectPipeDSP
import Foundation

/// A VST2 plugin in a library: where its entry is, which part of a shell it is, and what an instance of it
/// told us about itself (VST2 describes a plugin only through an open instance). Libraries stay loaded for
/// the life of the process, as LADSPA's do.
/// Unchecked Sendable: the entry is code of a library that is never unloaded; every other field is a value.
struct VST2Plugin: @unchecked Sendable {
    let path: String
    let entry: dp_vst2_entry_fn
    /// The part of a shell library (its unique id), or 0.
    let shellID: Int32
    let info: EffectInfo
    /// The plugin keeps its state in a chunk (saved and restored as one opaque block).
    let hasChunks: Bool
    /// It has an editor (`effFlagsHasEditor`).
    let hasEditor: Bool
    /// Per parameter: the range its normalized 0…1 value maps onto (0…1 but for integer parameters).
    let ranges: [ClosedRange<Float>]
    /// Its programs' names (VST2's presets), when it has more than one.
    let programs: [String]

    /// The plugin `vst2:FILE[#ID]`.
    static func find(_ id: String, sampleRate: Double) throws(EffectError) -> VST2Plugin {
        try PluginThread.shared.run { () throws(EffectError) in try findOnPluginThread(id, sampleRate: sampleRate) }
    }

    private static func findOnPluginThread(_ id: String, sampleRate: Double) throws(EffectError) -> VST2Plugin {
        guard let reference = PluginFolders.Reference(id), reference.format == .vst2 else { throw .unknownEffect(id) }
        guard let path = PluginFolders.resolve(reference.file, .vst2) else {
            throw .failed(effect: id, reason: "no \(reference.file) in the VST2 folders (\(PluginFolders.folders(.vst2).joined(separator: ":")))")
        }
        var shellID: Int32 = 0
        if let part = reference.part {
            guard let number = Int32(part) else { throw .failed(effect: id, reason: "'\(part)' is not a shell part's number") }
            shellID = number
        }
        return try VST2Plugin(path: path, file: reference.file, shellID: shellID, sampleRate: sampleRate)
    }

    /// Every plugin in the library at `path` (named `file` in ids): the library's one plugin, or a shell's parts.
    static func all(inLibrary path: String, file: String, sampleRate: Double = 48000) throws(EffectError) -> [VST2Plugin] {
        try PluginThread.shared.run { () throws(EffectError) in try allOnPluginThread(inLibrary: path, file: file, sampleRate: sampleRate) }
    }

    private static func allOnPluginThread(inLibrary path: String, file: String, sampleRate: Double) throws(EffectError) -> [VST2Plugin] {
        let plugin = try VST2Plugin(path: path, file: file, shellID: 0, sampleRate: sampleRate)
        guard plugin.info.category == "Shell" else { return [plugin] }
        var parts: [VST2Plugin] = []
        for shellID in plugin.shellParts where shellID != 0 {
            parts.append(try VST2Plugin(path: path, file: file, shellID: shellID, sampleRate: sampleRate))
        }
        return parts
    }

    /// A shell's parts, as its instance lists them (filled by ``init(path:file:shellID:sampleRate:)``).
    private(set) var shellParts: [Int32] = []

    /// True when the library at `path` has a VST2 entry, false for a library plugins share (LSP's core); true for
    /// one that does not load, so that loading it says why.
    static func isPluginLibrary(_ path: String) -> Bool {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else { return true }  // let loading say why
        return dlsym(handle, "VSTPluginMain") != nil || dlsym(handle, "main") != nil
    }

    /// The library's entry: `VSTPluginMain`, else `main` (DPF's and ZAM's Linux builds export only that).
    static func entry(of path: String, id: String) throws(EffectError) -> dp_vst2_entry_fn {
        guard let handle = dlopen(path, RTLD_NOW | RTLD_LOCAL) else {
            throw .failed(effect: id, reason: "cannot load: \(dlerror().map { String(cString: $0) } ?? path)")
        }
        guard let symbol = dlsym(handle, "VSTPluginMain") ?? dlsym(handle, "main") else {
            throw .failed(effect: id, reason: "not a VST2 library (neither VSTPluginMain nor main)")
        }
        return unsafeBitCast(symbol, to: dp_vst2_entry_fn.self)
    }

    private init(path: String, file: String, shellID: Int32, sampleRate: Double) throws(EffectError) {
        let id = "vst2:\(file)" + (shellID != 0 ? "#\(shellID)" : "")
        self.path = path
        self.shellID = shellID
        entry = try Self.entry(of: path, id: id)
        let instance = try VST2Instance(entry: entry, shellID: shellID, id: id, sampleRate: sampleRate, blockSize: 512, offline: true)
        let effect = instance.effect.pointee
        hasChunks = effect.flags & Int32(DP_VST2_FLAG_PROGRAM_CHUNKS.rawValue) != 0
        hasEditor = effect.flags & Int32(DP_VST2_FLAG_HAS_EDITOR.rawValue) != 0
        var parameters: [EffectParameter] = [], ranges: [ClosedRange<Float>] = [], symbols = Set<String>()
        for index in 0..<Int(effect.parameter_count) {
            let described = instance.parameter(index)
            var symbol = LADSPAPlugin.symbol(described.name)
            if symbols.contains(symbol) { symbol += "_\(index)" }
            symbols.insert(symbol)
            parameters.append(
                EffectParameter(
                    symbol, described.name, described.range.lowerBound, described.range.upperBound, default: described.value,
                    kind: described.kind))
            ranges.append(described.range)
        }
        self.ranges = ranges
        programs = effect.program_count > 1 ? (0..<Int(effect.program_count)).map(instance.programName) : []
        let category = Int32(instance.dispatch(Int32(DP_VST2_GET_PLUG_CATEGORY.rawValue)))
        if category == Int32(DP_VST2_CATEGORY_SHELL.rawValue) { shellParts = instance.shellParts() }
        let name = instance.string(Int32(DP_VST2_GET_EFFECT_NAME.rawValue))
        info = EffectInfo(
            id: id, name: name.isEmpty ? ((file as NSString).lastPathComponent as NSString).deletingPathExtension : name, format: .vst2,
            audioInputs: Int(effect.input_count), audioOutputs: Int(effect.output_count), parameters: parameters,
            author: instance.string(Int32(DP_VST2_GET_VENDOR_STRING.rawValue)), category: Self.categoryName(category), path: path)
    }

    static func categoryName(_ category: Int32) -> String {
        switch category {
        case Int32(DP_VST2_CATEGORY_EFFECT.rawValue): "Effect"
        case Int32(DP_VST2_CATEGORY_SYNTH.rawValue): "Synth"
        case Int32(DP_VST2_CATEGORY_ANALYSIS.rawValue): "Analysis"
        case Int32(DP_VST2_CATEGORY_SHELL.rawValue): "Shell"
        case Int32(DP_VST2_CATEGORY_GENERATOR.rawValue): "Generator"
        case 4: "Mastering"
        case 5: "Spatializer"
        case 6: "Room effect"
        case 7: "Surround effect"
        case 8: "Restoration"
        default: ""
        }
    }
}

/// One open instance of a VST2 plugin and the host record its callback answers from. Opened with the sample
/// rate and block size set; ``resume()`` turns it on, closing turns it off first.
/// Unchecked Sendable: the effect record is the plugin's; its dispatcher is called on the plugin thread
/// (``PluginThread``), and the audio thread calls only process and setParameter.
final class VST2Instance: @unchecked Sendable {
    let effect: UnsafeMutablePointer<dp_vst2_effect>
    let host: UnsafeMutablePointer<dp_vst2_host>
    private(set) var resumed = false

    init(entry: dp_vst2_entry_fn, shellID: Int32, id: String, sampleRate: Double, blockSize: Int, offline: Bool) throws(EffectError) {
        host = .allocate(capacity: 1)
        host.initialize(to: dp_vst2_host())  // the two counters start at zero
        host.pointee.sample_rate = sampleRate
        host.pointee.block_size = Int32(blockSize)
        host.pointee.offline = offline ? 1 : 0
        guard let effect = dp_vst2_load(entry, host, shellID) else {
            host.deallocate()
            throw .failed(effect: id, reason: "its entry returned no plugin")
        }
        guard effect.pointee.magic == DP_VST2_MAGIC else {
            host.deallocate()
            throw .failed(effect: id, reason: "its entry returned something that is not a VST2 plugin")
        }
        self.effect = effect
        dispatch(Int32(DP_VST2_OPEN.rawValue))
        dispatch(Int32(DP_VST2_SET_SAMPLE_RATE.rawValue), opt: Float(sampleRate))
        dispatch(Int32(DP_VST2_SET_BLOCK_SIZE.rawValue), value: blockSize)
        dispatch(Int32(DP_VST2_SET_PROCESS_PRECISION.rawValue), value: 0)  // 32-bit floats
    }

    deinit {
        PluginThread.shared.run {
            suspend()
            dispatch(Int32(DP_VST2_CLOSE.rawValue))  // the plugin frees its record: not touched after this
        }
        host.deallocate()
    }

    @discardableResult
    func dispatch(_ opcode: Int32, index: Int = 0, value: Int = 0, pointer: UnsafeMutableRawPointer? = nil, opt: Float = 0) -> Int {
        dp_vst2_dispatch(effect, opcode, Int32(index), value, pointer, opt)
    }

    /// A string the plugin writes for `opcode` (a buffer larger than the format's limits, which plugins overrun).
    func string(_ opcode: Int32, index: Int = 0) -> String {
        var buffer = [CChar](repeating: 0, count: Int(DP_VST2_STRING_BUFFER))
        buffer.withUnsafeMutableBytes { _ = dispatch(opcode, index: index, pointer: $0.baseAddress) }
        return String(nulTerminated: buffer).trimmingCharacters(in: .whitespaces)
    }

    /// Parameter `index` as DirectPipe shows it: its full name (the properties' label, else the short name), a
    /// toggle for a switch, whole numbers over the plugin's integer range where it gives one, else 0…1.
    func parameter(_ index: Int) -> (name: String, range: ClosedRange<Float>, kind: EffectParameter.Kind, value: Float) {
        var properties = dp_vst2_parameter_properties()
        let described = withUnsafeMutableBytes(of: &properties) {
            dispatch(Int32(DP_VST2_GET_PARAMETER_PROPERTIES.rawValue), index: index, pointer: $0.baseAddress) == 1
        }
        var name = string(Int32(DP_VST2_GET_PARAM_NAME.rawValue), index: index)
        var kind = EffectParameter.Kind.continuous, range: ClosedRange<Float> = 0...1
        if described {
            let label = String(cField: properties.label)
            if !label.isEmpty { name = label }
            if properties.flags & Int32(DP_VST2_PARAM_IS_SWITCH.rawValue) != 0 {
                kind = .toggle
            } else if properties.flags & Int32(DP_VST2_PARAM_USES_INTEGER_MIN_MAX.rawValue) != 0, properties.max_integer > properties.min_integer {
                kind = .integer
                range = Float(properties.min_integer)...Float(properties.max_integer)
            }
        }
        if name.isEmpty { name = "Parameter \(index + 1)" }
        let normalized = dp_vst2_get_parameter(effect, Int32(index))
        let value = range.lowerBound + normalized * (range.upperBound - range.lowerBound)
        return (name, range, kind, kind == .continuous ? value : value.rounded())
    }

    /// Program `index`'s name (asked by index; where a plugin cannot, by selecting it).
    func programName(_ index: Int) -> String {
        let asked = string(Int32(DP_VST2_GET_PROGRAM_NAME_INDEXED.rawValue), index: index)
        if !asked.isEmpty { return asked }
        dispatch(Int32(DP_VST2_SET_PROGRAM.rawValue), value: index)
        return string(Int32(DP_VST2_GET_PROGRAM_NAME.rawValue))
    }

    /// A shell's parts' unique ids, in the order it lists them.
    func shellParts() -> [Int32] {
        var parts: [Int32] = []
        while parts.count < 4096 {
            var name = [CChar](repeating: 0, count: Int(DP_VST2_STRING_BUFFER))
            let id = name.withUnsafeMutableBytes { dispatch(Int32(DP_VST2_SHELL_GET_NEXT_PLUGIN.rawValue), pointer: $0.baseAddress) }
            if id == 0 { break }
            parts.append(Int32(truncatingIfNeeded: id))
        }
        return parts
    }

    /// Turns processing on (mains on, then start process).
    func resume() {
        guard !resumed else { return }
        dispatch(Int32(DP_VST2_MAINS_CHANGED.rawValue), value: 1)
        dispatch(Int32(DP_VST2_START_PROCESS.rawValue))
        resumed = true
    }

    /// Turns processing off (stop process, then mains off).
    func suspend() {
        guard resumed else { return }
        dispatch(Int32(DP_VST2_STOP_PROCESS.rawValue))
        dispatch(Int32(DP_VST2_MAINS_CHANGED.rawValue), value: 0)
        resumed = false
    }

    /// The plugin's state chunk (bank), or nil when it gives none.
    func chunk() -> Data? {
        var pointer: UnsafeMutableRawPointer?
        let size = withUnsafeMutablePointer(to: &pointer) { dispatch(Int32(DP_VST2_GET_CHUNK.rawValue), pointer: UnsafeMutableRawPointer($0)) }
        guard size > 0, let pointer else { return nil }
        return Data(bytes: pointer, count: size)
    }

    /// Gives the plugin a chunk it saved.
    func setChunk(_ data: Data) {
        var bytes = [UInt8](data)
        bytes.withUnsafeMutableBytes { _ = dispatch(Int32(DP_VST2_SET_CHUNK.rawValue), value: $0.count, pointer: $0.baseAddress) }
    }
}
