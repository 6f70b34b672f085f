import Foundation

/// Where DirectPipe's OBS plugin is built, and where OBS looks for plugins: the user's folder
/// (`~/.config/obs-studio/plugins/directpipe-obs/{bin/64bit,data}`), with `--system` the
/// folders of the distribution's OBS package, with `--flatpak` the OBS Flatpak's own folder.
public enum OBSPluginFiles {
    public static let libraryName = "directpipe-obs.so"

    /// Where one installation lives.
    public struct Location: Equatable, Sendable {
        public var library: URL
        public var data: URL
        /// The folder removed on uninstall (user installs: the plugin's whole folder).
        public var root: URL
    }

    public static func user(environment: [String: String] = ProcessInfo.processInfo.environment) -> Location {
        let config =
            environment["XDG_CONFIG_HOME"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".config")
        return pluginFolder(config.appendingPathComponent("obs-studio/plugins/directpipe-obs"))
    }

    /// A plugin folder of OBS's own layout: `bin/64bit/` and `data/`, removed whole on uninstall.
    private static func pluginFolder(_ root: URL) -> Location {
        Location(library: root.appendingPathComponent("bin/64bit/\(libraryName)"), data: root.appendingPathComponent("data"), root: root)
    }

    public static var system: Location {
        let data = URL(fileURLWithPath: "/usr/share/obs/obs-plugins/directpipe-obs")
        return Location(library: URL(fileURLWithPath: "/usr/lib/x86_64-linux-gnu/obs-plugins/\(libraryName)"), data: data, root: data)
    }

    public static let flatpakID = "com.obsproject.Studio"

    /// The OBS of the Flatpak keeps its plugins in its own config folder.
    public static func flatpakConfig(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL {
        URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".var/app/\(flatpakID)/config/obs-studio")
    }

    public static func flatpak(environment: [String: String] = ProcessInfo.processInfo.environment) -> Location {
        pluginFolder(flatpakConfig(environment: environment).appendingPathComponent("plugins/directpipe-obs"))
    }

    /// The built plugin: $DIRECTPIPE_OBS_PLUGIN, `obs` beside this program, or `.build/native/obs` when it runs
    /// from SwiftPM's build folder (`.build/<triple>/<configuration>/directpipe`).
    public static func built(environment: [String: String] = ProcessInfo.processInfo.environment) -> URL? {
        let folder = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [
            environment["DIRECTPIPE_OBS_PLUGIN"].map { URL(fileURLWithPath: $0) },
            folder.appendingPathComponent("obs"),
            folder.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("native/obs"),
        ]
        .compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0.appendingPathComponent(libraryName).path) }
    }

    /// Copies the built plugin into `location`, each file written beside its place and renamed over it,
    /// so a running OBS never loads half a library.
    public static func install(from built: URL, to location: Location) throws {
        let manager = FileManager.default
        try manager.createDirectory(at: location.library.deletingLastPathComponent(), withIntermediateDirectories: true)
        try replace(location.library, with: built.appendingPathComponent(libraryName))
        let source = built.appendingPathComponent("data")
        guard let files = manager.enumerator(at: source, includingPropertiesForKeys: nil) else { return }
        for case let file as URL in files where !file.hasDirectoryPath {
            let relative = file.path.dropFirst(source.path.count + 1)
            let target = location.data.appendingPathComponent(String(relative))
            try manager.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try replace(target, with: file)
        }
    }

    private static func replace(_ target: URL, with source: URL) throws {
        let temporary = target.deletingLastPathComponent().appendingPathComponent(".\(target.lastPathComponent).\(getpid()).tmp")
        try? FileManager.default.removeItem(at: temporary)
        try FileManager.default.copyItem(at: source, to: temporary)
        guard rename(temporary.path, target.path) == 0 else {
            try? FileManager.default.removeItem(at: temporary)
            throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: target.path])
        }
    }

    /// Removes an installation; false if there was none.
    public static func uninstall(_ location: Location) throws -> Bool {
        let manager = FileManager.default
        var removed = false
        for url in [location.library, location.root] where manager.fileExists(atPath: url.path) {
            try manager.removeItem(at: url)
            removed = true
        }
        return removed
    }

    public static func isInstalled(_ location: Location) -> Bool {
        FileManager.default.fileExists(atPath: location.library.path)
    }
}
