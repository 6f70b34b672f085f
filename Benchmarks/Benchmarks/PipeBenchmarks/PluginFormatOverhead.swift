import Benchmark
import Foundation

/// ZAM's stereo compressor as Debian ships it in four formats (DPF builds; lv2bench cannot run their LV2 build, which
/// requires the options feature), and LSP's stereo compressor in two (its own VST2 code; lv2bench runs its LV2 build).
private let zam = (
    lv2: "urn:zamaudio:ZamCompX2", others: [("VST2", "vst2:ZamCompX2-vst.so"), ("VST3", "vst3:ZamCompX2.vst3"), ("CLAP", "clap:ZamCompX2.clap")]
)
private let lsp = (lv2: "http://lsp-plug.in/plugins/lv2/compressor_stereo", vst2: "vst2:lsp-plugins/compressor-stereo.so")
private let zamFigures = zam.others.map { name, _ in figure("ZAM compressor: \(name) ÷ its LV2 build in our host, time per block (%)") }
private let lspInOurHost = figure("LSP compressor: VST2 ÷ its LV2 build in our host (%)")
private let lspAgainstReference = figure("LSP compressor: VST2 in our host ÷ lv2bench on its LV2 build (%)")

/// What hosting a plugin as VST2, VST3 or CLAP costs against hosting the same plugin as LV2: each build as our effect,
/// 480,000 frames of silence at 48 kHz in 64-frame blocks, best of 3 runs each, as a ratio to the plugin's LV2 build
/// in our host and, for LSP's, to lilv's `lv2bench` on its LV2 build, measured in the same iteration. Target: ≤ 105 %.
/// The formats' own wrappers (DPF's, LSP's) do different work per block, which this includes.
func registerPluginFormatOverhead() {
    Benchmark(
        "Plugin formats: VST2, VST3, CLAP vs LV2 time per block, 48 kHz / 64 frames",
        configuration: .init(metrics: zamFigures + [lspInOurHost, lspAgainstReference], maxDuration: .seconds(120), maxIterations: 3)
    ) { benchmark in
        func best(_ id: String) -> Double? { (0..<3).compactMap { _ in ourSeconds(id, inChain: false) }.min() }
        let perBlock = { (seconds: Double) in String(format: "%.0f", seconds * 1e9 / Double(frames / block)) }
        guard let zamLV2 = best(zam.lv2), let lspLV2 = best(lsp.lv2), let lspVST2 = best(lsp.vst2),
            let reference = (0..<3).compactMap({ _ in lv2benchSeconds(lsp.lv2) }).min(), reference > 0
        else {
            benchmark.error("a plugin did not run (ZAM's LV2, LSP's LV2 or VST2, or lv2bench)")
            return
        }
        for ((name, id), metric) in zip(zam.others, zamFigures) {
            guard let seconds = best(id) else {
                benchmark.error("\(id) did not run")
                return
            }
            FileHandle.standardError.write(Data("  ZAM \(name): \(perBlock(seconds)) ns/block, LV2 in our host \(perBlock(zamLV2))\n".utf8))
            benchmark.measurement(metric, Int((seconds / zamLV2 * 100).rounded()))
        }
        FileHandle.standardError.write(
            Data("  LSP VST2: \(perBlock(lspVST2)) ns/block, LV2 in our host \(perBlock(lspLV2)), lv2bench \(perBlock(reference))\n".utf8))
        benchmark.measurement(lspInOurHost, Int((lspVST2 / lspLV2 * 100).rounded()))
        benchmark.measurement(lspAgainstReference, Int((lspVST2 / reference * 100).rounded()))
    }
}
