import Foundation

/// A child process, its standard output in a file.
struct ChildProcess {
    let pid: pid_t
    let outputPath: String

    struct Result {
        var output: String
    }

    static func spawn(_ path: String, _ arguments: [String]) throws -> ChildProcess {
        let outputPath = NSTemporaryDirectory() + "dp-bench-\(UUID().uuidString).out"
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        var pid: pid_t = 0
        let code = posix_spawn(&pid, path, &actions, nil, argv, environ)
        guard code == 0 else { throw NSError(domain: "posix_spawn", code: Int(code)) }
        return ChildProcess(pid: pid, outputPath: outputPath)
    }

    func wait() -> Result {
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        try? FileManager.default.removeItem(atPath: outputPath)
        return Result(output: output)
    }

    func terminate() {
        kill(pid, SIGTERM)
        _ = wait()
    }
}
