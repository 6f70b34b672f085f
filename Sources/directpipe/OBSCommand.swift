import ArgumentParser
import Foundation

/// `directpipe obs install|uninstall|status`: the OBS source plugin in OBS's plugin folders.
struct OBSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "obs",
        abstract: "Install the 'DirectPipe Audio' OBS source plugin, remove it, or say where it is.",
        subcommands: [Install.self, Uninstall.self, Status.self]
    )

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Copy the plugin into OBS's plugin folder (restart OBS after).")

        @Flag(help: "Install for every user, into the distribution OBS's folders (needs root).")
        var system = false

        func run() throws {
            guard let built = OBSPluginFiles.built() else {
                throw RunError("the OBS plugin is not built here: run scripts/build-native.sh (or set DIRECTPIPE_OBS_PLUGIN to its folder)")
            }
            let location = system ? OBSPluginFiles.system : OBSPluginFiles.user()
            do {
                try OBSPluginFiles.install(from: built, to: location)
            } catch {
                throw RunError("cannot install into \(location.library.deletingLastPathComponent().path): \(error.localizedDescription)")
            }
            print("installed \(location.library.path)\n      and \(location.data.path)\nrestart OBS, then add a source: DirectPipe Audio")
        }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the plugin from OBS's plugin folder.")

        @Flag(help: "Remove the system-wide installation (needs root).")
        var system = false

        func run() throws {
            let location = system ? OBSPluginFiles.system : OBSPluginFiles.user()
            print(try OBSPluginFiles.uninstall(location) ? "removed \(location.root.path)" : "not installed in \(location.root.path)")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say where the plugin is installed and which OBS it is for.")

        func run() throws {
            for (label, location) in [("user", OBSPluginFiles.user()), ("system", OBSPluginFiles.system)] {
                let state = OBSPluginFiles.isInstalled(location) ? "installed at \(location.library.path)" : "not installed"
                print("\(label): \(state)")
            }
            print("built plugin: \(OBSPluginFiles.built()?.path ?? "none (run scripts/build-native.sh)")")
            let obs = ["/usr/bin/obs", "/usr/local/bin/obs"].first { FileManager.default.isExecutableFile(atPath: $0) }
            print("OBS: \(obs.map { "\($0) (its plugins: the user and system folders above)" } ?? "no obs binary found")")
            if FileManager.default.fileExists(atPath: OBSPluginFiles.flatpakConfig().path) {
                print("Flatpak OBS: found; it reads plugins from \(OBSPluginFiles.flatpakConfig().path)/plugins, not the folders above")
            }
        }
    }
}
