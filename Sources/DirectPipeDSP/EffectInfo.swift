/// What an effect is, before any instance exists: shown by `directpipe plugins`,
/// stored in the plugin cache and used to build a chain.
public struct EffectInfo: Sendable, Codable, Equatable {
    public enum Format: String, Sendable, Codable, CaseIterable {
        case builtin, lv2, ladspa, vst2, vst3, clap
    }

    /// A built-in's name, an LV2 URI, a LADSPA `file.so:label`, or `vst2:`, `vst3:`, `clap:` and a file (``PluginFolders``).
    public var id: String
    public var name: String
    public var format: Format
    /// Audio inputs and outputs of one instance (a mono plugin on a stereo chain runs as a pair).
    public var audioInputs: Int
    public var audioOutputs: Int
    public var parameters: [EffectParameter]
    /// The maker, a category or class, and the file it comes from, where known.
    public var author: String
    public var category: String
    public var path: String

    public init(
        id: String, name: String, format: Format, audioInputs: Int, audioOutputs: Int, parameters: [EffectParameter],
        author: String = "", category: String = "", path: String = ""
    ) {
        self.id = id
        self.name = name
        self.format = format
        self.audioInputs = audioInputs
        self.audioOutputs = audioOutputs
        self.parameters = parameters
        self.author = author
        self.category = category
        self.path = path
    }

    /// The format an effect id names: VST2, VST3 and CLAP ids start with their format (`vst2:FILE`), an LV2 URI
    /// has a scheme, a LADSPA id is `file.so:label`.
    public static func format(of id: String) -> Format {
        for format in [Format.vst2, .vst3, .clap] where id.hasPrefix(format.rawValue + ":") { return format }
        if id.contains("://") || id.hasPrefix("urn:") { return .lv2 }
        if id.contains(".so:") { return .ladspa }
        return .builtin
    }
}
