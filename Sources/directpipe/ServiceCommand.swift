import ArgumentParser
import DirectPipeSetup

/// `directpipe service install|uninstall`: a systemd user unit, so DirectPipe (with its API) starts with the
/// desktop session and comes back if it stops.
struct ServiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service", abstract: "Install or remove a systemd user unit that starts DirectPipe with your session.",
        subcommands: [Install.self, Uninstall.self, Unit.self])

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write ~/.config/systemd/user/directpipe.service (run --api, and the options given after --).")
        @Argument(parsing: .postTerminator, help: "Options for `directpipe run`, after --.") var options: [String] = []

        func run() throws {
            print("wrote \(try UserService.install(executable: CommandLine.executablePath, options: options))")
            print("start it now and at every login: systemctl --user daemon-reload && systemctl --user enable --now directpipe")
        }
    }

    /// What the Debian package installs as /usr/lib/systemd/user/directpipe.service.
    struct Unit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the unit instead of writing it (for packagers).")
        @Option(help: "The program the unit starts.") var executable = CommandLine.executablePath
        @Argument(parsing: .postTerminator, help: "Options for `directpipe run`, after --.") var options: [String] = []
        func run() throws { print(UserService.unit(executable: executable, options: options), terminator: "") }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the unit (stop it first: systemctl --user disable --now directpipe).")
        func run() throws {
            let path = UserService.unitPath()
            print(try UserService.uninstall() ? "removed \(path)" : "no unit at \(path)")
        }
    }
}
