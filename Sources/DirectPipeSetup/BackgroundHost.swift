import DirectPipeAPI
import Foundation

/// A DirectPipe host started in the background for `directpipe panel`, the desktop entry's command: through its
/// systemd user unit when one is installed, else as `directpipe run --quiet` in a session of its own (output in
/// ``logPath``), then waited for until its API answers.
public struct BackgroundHost: Sendable {
    /// The `directpipe` program to start.
    public var executable: String
    /// Options for `directpipe run` (none: the user unit is tried first).
    public var options: [String]
    /// How long the started host may take to serve its API.
    public var wait: Duration

    public init(executable: String, options: [String], wait: Duration) {
        self.executable = executable
        self.options = options
        self.wait = wait
    }

    /// Where a host started this way writes its output: `$XDG_STATE_HOME/directpipe/directpipe.log`.
    public static func logPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let state = environment["XDG_STATE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state"
        return "\(state)/directpipe/directpipe.log"
    }

    /// Starts the host and waits until its API answers: its client, or why not.
    public func start() async throws -> APIClient {
        if options.isEmpty, (try? Self.spawn(["/usr/bin/env", "systemctl", "--user", "start", "directpipe.service"], output: "/dev/null")) == 0 {
            return try await awaitAPI(describing: "systemctl --user start directpipe")
        }
        let log = Self.logPath()
        try FileManager.default.createDirectory(atPath: (log as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        // setsid --fork: the host outlives this command and the terminal or launcher that started it.
        try Self.spawn(["/usr/bin/setsid", "--fork", executable, "run", "--quiet"] + options, output: log)
        return try await awaitAPI(describing: "directpipe run (its output is in \(log))")
    }

    /// The started host's client, once it has published its API; or why not.
    private func awaitAPI(describing started: String) async throws -> APIClient {
        let deadline = ContinuousClock.now + wait
        var lastError = APIClientError("no answer")
        repeat {
            do { return try APIClient.running() } catch { lastError = error }
            try await Task.sleep(for: .milliseconds(100))
        } while ContinuousClock.now < deadline
        throw SetupError("started \(started), but its API did not come up within \(wait): \(lastError)")
    }

    /// Runs `arguments` with its output in `output` (truncated), waits for it, and gives its exit status
    /// (-1: killed). posix_spawn, not Foundation's Process: Process waits until every copy of the child's
    /// descriptors closes, and a host started in the background would keep them for as long as it runs.
    @discardableResult
    public static func spawn(_ arguments: [String], output: String) throws -> Int32 {
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
        defer { for argument in argv { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, arguments[0], &actions, nil, &argv, environ)
        guard spawned == 0 else { throw SetupError("cannot start \(arguments[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        return status & 0x7f == 0 ? (status >> 8) & 0xff : -1
    }
}
