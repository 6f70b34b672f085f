import Benchmark
import CDirectPipeShm
import DirectPipeDSP
import DirectPipePlugins
import Foundation

/// Plugins run by lv2bench and by our host alike (audio and control ports, no required feature lv2bench lacks).
private let plugins = [
    "http://drobilla.net/plugins/mda/Overdrive", "http://drobilla.net/plugins/mda/Delay", "http://plugin.org.uk/swh-plugins/sc4",
    "http://calf.sourceforge.net/plugins/Compressor", "http://lsp-plug.in/plugins/lv2/compressor_stereo",
]
let frames = 480_000
let block = 64
private let overall = figure("our host ÷ lv2bench, time per block, geometric mean over 5 plugins (%)")
private let worst = figure("our host ÷ lv2bench, the plugin with the largest ratio (%)")
private let inChain = figure("in a chain slot (NaN guard, bypass path) ÷ lv2bench, geometric mean (%)")

/// Our LV2 host's time per block against lilv's own `lv2bench` on the same plugins: 480,000 frames of
/// silence (lv2bench's input) at 48 kHz in 64-frame blocks, each side timed around its run loop only,
/// best of 3 runs each. Ours is the plugin as an effect — what hosting adds: control updates (atomic
/// reads, glides), atom buffer resets, the worker's after-run, ports connected in place. Target: ≤ 105 %.
/// Also shown: the same plugin in a one-effect chain (its slot's NaN guard and the master bypass slot).
func registerPluginHostOverhead() {
    Benchmark(
        "LV2 host time per block vs lv2bench, 48 kHz / 64 frames",
        configuration: .init(metrics: [overall, worst, inChain], maxDuration: .seconds(120), maxIterations: 3)
    ) { benchmark in
        var logSum = 0.0, chainLogSum = 0.0
        var largest = 0.0
        for uri in plugins {
            let reference = (0..<3).compactMap { _ in lv2benchSeconds(uri) }.min()
            let ours = (0..<3).compactMap { _ in ourSeconds(uri, inChain: false) }.min()
            let chained = (0..<3).compactMap { _ in ourSeconds(uri, inChain: true) }.min()
            guard let reference, let ours, let chained, reference > 0 else {
                benchmark.error("\(uri): lv2bench \(String(describing: reference)), ours \(String(describing: ours))")
                return
            }
            let ratio = ours / reference
            let perBlock = { (seconds: Double) in String(format: "%.0f", seconds * 1e9 / Double(frames / block)) }
            FileHandle.standardError.write(
                Data(
                    "  \(uri): lv2bench \(perBlock(reference)) ns/block, ours \(perBlock(ours)) (\(Int(ratio * 100)) %), in a chain \(perBlock(chained)) (\(Int(chained / reference * 100)) %)\n"
                        .utf8))
            logSum += log(ratio)
            chainLogSum += log(chained / reference)
            largest = max(largest, ratio)
        }
        benchmark.measurement(overall, Int((exp(logSum / Double(plugins.count)) * 100).rounded()))
        benchmark.measurement(worst, Int((largest * 100).rounded()))
        benchmark.measurement(inChain, Int((exp(chainLogSum / Double(plugins.count)) * 100).rounded()))
    }
}

/// lv2bench's own figure: seconds for `frames` frames (it times its run loop).
func lv2benchSeconds(_ uri: String) -> Double? {
    let run = try? ChildProcess.spawn("/usr/bin/lv2bench", ["-b", "\(block)", "-n", "\(frames)", uri])
    guard let output = run?.wait().output else { return nil }
    return output.split(separator: "\n").last.flatMap { $0.split(separator: " ").first }.flatMap { Double($0) }
}

/// The plugin (any format's id) as our effect (or in a one-effect chain of ours), on silence, like lv2bench.
func ourSeconds(_ uri: String, inChain: Bool) -> Double? {
    let factory = EffectFactory(channels: 2, sampleRate: 48000, maxFrames: block, liveWorker: false, warmUp: true)
    guard let chain = try? factory.chain(ChainDescription(effects: [.init(id: uri)])) else { return nil }
    let effect = chain.slots[0].effect
    let buffer = PlanarBuffer(channels: 2, capacity: block)
    let start = dp_monotonic_ns()
    if inChain {
        for _ in 0..<(frames / block) { chain.process(buffer.pointers, frames: block) }
    } else {
        for _ in 0..<(frames / block) { effect.process(buffer.pointers, frames: block) }
    }
    return Double(dp_monotonic_ns() - start) / 1e9
}
