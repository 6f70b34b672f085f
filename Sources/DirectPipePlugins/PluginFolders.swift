import DirectPipeDSP
import Foundation

/// Where each file-based format's plugins are looked for, as users and distributions have them (yabridge's
/// folders are among these), and how an effect id names a file in them.
///
/// A VST2, VST3 or CLAP id is `FORMAT:FILE`, `FILE` relative to one of the format's folders (the first that has
/// it) or absolute, with `#PART` after it when the file holds several plugins: `vst2:ZamComp-vst.so`,
/// `vst2:lsp-plugins/compressor-stereo.so`, `vst3:ZamComp.vst3`, `clap:ZamComp.clap#com.zamaudio.ZamComp`.
public enum PluginFolders {
    /// The folders for `format`: its variable (`VST_PATH`, `VST3_PATH`, `CLAP_PATH`, colon-separated) when set,
    /// else the usual ones, the user's first.
    public static func folders(_ format: EffectInfo.Format, environment: [String: String] = ProcessInfo.processInfo.environment) -> [String] {
        let home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory()
        let (variable, usual): (String, [String]) =
            switch format {
            case .vst2:
                (
                    "VST_PATH",
                    [
                        "\(home)/.vst", "\(home)/.lxvst", "/usr/local/lib/vst", "/usr/local/lib/lxvst", "/usr/lib/vst", "/usr/lib/lxvst",
                        "/usr/lib/x86_64-linux-gnu/vst",
                    ]
                )
            case .vst3: ("VST3_PATH", ["\(home)/.vst3", "/usr/local/lib/vst3", "/usr/lib/vst3"])
            case .clap: ("CLAP_PATH", ["\(home)/.clap", "/usr/local/lib/clap", "/usr/lib/clap"])
            case .builtin, .lv2, .ladspa: ("", [])
            }
        let given = (environment[variable] ?? "").split(separator: ":").map(String.init).filter { !$0.isEmpty }
        return given.isEmpty ? usual : given
    }

    /// An id split into its format, file and part (nil for ids of other formats).
    public struct Reference: Sendable, Equatable {
        public var format: EffectInfo.Format
        public var file: String
        public var part: String?

        public init(format: EffectInfo.Format, file: String, part: String? = nil) {
            self.format = format
            self.file = file
            self.part = part
        }

        public init?(_ id: String) {
            let format = EffectInfo.format(of: id)
            guard format == .vst2 || format == .vst3 || format == .clap else { return nil }
            let rest = id.dropFirst(format.rawValue.count + 1)
            let pieces = rest.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)
            guard let file = pieces.first, !file.isEmpty else { return nil }
            self.init(format: format, file: String(file), part: pieces.count > 1 ? String(pieces[1]) : nil)
        }

        /// The id this names.
        public var id: String { "\(format.rawValue):\(file)" + (part.map { "#\($0)" } ?? "") }
    }

    /// The path of `file` for `format`: itself when absolute, else in the first folder that has it.
    static func resolve(_ file: String, _ format: EffectInfo.Format) -> String? {
        if file.hasPrefix("/") { return FileManager.default.fileExists(atPath: file) ? file : nil }
        return folders(format).map { "\($0)/\(file)" }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// Every plugin file of `format` under its folders, as (id file, path): libraries (`.so`) for VST2, bundles
    /// (`.vst3`) for VST3, `.clap` files for CLAP; searched into subfolders (LSP and IEM keep theirs in one), a
    /// file found in two folders once (the first, as ``resolve(_:_:)`` picks).
    static func files(_ format: EffectInfo.Format) -> [(file: String, path: String)] {
        let suffix = format == .vst3 ? ".vst3" : (format == .clap ? ".clap" : ".so")
        var found: [(file: String, path: String)] = [], seen = Set<String>()
        for folder in folders(format) {
            guard let walker = FileManager.default.enumerator(atPath: folder) else { continue }
            var names: [String] = []
            while let name = walker.nextObject() as? String {
                if name.hasSuffix(suffix) {
                    names.append(name)
                    if format == .vst3 { walker.skipDescendants() }  // a bundle's insides are not plugins of their own
                }
            }
            for name in names.sorted() where seen.insert(name).inserted { found.append((name, "\(folder)/\(name)")) }
        }
        return found
    }
}
