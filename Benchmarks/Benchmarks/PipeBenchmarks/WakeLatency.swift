import Benchmark
import CBenchmarkAnchors
import CDirectPipeShm
import DirectPipeShm
import Foundation
import Histogram

let samplesPerSide = 3000
let publishIntervalMicroseconds: UInt32 = 500

let percentiles: [(label: String, value: Double)] = [("p50", 50), ("p99", 99), ("p99.9", 99.9)]
private let pipeMetrics = percentiles.map { figure("pipe wake \($0.label) (ns)") }
private let futexMetrics = percentiles.map { figure("raw futex wake \($0.label) (ns)") }
private let ratioMetrics = percentiles.map { figure("pipe ÷ raw futex wake \($0.label) (%)") }

/// Cross-process wake latency: the writer publishes a block, a reader in
/// another process (wake-probe, on libdirectpipe-reader) returns from its
/// wait. Anchor: a raw futex wake between two processes, same clock, same
/// pacing, in the same iteration. Target: p99 ≤ 150 %.
func registerWakeLatency() {
    Benchmark(
        "Wake latency, writer publish to reader return, cross-process",
        configuration: .init(metrics: pipeMetrics + futexMetrics + ratioMetrics, maxDuration: .seconds(90), maxIterations: 8)
    ) { benchmark in
        guard let probe = WakeProbe.executable else {
            benchmark.error("wake-probe not built: run scripts/build-native.sh (scripts/bench.sh does)")
            return
        }
        benchmark.startMeasurement()
        let futex = measureFutexWakes(probe)
        let pipe = measurePipeWakes(probe)
        benchmark.stopMeasurement()
        record(benchmark, pipe, against: futex, at: percentiles, as: (pipeMetrics, futexMetrics, ratioMetrics))
    }
}

/// Records, at each percentile, our figure, the anchor's, and ours as a percentage of the anchor's.
func record(
    _ benchmark: Benchmark, _ ours: Histogram<UInt64>, against anchor: Histogram<UInt64>,
    at points: some Collection<(label: String, value: Double)>,
    as metrics: (ours: [BenchmarkMetric], anchor: [BenchmarkMetric], ratio: [BenchmarkMetric])
) {
    for (index, percentile) in points.enumerated() {
        let ourValue = ours.valueAtPercentile(percentile.value)
        let anchorValue = max(1, anchor.valueAtPercentile(percentile.value))
        benchmark.measurement(metrics.ours[index], Int(ourValue))
        benchmark.measurement(metrics.anchor[index], Int(anchorValue))
        benchmark.measurement(metrics.ratio[index], Int(ourValue * 100 / anchorValue))
    }
}

private func measurePipeWakes(_ probe: URL) -> Histogram<UInt64> {
    let name = try! PipeName("wake-\(getpid())")
    defer { try? PipeWriter.remove(name) }
    let writer = try! PipeWriter(name: name, format: PipeFormat())
    let block = [Float](repeating: 0.1, count: 64 * 2)
    let child = WakeProbe(probe, ["pipe", name.rawValue, "\(samplesPerSide)"])
    block.withUnsafeBufferPointer { source in
        child.publishUntilDone { writer.write(source, captureTimeNs: dp_monotonic_ns()) }
    }
    return child.latencies()
}

/// The anchor: a raw futex wake between two processes, published every 500 µs.
func measureFutexWakes(_ probe: URL) -> Histogram<UInt64> {
    let name = "/dp-bench-futex-\(getpid())"
    let fd = shm_open(name, O_CREAT | O_RDWR, 0o600)
    precondition(fd >= 0 && ftruncate(fd, 4096) == 0, "cannot create the futex page")
    defer { close(fd); shm_unlink(name) }
    let page = mmap(nil, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0)!.assumingMemoryBound(to: anchor_wake_page.self)
    defer { munmap(page, 4096) }
    let child = WakeProbe(probe, ["futex", name, "\(samplesPerSide)"])
    child.publishUntilDone { anchor_wake_publish(page, dp_monotonic_ns()) }
    return child.latencies()
}

/// The waiting process: started, awaited until ready, fed, then its samples collected.
final class WakeProbe {
    static var executable: URL? {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/native/wake-probe")
        return FileManager.default.isExecutableFile(atPath: url.path) ? url : nil
    }

    private let process = Process()
    private let output = Pipe()
    private var collected = Data()

    init(_ executable: URL, _ arguments: [String]) {
        process.executableURL = executable
        process.arguments = arguments
        process.standardOutput = output
        try! process.run()
        while !String(decoding: collected, as: UTF8.self).contains("ready\n") {
            collected += output.fileHandleForReading.availableData
        }
    }

    /// Publishes at a steady pace (so the reader is asleep in its wait each time) until the probe has its samples.
    func publishUntilDone(every interval: UInt32 = publishIntervalMicroseconds, _ publish: () -> Void) {
        while process.isRunning {
            publish()
            usleep(interval)
        }
    }

    func latencies() -> Histogram<UInt64> {
        collected += output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var histogram = Histogram<UInt64>(highestTrackableValue: 10_000_000_000, numberOfSignificantValueDigits: .three)
        for line in String(decoding: collected, as: UTF8.self).split(separator: "\n") {
            if let value = UInt64(line) { _ = histogram.record(value) }
        }
        return histogram
    }
}
