import DirectPipeDSP
import Foundation

/// Runs `effect` over planar `input` (one array per channel) in blocks, returning its output.
func run(_ effect: AudioEffect, _ input: [[Float]], block: Int = 64) -> [[Float]] {
    let buffer = PlanarBuffer(channels: input.count, capacity: block)
    var output = input.map { _ in [Float]() }
    var start = 0
    let frames = input[0].count
    while start < frames {
        let count = min(block, frames - start)
        for channel in input.indices {
            for frame in 0..<count { buffer[channel][frame] = input[channel][start + frame] }
        }
        effect.process(buffer.pointers, frames: count)
        for channel in input.indices { output[channel] += UnsafeBufferPointer(start: buffer[channel], count: count) }
        start += count
    }
    return output
}

func sine(_ hertz: Double, amplitude: Float = 0.5, frames: Int, sampleRate: Double = 48000) -> [Float] {
    (0..<frames).map { amplitude * Float(sin(2 * Double.pi * hertz * Double($0) / sampleRate)) }
}

func rms(_ samples: ArraySlice<Float>) -> Double {
    (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(max(samples.count, 1))).squareRoot()
}

func decibels(_ ratio: Double) -> Double { 20 * log10(max(ratio, 1e-12)) }

/// A reproducible noise source.
struct Noise: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return state
    }
    mutating func sample(_ amplitude: Float) -> Float { Float.random(in: -amplitude...amplitude, using: &self) }
}

/// The lag (within 700 samples of `around`) at which `output` best matches `input`, correlated over `count`
/// samples from `from`: where a processor puts the sound it was given.
func bestLag(_ input: [Float], _ output: [Float], around: Int, from: Int, count: Int) -> Int? {
    let lags = max(0, around - 700)..<(around + 700)
    let correlation = lags.map { lag in
        input[from..<(from + count)].withUnsafeBufferPointer { a in
            output[(from + lag)...].withUnsafeBufferPointer { b in (0..<a.count).reduce(Float(0)) { $0 + a[$1] * b[$1] } }
        }
    }
    return correlation.indices.max { correlation[$0] < correlation[$1] }.map { lags.lowerBound + $0 }
}
/// Calls `body` for `frames` frames taken in blocks of at most `blockFrames`, with each block's first frame and size:
/// how an audio callback hands a stage its signal.
func inBlocks(of blockFrames: Int, frames: Int, _ body: (_ first: Int, _ count: Int) -> Void) {
    var frame = 0
    while frame < frames {
        let count = min(blockFrames, frames - frame)
        body(frame, count)
        frame += count
    }
}

/// The shapes that catch a guard out, two seconds at 48 kHz: a 20 Hz–20 kHz sweep at +6 dBFS, tone bursts from
/// silence at +12 dBFS (`burstRadians` a sample), single-sample +20 dB spikes on a tone just under −1 dBFS.
func guardTorture(burstRadians: Double) -> [(name: String, signal: [Float])] {
    var phase = 0.0
    let sweep = (0..<96000).map { n -> Float in
        phase += 2 * Double.pi * 20 * pow(1000, Double(n) / 96000) / 48000
        return 2 * Float(sin(phase))
    }
    let bursts = (0..<96000).map { n -> Float in n % 4800 < 480 ? 4 * Float(sin(Double(n) * burstRadians)) : 0 }
    let spikes = (0..<96000).map { n -> Float in n % 997 == 0 ? 8.9 : 0.88 * Float(sin(Double(n) * 0.01)) }
    return [("sweep", sweep), ("bursts", bursts), ("spikes", spikes)]
}
