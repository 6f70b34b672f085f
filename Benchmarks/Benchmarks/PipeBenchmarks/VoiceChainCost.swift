import Benchmark
import CDirectPipeShm
import DirectPipeDSP
import DirectPipePlugins
import Foundation

private let share = figure("voice chain + noise suppression, CPU time ÷ audio time at 48 kHz / 64 frames (0.01 % of one core)")
private let shareWithoutDenoise = figure("voice chain alone, CPU time ÷ audio time (0.01 % of one core)")

/// The built-in voice chain's cost as a share of real time: 10 s of stereo speech-like audio (a buzz in
/// syllables over noise) through ChainDescription.voice — high-pass, gate, EQ, compressor, de-esser,
/// limiter — with and without the speexdsp noise suppressor, in 64-frame blocks at 48 kHz; thread CPU
/// time over the audio's duration. The anchor is real time itself.
func registerVoiceChainCost() {
    Benchmark(
        "Built-in voice chain, share of real time at 48 kHz / 64 frames",
        configuration: .init(metrics: [share, shareWithoutDenoise], maxDuration: .seconds(60), maxIterations: 5)
    ) { benchmark in
        let factory = EffectFactory(channels: 2, sampleRate: 48000, maxFrames: 64, liveWorker: false)
        var withDenoise = ChainDescription.voice
        withDenoise.effects.insert(.init(id: "denoise"), at: 1)
        guard let voice = try? factory.chain(.voice), let full = try? factory.chain(withDenoise) else {
            benchmark.error("the voice chain did not build")
            return
        }
        let seconds = 10
        var noise = SystemRandomNumberGenerator()
        let audio = (0..<48000 * seconds).map { n -> Float in
            let voiced = (n / 19200) % 2 == 1 ? 0.2 * Float(sin(2 * Double.pi * 150 * Double(n) / 48000)) : 0
            return voiced + Float.random(in: -0.01...0.01, using: &noise)
        }
        func cost(_ chain: EffectChain) -> Int {
            let buffer = PlanarBuffer(channels: 2, capacity: 64)
            let start = threadCPUNs()  // around the whole loop: the clock itself is a system call
            audio.withUnsafeBufferPointer { samples in
                var frame = 0
                while frame + 64 <= samples.count {
                    for channel in 0..<2 { copySamples(from: samples.baseAddress! + frame, to: buffer[channel], count: 64) }
                    chain.process(buffer.pointers, frames: 64)
                    frame += 64
                }
            }
            let spent = threadCPUNs() - start
            return Int((Double(spent) / Double(seconds * 1_000_000_000) * 100 * 100).rounded())  // hundredths of a percent
        }
        let fullCost = cost(full), voiceCost = cost(voice)
        print("  voice chain + denoise: \(Double(fullCost) / 100) % of real time; voice chain alone: \(Double(voiceCost) / 100) %")
        benchmark.measurement(share, fullCost)
        benchmark.measurement(shareWithoutDenoise, voiceCost)
    }
}

private func threadCPUNs() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}
