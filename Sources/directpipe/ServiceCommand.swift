import ArgumentParser
import DirectPipeControl
import Foundation

/// `directpipe service install|uninstall`: a systemd user unit, so DirectPipe (with its API) starts with the
/// desktop session and comes back if it stops.
struct ServiceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "service", abstract: "Install or remove a systemd user unit that starts DirectPipe with your session.",
        subcommands: [Install.self, Uninstall.self, Unit.self])

    /// The unit: `directpipe run --api --quiet` and `options`, restarted when it fails.
    static func unit(executable: String, options: [String]) -> String {
        let arguments = (["run", "--api", "--quiet"] + options).map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " ")
        return """
            [Unit]
            Description=DirectPipe: low-latency microphone processor
            After=pipewire.service wireplumber.service
            Wants=pipewire.service

            [Service]
            ExecStart=\(executable) \(arguments)
            Restart=on-failure
            RestartSec=2

            [Install]
            WantedBy=default.target

            """
    }

    static var unitPath: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        return "\(base)/systemd/user/directpipe.service"
    }

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write ~/.config/systemd/user/directpipe.service (run --api, and the options given after --).")
        @Argument(parsing: .postTerminator, help: "Options for `directpipe run`, after --.") var options: [String] = []

        func run() throws {
            let unit = ServiceCommand.unit(executable: CommandLine.executablePath, options: options)
            try AtomicFile.write(Data(unit.utf8), to: ServiceCommand.unitPath)
            print("wrote \(ServiceCommand.unitPath)")
            print("start it now and at every login: systemctl --user daemon-reload && systemctl --user enable --now directpipe")
        }
    }

    /// What the Debian package installs as /usr/lib/systemd/user/directpipe.service.
    struct Unit: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the unit instead of writing it (for packagers).")
        @Option(help: "The program the unit starts.") var executable = CommandLine.executablePath
        @Argument(parsing: .postTerminator, help: "Options for `directpipe run`, after --.") var options: [String] = []
        func run() throws { print(ServiceCommand.unit(executable: executable, options: options), terminator: "") }
    }

    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the unit (stop it first: systemctl --user disable --now directpipe).")
        func run() throws {
            guard FileManager.default.fileExists(atPath: ServiceCommand.unitPath) else {
                print("no unit at \(ServiceCommand.unitPath)")
                return
            }
            try FileManager.default.removeItem(atPath: ServiceCommand.unitPath)
            print("removed \(ServiceCommand.unitPath)")
        }
    }
}
