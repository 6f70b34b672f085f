import Benchmark
import CDirectPipeShm
import DirectPipeShm
import Foundation
import Histogram

private let obsPercentiles = percentiles.prefix(2)
private let obsMetrics = obsPercentiles.map { figure("publish -> obs_source_output_audio \($0.label) (ns)") }
private let anchorMetrics = obsPercentiles.map { figure("raw futex wake \($0.label) (ns)") }
private let ratioMetrics = obsPercentiles.map { figure("publish -> OBS ÷ raw futex wake \($0.label) (%)") }
private let periodMetric = figure("publish -> OBS p99 ÷ block period (%)")

private let blockFrames = 64
private let blockNs = blockFrames * 1_000_000_000 / 48000

/// From the writer publishing a block to the OBS plugin handing it to
/// `obs_source_output_audio`, in obs-host on the real libobs (under xvfb-run),
/// which interposes that call to time it. The writer publishes 64-frame
/// stereo blocks at their real-time pace (48 kHz) and stamps each with its
/// publish time. Anchor: a raw futex wake between two processes, in the same
/// iteration. Targets: p50 ≤ 150 % of the raw wake; p99 well inside one
/// block period (no added period).
func registerOBSOutputLatency() {
    Benchmark(
        "OBS plugin, writer publish to obs_source_output_audio (libobs host, 48 kHz / 64 frames)",
        configuration: .init(
            metrics: obsMetrics + anchorMetrics + ratioMetrics + [periodMetric],
            maxDuration: .seconds(120), maxIterations: 5)
    ) { benchmark in
        let native = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(".build/native")
        let host = native.appendingPathComponent("obs-host")
        guard FileManager.default.isExecutableFile(atPath: host.path), let probe = WakeProbe.executable else {
            benchmark.error("obs-host not built (it needs libobs-dev): run scripts/build-native.sh (scripts/bench.sh does)")
            return
        }
        let name = try! PipeName("bench-obs-\(getpid())")
        defer { try? PipeWriter.remove(name) }
        let writer = try! PipeWriter(name: name, format: PipeFormat())
        let block = [Float](repeating: 0.1, count: blockFrames * 2)

        benchmark.startMeasurement()
        let anchor = measureFutexWakes(probe)
        let obs = WakeProbe(
            URL(fileURLWithPath: "/usr/bin/xvfb-run"),
            [
                "-a", host.path, "--plugin", native.appendingPathComponent("obs/directpipe-obs.so").path,
                "--data", native.appendingPathComponent("obs/data").path, "--pipe", name.rawValue,
                "--latency-samples", "\(samplesPerSide)",
            ])
        block.withUnsafeBufferPointer { source in
            obs.publishUntilDone(every: UInt32(blockNs / 1000)) { writer.write(source, captureTimeNs: dp_monotonic_ns()) }
        }
        let measured = obs.latencies()
        benchmark.stopMeasurement()

        guard measured.totalCount >= UInt64(samplesPerSide) else {
            benchmark.error("obs-host returned \(measured.totalCount) of \(samplesPerSide) samples")
            return
        }
        record(benchmark, measured, against: anchor, at: obsPercentiles, as: (obsMetrics, anchorMetrics, ratioMetrics))
        benchmark.measurement(periodMetric, Int(measured.valueAtPercentile(99)) * 100 / blockNs)
    }
}
