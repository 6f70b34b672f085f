import Benchmark
import Foundation
import Histogram

private let capturePercentiles = percentiles.prefix(2)
private let captureMetrics = capturePercentiles.map { figure("capture callback -> pipe readable \($0.label) (ns)") }
private let anchorMetrics = capturePercentiles.map { figure("raw futex wake \($0.label) (ns)") }
private let excessMetrics = capturePercentiles.map { figure("capture -> readable minus raw futex wake \($0.label) (ns)") }
private let periodMetric = figure("capture -> readable p99 ÷ period (%)")

/// From the start of the JACK callback that captured a period to a reader in
/// another process returning with it: `directpipe run --backend jack`
/// (release) on a dummy jackd at 48 kHz / 64 frames, read by wake-probe on
/// libdirectpipe-reader. Anchor: a raw futex wake between two processes, in
/// the same iteration. Targets: p50 within 50 µs of the raw wake; p99 well
/// inside one period (no extra period).
func registerCaptureToReader() {
    Benchmark(
        "Capture callback to pipe readable, cross-process (JACK, 48 kHz / 64 frames)",
        configuration: .init(
            metrics: captureMetrics + anchorMetrics + excessMetrics + [periodMetric],
            maxDuration: .seconds(90), maxIterations: 5)
    ) { benchmark in
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let directpipe = root.appendingPathComponent(".build/release/directpipe").path
        guard FileManager.default.isExecutableFile(atPath: directpipe), let probe = WakeProbe.executable else {
            benchmark.error("build first: scripts/bench.sh builds the release directpipe and the native probes")
            return
        }
        let server = "dp-bench-capture-\(getpid())"
        let jackd = try! ChildProcess.spawn("/usr/bin/jackd", ["-n", server, "-R", "-d", "dummy", "-r", "48000", "-p", "64"])
        defer { jackd.terminate() }
        _ = try! ChildProcess.spawn("/usr/bin/jack_wait", ["-s", server, "-w", "-t", "10"]).wait()
        let pipe = "/DirectPipeAudio-bench-capture-\(getpid())"
        let ours = try! ChildProcess.spawn(
            directpipe,
            [
                "run", "--backend", "jack", "--jack-server", server, "--input", "none", "--seconds", "30", "--quiet", "--no-api", "--pipe", pipe,
            ])
        defer { ours.terminate() }
        usleep(500_000)  // the pipe exists and audio flows

        benchmark.startMeasurement()
        let anchor = measureFutexWakes(probe)
        let periodNs = 64 * 1_000_000_000 / 48000
        let reader = WakeProbe(probe, ["pipe", pipe, "\(samplesPerSide)", "\(periodNs)"])
        reader.publishUntilDone {}  // DirectPipe publishes; this only waits for the samples
        let capture = reader.latencies()
        benchmark.stopMeasurement()

        for (index, percentile) in capturePercentiles.enumerated() {
            let ours = capture.valueAtPercentile(percentile.value)
            let raw = anchor.valueAtPercentile(percentile.value)
            benchmark.measurement(captureMetrics[index], Int(ours))
            benchmark.measurement(anchorMetrics[index], Int(raw))
            benchmark.measurement(excessMetrics[index], Int(ours) - Int(raw))
        }
        benchmark.measurement(periodMetric, Int(capture.valueAtPercentile(99) * 100) / periodNs)
    }
}
