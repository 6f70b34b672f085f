import Benchmark
import Foundation

private let settleSeconds = 1.5
private let windowSeconds = 2.5
/// Multiples of four: each client takes each CPU and starts first equally often.
private let pairsPerIteration = 8
private let controlPairsPerIteration = 4
private let cyclesPerSecond = 48_000.0 / 64

private let engineVersusPassthrough = figure("DirectPipe ÷ C pass-through, audio-thread CPU per callback (%)")
private let engineNs = figure("DirectPipe audio-thread CPU ns per callback (JACK, 48 kHz / 64 frames)")
private let passthroughNs = figure("C pass-through audio-thread CPU ns per callback")
private let processVersusPassthrough = figure("DirectPipe ÷ C pass-through, whole-process CPU per callback (%)")
private let passthroughVersusItself = figure("C pass-through in DirectPipe's place ÷ C pass-through (%): the method's own bias")

/// Engine CPU per callback with an empty chain, as a JACK client: `directpipe
/// run --backend jack --quiet` (release build) against a minimal C
/// pass-through client (jack-passthrough: copy two inputs to two outputs).
/// Target: ≤ 150 %.
///
/// Each client has a dummy jackd (48 kHz / 64 frames) and a CPU of its own, and
/// the two run at the same time, so the host's noise falls on both alike; they
/// swap CPUs every pair and which one starts first every two pairs. The figure
/// is the CPU time (user + system, from /proc's schedstat) of the thread JACK
/// calls back, over the same window after start-up, per cycle.
///
/// Not one shared server: jackd wakes both clients at once and the scheduler
/// then moves one of them to the other CPU on almost every cycle, which costs
/// that one cold caches; two copies of the pass-through differed by 15 % that
/// way, and DirectPipe was always the one moved. The control figure runs the
/// pass-through in DirectPipe's place: how far from 100 % the method itself is.
func registerEngineCPU() {
    Benchmark(
        "Engine CPU per callback as a JACK client, 48 kHz / 64 frames",
        configuration: .init(
            metrics: [engineVersusPassthrough, engineNs, passthroughNs, processVersusPassthrough, passthroughVersusItself],
            maxDuration: .seconds(240), maxIterations: 3)
    ) { benchmark in
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let directpipe = root.appendingPathComponent(".build/release/directpipe").path
        let passthrough = root.appendingPathComponent(".build/native/jack-passthrough").path
        guard FileManager.default.isExecutableFile(atPath: directpipe), FileManager.default.isExecutableFile(atPath: passthrough) else {
            benchmark.error("build first: scripts/bench.sh builds the release directpipe and the native probes")
            return
        }
        guard ProcessInfo.processInfo.activeProcessorCount >= 2 else {
            benchmark.error("needs two CPUs: each client runs on one of its own")
            return
        }
        let servers = (0..<2).map { cpu in PinnedJackServer(cpu: cpu) }
        defer { servers.forEach { $0.stop() } }
        let seconds = "\(settleSeconds + windowSeconds + 1)"
        func directpipeClient(_ pair: Int, _ server: PinnedJackServer) -> [String] {
            [
                directpipe, "run", "--backend", "jack", "--jack-server", server.name, "--input", "none", "--seconds", seconds,
                "--quiet", "--no-api", "--pipe", "bench-cpu-\(getpid())-\(pair)",
            ]
        }
        func passthroughClient(_ name: String, _ server: PinnedJackServer) -> [String] { [passthrough, server.name, seconds, name] }

        var ours = ClientCPU(), anchor = ClientCPU(), control = ClientCPU(), controlAnchor = ClientCPU()
        benchmark.startMeasurement()
        for pair in 0..<(pairsPerIteration + controlPairsPerIteration) {
            let placeOfOurs = servers[pair % 2], placeOfAnchor = servers[1 - pair % 2]
            let isControl = pair >= pairsPerIteration
            let client = isControl ? passthroughClient("in-directpipes-place", placeOfOurs) : directpipeClient(pair, placeOfOurs)
            let oursStartsFirst = pair / 2 % 2 == 0
            guard
                let (a, b) = measureSideBySide(
                    client, on: placeOfOurs.cpu, passthroughClient("anchor", placeOfAnchor), on: placeOfAnchor.cpu, firstStarts: oursStartsFirst)
            else {
                benchmark.error("a client did not run its JACK callbacks (see jackd: \(servers.map(\.name)))")
                return
            }
            if isControl { control += a; controlAnchor += b } else { ours += a; anchor += b }
            unlink("/dev/shm/DirectPipeAudio-bench-cpu-\(getpid())-\(pair)")  // a stopped writer leaves its pipe for readers
        }
        benchmark.stopMeasurement()

        benchmark.measurement(engineVersusPassthrough, Int(ours.threadNs * 100 / anchor.threadNs))
        benchmark.measurement(engineNs, Int(ours.threadNsPerCycle))
        benchmark.measurement(passthroughNs, Int(anchor.threadNsPerCycle))
        benchmark.measurement(processVersusPassthrough, Int(ours.processNs * 100 / anchor.processNs))
        benchmark.measurement(passthroughVersusItself, Int(control.threadNs * 100 / controlAnchor.threadNs))
    }
}

/// CPU time a client used over measured windows: its JACK thread's and all its threads'.
private struct ClientCPU {
    var threadNs = 0.0
    var processNs = 0.0
    var seconds = 0.0

    var threadNsPerCycle: Double { threadNs / (seconds * cyclesPerSecond) }

    static func += (total: inout ClientCPU, window: ClientCPU) {
        total.threadNs += window.threadNs
        total.processNs += window.processNs
        total.seconds += window.seconds
    }
}

/// Starts both clients pinned to their CPUs (`first` before `second` when `firstStarts`), waits for start-up to
/// pass, and measures each over the same window; nil when either's busiest thread did not wake for most cycles
/// (it never reached its server).
private func measureSideBySide(
    _ first: [String], on firstCPU: Int, _ second: [String], on secondCPU: Int, firstStarts: Bool
) -> (ClientCPU, ClientCPU)? {
    let order = firstStarts ? [(first, firstCPU), (second, secondCPU)] : [(second, secondCPU), (first, firstCPU)]
    let spawned = order.map { command, cpu in try! ChildProcess.spawn("/usr/bin/taskset", ["-c", "\(cpu)"] + command) }
    let clients = firstStarts ? spawned : spawned.reversed()
    defer { clients.forEach { _ = $0.wait() } }
    Thread.sleep(forTimeInterval: settleSeconds)
    let threads = clients.map { jackThread(of: $0.pid) }
    let start = zip(clients, threads).map { client, thread in (thread.map { schedstat(client.pid, $0) }, processRuntime(client.pid)) }
    let startTime = Date()
    Thread.sleep(forTimeInterval: windowSeconds)
    let end = zip(clients, threads).map { client, thread in (thread.map { schedstat(client.pid, $0) }, processRuntime(client.pid)) }
    let seconds = Date().timeIntervalSince(startTime)

    var results: [ClientCPU] = []
    for (before, after) in zip(start, end) {
        guard let threadBefore = before.0, let threadAfter = after.0,
            Double(threadAfter.timeslices - threadBefore.timeslices) > seconds * cyclesPerSecond / 2
        else { return nil }
        results.append(
            ClientCPU(
                threadNs: Double(threadAfter.runtimeNs - threadBefore.runtimeNs), processNs: Double(after.1 - before.1), seconds: seconds))
    }
    return (results[0], results[1])
}

/// The thread that JACK calls back: the one that has run most often (it wakes every cycle; nothing else does).
private func jackThread(of pid: pid_t) -> String? {
    threads(of: pid).max { schedstat(pid, $0).timeslices < schedstat(pid, $1).timeslices }
}

private func threads(of pid: pid_t) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
}

/// A thread's time on a CPU (ns, user + system) and how many times it was put on one, from /proc.
private func schedstat(_ pid: pid_t, _ thread: String) -> (runtimeNs: Int64, timeslices: Int64) {
    let fields = ((try? String(contentsOfFile: "/proc/\(pid)/task/\(thread)/schedstat", encoding: .utf8)) ?? "")
        .split(separator: " ").compactMap { Int64($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    return fields.count == 3 ? (fields[0], fields[2]) : (0, 0)
}

private func processRuntime(_ pid: pid_t) -> Int64 {
    threads(of: pid).reduce(0) { $0 + schedstat(pid, $1).runtimeNs }
}

/// A dummy jackd at 48 kHz / 64 frames whose threads (and so its clients' wakers) stay on one CPU.
private struct PinnedJackServer {
    let cpu: Int
    let name: String
    private let process: ChildProcess

    init(cpu: Int) {
        self.cpu = cpu
        name = "dp-bench-\(getpid())-cpu\(cpu)"
        process = try! ChildProcess.spawn(
            "/usr/bin/taskset",
            [
                "-c", "\(cpu)", "/usr/bin/jackd", "-n", name, "--no-realtime", "-d", "dummy", "-r", "48000", "-p", "64",
            ])
        _ = try! ChildProcess.spawn("/usr/bin/jack_wait", ["-s", name, "-w", "-t", "10"]).wait()
    }

    func stop() { process.terminate() }
}
