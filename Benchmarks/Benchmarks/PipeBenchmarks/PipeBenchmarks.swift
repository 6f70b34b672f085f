import Benchmark

/// DirectPipe's pipe benchmarks. Every figure that has a target is printed
/// as a ratio (in percent) against an anchor measured in the same iteration,
/// because absolute times on a shared two-core machine are not stable.
/// Run with scripts/bench.sh (it builds the C probe first).
let benchmarks: @Sendable () -> Void = {
    registerRingThroughput()
    registerWriterAllocations()
    registerWakeLatency()
    registerEngineCPU()
    registerCaptureToReader()
    registerOBSOutputLatency()
    registerPluginHostOverhead()
    registerPluginFormatOverhead()
    registerVoiceChainCost()
    registerControlAPI()
}

/// A metric reported as is (not divided by the scaling factor).
func figure(_ name: String, prefersLarger: Bool = false) -> BenchmarkMetric {
    .custom(name, polarity: prefersLarger ? .prefersLarger : .prefersSmaller, useScalingFactor: false)
}
