import ArgumentParser
import DirectPipeAPI
import DirectPipeControl
import DirectPipeSetup
import Foundation

/// `directpipe obs install|uninstall|status`: the OBS source plugin in OBS's plugin folders; `obs dock`: the
/// web panel as an OBS custom browser dock.
struct OBSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "obs",
        abstract: "Install the 'DirectPipe Audio' OBS source plugin, remove it, or say where it is; the panel as an OBS dock.",
        subcommands: [Install.self, Uninstall.self, Status.self, Dock.self]
    )

    struct Dock: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print the web panel's address for an OBS custom browser dock; --add puts it in OBS's docks (OBS closed).",
            discussion: """
                The address is the running DirectPipe's (or the default port's) with the API token in its fragment. \
                In OBS: Docks → Custom Browser Docks, name DirectPipe, that URL. OBS builds without the browser \
                (Debian's, for one) have no custom browser docks: open the address in a browser instead.
                """)
        @Flag(help: "Add (or update) the 'DirectPipe' dock in OBS's configuration; OBS must be closed.") var add = false

        func run() throws {
            let folder = PresetStore.defaultFolder
            let base = APIAccess.find(folder: folder)?.url ?? "http://127.0.0.1:\(APIServer.Configuration.defaultPort)"
            let url = APIAccess.panelURL(base, token: try APIAccess.token(folder: folder))
            guard add else {
                print("OBS → Docks → Custom Browser Docks: name DirectPipe, URL\n\(url)")
                return
            }
            guard !OBSBrowserDocks.isOBSRunning else {
                throw SetupError("OBS is running and would overwrite its docks when it quits: close it, then run this again")
            }
            let docks = OBSBrowserDocks()
            let changed = try docks.add(title: "DirectPipe", url: url)
            print(
                changed
                    ? "added the DirectPipe dock to \(docks.file.path); start OBS, then Docks → DirectPipe"
                    : "the DirectPipe dock is there already (\(docks.file.path))")
        }
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Copy the plugin into OBS's plugin folder (restart OBS after).")

        @OptionGroup var target: Target

        func run() throws {
            guard let built = OBSPluginFiles.built() else {
                throw SetupError("the OBS plugin is not built here: run scripts/build-native.sh (or set DIRECTPIPE_OBS_PLUGIN to its folder)")
            }
            let location = try target.location()
            do {
                try OBSPluginFiles.install(from: built, to: location)
            } catch {
                throw SetupError("cannot install into \(location.library.deletingLastPathComponent().path): \(error.localizedDescription)")
            }
            print("installed \(location.library.path)\n      and \(location.data.path)\nrestart OBS, then add a source: DirectPipe Audio")
            if target.flatpak {
                print("the Flatpak's sandbox has a /dev/shm of its own; let it see the host's, where the pipe is:")
                print("  flatpak override --user --device=shm \(OBSPluginFiles.flatpakID)")
            }
        }
    }

    /// Which OBS: the user's (default), every user's (`--system`) or the Flatpak's (`--flatpak`).
    struct Target: ParsableArguments {
        @Flag(help: "The distribution OBS's folders, for every user (needs root).")
        var system = false

        @Flag(help: "The OBS Flatpak (\(OBSPluginFiles.flatpakID)): its own plugin folder under ~/.var/app.")
        var flatpak = false

        func location() throws -> OBSPluginFiles.Location {
            if system && flatpak { throw ValidationError("--system and --flatpak name different OBS installations: pick one") }
            return system ? OBSPluginFiles.system : flatpak ? OBSPluginFiles.flatpak() : OBSPluginFiles.user()
        }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the plugin from OBS's plugin folder.")

        @OptionGroup var target: Target

        func run() throws {
            let location = try target.location()
            print(try OBSPluginFiles.uninstall(location) ? "removed \(location.root.path)" : "not installed in \(location.root.path)")
        }
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Say where the plugin is installed and which OBS it is for.")

        func run() throws {
            for (label, location) in [("user", OBSPluginFiles.user()), ("system", OBSPluginFiles.system), ("flatpak", OBSPluginFiles.flatpak())] {
                let state = OBSPluginFiles.isInstalled(location) ? "installed at \(location.library.path)" : "not installed"
                print("\(label): \(state)")
            }
            print("built plugin: \(OBSPluginFiles.built()?.path ?? "none (run scripts/build-native.sh)")")
            let obs = ["/usr/bin/obs", "/usr/local/bin/obs"].first { FileManager.default.isExecutableFile(atPath: $0) }
            print("OBS: \(obs.map { "\($0) (its plugins: the user and system folders above)" } ?? "no obs binary found")")
            if FileManager.default.fileExists(atPath: OBSPluginFiles.flatpakConfig().path) {
                print("Flatpak OBS: found; it reads plugins from the flatpak folder above (directpipe obs install --flatpak)")
            }
        }
    }
}
