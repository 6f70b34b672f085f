import Benchmark
import Foundation

/// One plugin as Debian ships it in four formats: ZAM's stereo compressor (built by DPF).
private let lv2 = "urn:zamaudio:ZamCompX2"
private let others = [("VST2", "vst2:ZamCompX2-vst.so"), ("VST3", "vst3:ZamCompX2.vst3"), ("CLAP", "clap:ZamCompX2.clap")]
private let byFormat = others.map { name, _ in figure("\(name) ÷ the same plugin as LV2 in our host, time per block (%)") }
private let againstReference = figure("the slowest of VST2, VST3, CLAP ÷ lv2bench on the LV2 build (%)")

/// What hosting a plugin as VST2, VST3 or CLAP costs against hosting the same plugin as LV2: ZAM's stereo
/// compressor in each format as our effect, 480,000 frames of silence at 48 kHz in 64-frame blocks, best of 3 runs
/// each, anchored on the LV2 build in our host and on lilv's `lv2bench` running the LV2 build, in the same
/// iteration. Target: ≤ 105 % (the formats' own wrappers, DPF's, do different work per block, which this includes).
func registerPluginFormatOverhead() {
    Benchmark(
        "Plugin formats: VST2, VST3, CLAP vs LV2 time per block, 48 kHz / 64 frames",
        configuration: .init(metrics: byFormat + [againstReference], maxDuration: .seconds(120), maxIterations: 3)
    ) { benchmark in
        let reference = (0..<3).compactMap { _ in lv2benchSeconds(lv2) }.min()
        let anchor = (0..<3).compactMap { _ in ourSeconds(lv2, inChain: false) }.min()
        guard let reference, let anchor, reference > 0, anchor > 0 else {
            benchmark.error("\(lv2): lv2bench \(String(describing: reference)), ours \(String(describing: anchor))")
            return
        }
        let perBlock = { (seconds: Double) in String(format: "%.0f", seconds * 1e9 / Double(frames / block)) }
        var slowest = 0.0
        for ((name, id), metric) in zip(others, byFormat) {
            guard let seconds = (0..<3).compactMap({ _ in ourSeconds(id, inChain: false) }).min() else {
                benchmark.error("\(id) did not run")
                return
            }
            FileHandle.standardError.write(
                Data(
                    "  \(name) \(id): \(perBlock(seconds)) ns/block; LV2 in our host \(perBlock(anchor)), lv2bench \(perBlock(reference)) (\(Int(seconds / anchor * 100)) %, \(Int(seconds / reference * 100)) %)\n"
                        .utf8))
            benchmark.measurement(metric, Int((seconds / anchor * 100).rounded()))
            slowest = max(slowest, seconds)
        }
        benchmark.measurement(againstReference, Int((slowest / reference * 100).rounded()))
    }
}
