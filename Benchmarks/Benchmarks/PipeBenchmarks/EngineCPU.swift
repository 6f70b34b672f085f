import Benchmark
import Foundation

private let seconds = 6.0
private let engineVersusPassthrough = figure("DirectPipe ÷ C pass-through, CPU per callback (%)")
private let engineNs = figure("DirectPipe CPU ns per callback (JACK, 48 kHz / 64 frames)")
private let passthroughNs = figure("C pass-through CPU ns per callback")

/// Engine CPU per callback with an empty chain, as a JACK client: `directpipe
/// run --backend jack` (release build) and a minimal C pass-through client
/// (jack-passthrough: copy two inputs to two outputs) run side by side on one
/// dummy jackd at 48 kHz / 64 frames; each reports the CPU time (user +
/// system, all threads) it used while audio ran, not counting start-up,
/// divided by its callbacks. Target: ≤ 150 %.
func registerEngineCPU() {
    Benchmark(
        "Engine CPU per callback as a JACK client, 48 kHz / 64 frames",
        configuration: .init(metrics: [engineVersusPassthrough, engineNs, passthroughNs], maxDuration: .seconds(60), maxIterations: 3)
    ) { benchmark in
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let directpipe = root.appendingPathComponent(".build/release/directpipe").path
        let passthrough = root.appendingPathComponent(".build/native/jack-passthrough").path
        guard FileManager.default.isExecutableFile(atPath: directpipe), FileManager.default.isExecutableFile(atPath: passthrough) else {
            benchmark.error("build first: scripts/bench.sh builds the release directpipe and the native probes")
            return
        }
        let server = "dp-bench-\(getpid())"
        let jackd = try! ChildProcess.spawn("/usr/bin/jackd", ["-n", server, "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "64"])
        defer { jackd.terminate() }
        _ = try! ChildProcess.spawn("/usr/bin/jack_wait", ["-s", server, "-w", "-t", "10"]).wait()

        benchmark.startMeasurement()
        let ours = try! ChildProcess.spawn(directpipe, [
            "run", "--backend", "jack", "--jack-server", server, "--input", "none", "--seconds", "\(seconds)", "--json", "--quiet", "--no-api",
            "--pipe", "bench-cpu-\(getpid())",
        ])
        let anchor = try! ChildProcess.spawn(passthrough, [server, "\(seconds)"])
        let ourRun = ours.wait()
        let anchorRun = anchor.wait()
        benchmark.stopMeasurement()

        let ourFinal = ourRun.output.split(separator: "\n").last { $0.contains("\"final\"") }
            .flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        let ourCallbacks = (ourFinal?["callbacks"] as? NSNumber)?.uint64Value ?? 0
        let ourCPU = (ourFinal?["process_cpu_ns"] as? NSNumber)?.uint64Value ?? 0
        let anchorFigures = anchorRun.output.split(separator: " ").compactMap { UInt64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        guard ourCallbacks > 0, anchorFigures.count == 2, anchorFigures[0] > 0 else {
            benchmark.error("a client did not run: directpipe '\(ourRun.output.suffix(200))', pass-through '\(anchorRun.output)'")
            return
        }
        let oursPerCallback = ourCPU / ourCallbacks
        let anchorPerCallback = max(1, anchorFigures[1] / anchorFigures[0])
        benchmark.measurement(engineVersusPassthrough, Int(oursPerCallback * 100 / anchorPerCallback))
        benchmark.measurement(engineNs, Int(oursPerCallback))
        benchmark.measurement(passthroughNs, Int(anchorPerCallback))
    }
}

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
