import Benchmark
import CDirectPipeShm
import DirectPipeShm
import Foundation
import Histogram

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

private let callPercentiles = percentiles.prefix(2)
private let audibleMetrics = callPercentiles.map { figure("API call -> change in the pipe \($0.label) (µs)") }
private let anchorMetrics = callPercentiles.map { figure("GET /api/v1/state round trip \($0.label) (µs)") }
private let ratioMetrics = callPercentiles.map { figure("call -> audible ÷ plain round trip \($0.label) (%)") }
private let idleCPU = figure("host CPU with no client (0.01 % of a core)")
private let busyCPU = figure("host CPU with 50 WebSocket clients at 30 Hz telemetry (0.01 % of a core)")

/// The control API's cost and reach, against `directpipe run --api` (release, internal clock, 48 kHz / 128):
/// from sending `set_input_gain` (0 dB ⇄ −60 dB, 200 times) to the first pipe block whose last 32 frames
/// carry the new level, read by this process; anchor: a plain GET round trip to the same server, same run.
/// Then the host's CPU (user + system, all threads, from /proc) over 5 s with no client and over 5 s with 50
/// WebSocket clients each receiving telemetry 30 times a second.
func registerControlAPI() {
    Benchmark(
        "Control API: call to audible change, and telemetry to 50 WebSocket clients",
        configuration: .init(
            metrics: audibleMetrics + anchorMetrics + ratioMetrics + [idleCPU, busyCPU], maxDuration: .seconds(120), maxIterations: 3)
    ) { benchmark in
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let directpipe = root.appendingPathComponent(".build/release/directpipe").path
        let home = NSTemporaryDirectory() + "dp-bench-api-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: home) }
        let pipe = "/DirectPipeAudio-bench-api-\(getpid())"
        setenv("XDG_CONFIG_HOME", home, 1)
        let host = try! ChildProcess.spawn(directpipe, ["run", "--api", "--api-port", "0", "--pipe", pipe, "--seconds", "60", "--quiet"])
        defer { host.terminate() }
        var access: [String: Any]?
        for _ in 0..<200 where access == nil {
            usleep(50_000)
            access = FileManager.default.contents(atPath: "\(home)/directpipe/api.json").flatMap {
                try? JSONSerialization.jsonObject(with: $0) as? [String: Any]
            }
        }
        guard let url = access?["url"] as? String, let pid = access?["pid"] as? Int,
            let token = try? String(contentsOfFile: "\(home)/directpipe/api-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines),
            let reader = try? PipeReader(name: PipeName(pipe))
        else {
            benchmark.error("the API host did not start (build first: scripts/bench.sh)")
            return
        }
        let client = BenchmarkHTTP(url: url, token: token)
        var audible = Histogram<UInt64>(highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: .three)
        var anchor = Histogram<UInt64>(highestTrackableValue: 10_000_000, numberOfSignificantValueDigits: .three)
        var buffer = [Float](repeating: 0, count: 8192)

        benchmark.startMeasurement()
        for round in 0..<200 {
            let loud = round % 2 == 1
            let start = dp_monotonic_ns()
            client.post(#"{"action": "set_input_gain", "decibels": \#(loud ? 0 : -60)}"#)
            while dp_monotonic_ns() - start < 1_000_000_000 {
                _ = reader.wait(timeoutMilliseconds: 100)
                guard let block = buffer.withUnsafeMutableBufferPointer({ reader.read(into: $0) }) else { continue }
                let samples = block.frames * Int(block.format.channels)
                let tail = buffer[max(0, samples - 64)..<samples].map(abs).max() ?? 0
                if loud ? tail > 0.1 : tail < 0.01 {
                    audible.record((dp_monotonic_ns() - start) / 1000)
                    break
                }
            }
            let before = dp_monotonic_ns()
            client.get("/api/v1/state")
            anchor.record((dp_monotonic_ns() - before) / 1000)
        }
        let idle = cpuShare(pid: Int32(pid), seconds: 5)
        let load = try! ChildProcess.spawn(
            "/usr/bin/python3",
            [
                root.appendingPathComponent("Benchmarks/Probes/ws_clients.py").path,
                url.replacingOccurrences(of: "http://", with: "ws://") + "/api/v1/ws",
                token, "50", "7",
            ])
        usleep(1_000_000)  // connected, telemetry flowing
        let busy = cpuShare(pid: Int32(pid), seconds: 5)
        _ = load.wait()
        benchmark.stopMeasurement()

        for (index, percentile) in callPercentiles.enumerated() {
            let ours = audible.valueAtPercentile(percentile.value), plain = max(anchor.valueAtPercentile(percentile.value), 1)
            benchmark.measurement(audibleMetrics[index], Int(ours))
            benchmark.measurement(anchorMetrics[index], Int(plain))
            benchmark.measurement(ratioMetrics[index], Int(ours * 100 / plain))
        }
        benchmark.measurement(idleCPU, Int(idle * 10_000))
        benchmark.measurement(busyCPU, Int(busy * 10_000))
    }
}

/// A process's CPU (user + system, all threads) over `seconds`, as a share of one core.
private func cpuShare(pid: Int32, seconds: Double) -> Double {
    func ticks() -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)  // utime, stime (fields 14, 15)
    }
    let before = ticks()
    usleep(UInt32(seconds * 1_000_000))
    return (ticks() - before) / Double(sysconf(Int32(_SC_CLK_TCK))) / seconds
}

/// A blocking HTTP client for the benchmark's requests.
private struct BenchmarkHTTP {
    let url: String
    let token: String

    func get(_ path: String) { send("GET", path, nil) }
    func post(_ body: String) { send("POST", "/api/v1/actions", body) }

    private func send(_ method: String, _ path: String, _ body: String?) {
        var request = URLRequest(url: URL(string: url + path)!)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        let done = DispatchSemaphore(value: 0)
        URLSession.shared.dataTask(with: request) { _, _, _ in done.signal() }.resume()
        done.wait()
    }
}
