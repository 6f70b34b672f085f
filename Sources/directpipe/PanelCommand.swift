import ArgumentParser
import DirectPipeControl
import Foundation

/// `directpipe panel`: the web panel in the browser, with DirectPipe started first when none runs. The
/// desktop entry's command, so clicking "DirectPipe" in a menu always ends in a working panel.
struct PanelCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "panel",
        abstract: "Open the web panel, starting DirectPipe first if it is not running.",
        discussion: """
            A DirectPipe that is not running is started through its systemd user unit when one is installed, \
            else as `directpipe run --quiet` in the background (output in \(PanelCommand.logPath)), with the \
            options after --.
            """)

    @Flag(help: "Print the panel's address instead of opening it in a browser.") var noBrowser = false
    @Option(help: "How long to wait for a DirectPipe it starts to serve the panel, in seconds.") var wait: Double = 20
    @Argument(parsing: .postTerminator, help: "Options for `directpipe run` when it starts one, after --.") var options: [String] = []

    static var logPath: String {
        let environment = ProcessInfo.processInfo.environment
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        return "\(state)/directpipe/directpipe.log"
    }

    func run() throws {
        let client: ControlClient
        if let running = try? ControlClient.running() {
            client = running
        } else {
            do { client = try start() } catch {
                printError("directpipe panel: \(error)")
                throw ExitCode.failure
            }
        }
        let address = APIAccess.panelURL(client.url, token: client.token)
        if noBrowser {
            print(address)
            return
        }
        let opened = (try? Self.spawn(["/usr/bin/env", "xdg-open", address], output: "/dev/null")) == 0
        if !opened { print("open \(address) in your browser (xdg-open could not)") }
    }

    /// Starts DirectPipe and waits until its API answers.
    private func start() throws -> ControlClient {
        if options.isEmpty, startUserService() {
            return try awaitAPI(describing: "systemctl --user start directpipe")
        }
        let log = Self.logPath
        try FileManager.default.createDirectory(atPath: (log as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // setsid --fork: the host outlives this command and the terminal or launcher that started it.
        try Self.spawn(["/usr/bin/setsid", "--fork", CommandLine.executablePath, "run", "--quiet"] + options, output: log)
        return try awaitAPI(describing: "directpipe run (its output is in \(log))")
    }

    /// Runs `arguments` with its output in `output` (truncated), waits for it, and gives its exit status
    /// (-1: killed). posix_spawn, not Foundation's Process: Process waits until every copy of the child's
    /// descriptors closes, and a host started in the background would keep them for as long as it runs.
    @discardableResult
    private static func spawn(_ arguments: [String], output: String) throws -> Int32 {
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // Nothing else of ours reaches the child: a descriptor a host started in the background kept open
        // (whoever started this command waiting for it to close) would outlive this command.
        let inherited = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        for fd in inherited.compactMap(Int32.init) where fd > 2 { posix_spawn_file_actions_addclose(&actions, fd) }
        var argv = arguments.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw ControlClientError("cannot start \(arguments[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
    }

    /// Starts the systemd user unit, if there is one to start.
    private func startUserService() -> Bool {
        (try? Self.spawn(["/usr/bin/env", "systemctl", "--user", "start", "directpipe.service"], output: "/dev/null")) == 0
    }

    /// The started host's client, once it has published its API; or why not.
    private func awaitAPI(describing started: String) throws -> ControlClient {
        let deadline = Date().addingTimeInterval(wait)
        var lastError: any Error = ControlClientError("no answer")
        repeat {
            do { return try ControlClient.running() } catch { lastError = error }
            usleep(100_000)
        } while Date() < deadline
        throw ControlClientError("started \(started), but its API did not come up within \(wait) s: \(lastError)")
    }
}
