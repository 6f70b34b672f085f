import Foundation

/// Compressor: a soft-knee static curve (Giannoulis, Massberg and Reiss, 2012)
/// on a peak or RMS detector, with attack and release smoothing of the gain
/// reduction in dB, and makeup gain. Channels are linked (one gain for all).
/// Unchecked Sendable: AudioEffect's contract: detector and gain state are process()'s own (audio thread); parameters are atomics.
public final class CompressorEffect: AudioEffect, @unchecked Sendable {
    public static let info = EffectInfo(
        id: "compressor", name: "Compressor", format: .builtin, audioInputs: 2, audioOutputs: 2,
        parameters: [
            EffectParameter("threshold", "Threshold", -60, 0, default: -18, unit: "dB"),
            EffectParameter("ratio", "Ratio", 1, 20, default: 3, unit: ":1", logarithmic: true),
            EffectParameter("knee", "Knee", 0, 24, default: 6, unit: "dB"),
            EffectParameter("attack", "Attack", 0.1, 200, default: 5, unit: "ms", logarithmic: true),
            EffectParameter("release", "Release", 5, 2000, default: 120, unit: "ms", logarithmic: true),
            EffectParameter("makeup", "Makeup gain", 0, 24, default: 0, unit: "dB"),
            EffectParameter(
                "detector", "Detector", 0, 1, default: 1, kind: .choice, choices: [.init(0, "Peak"), .init(1, "RMS")]),
        ], category: "Dynamics")

    /// The static curve: the output level in dB for a steady input level in dB.
    public static func curve(_ input: Float, threshold: Float, ratio: Float, knee: Float) -> Float {
        let over = input - threshold
        if 2 * over < -knee { return input }
        if knee > 0 && 2 * abs(over) <= knee {
            let x = over + knee / 2
            return input + (1 / ratio - 1) * x * x / (2 * knee)
        }
        return threshold + over / ratio
    }

    private var reduction: Float = 0  // dB, ≤ 0
    private var meanSquare: Float = 0
    private var started = false
    private let rmsCoefficient: Float
    private var makeup: SmoothedValue

    public init(channels: Int, sampleRate: Double, maxFrames: Int) {
        rmsCoefficient = onePoleCoefficient(milliseconds: 10, sampleRate: sampleRate)
        makeup = SmoothedValue(1, sampleRate: sampleRate)
        super.init(info: Self.info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        makeup.jump(to: decibelsToGain(values.value(5)))
    }

    /// The gain reduction now, in dB (≤ 0), for meters.
    public var gainReduction: Float { reduction }

    public override var reducesGain: Bool { true }

    public override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        let threshold = values.value(0), ratio = values.value(1), knee = values.value(2)
        let attack = onePoleCoefficient(milliseconds: values.value(3), sampleRate: sampleRate)
        let release = onePoleCoefficient(milliseconds: values.value(4), sampleRate: sampleRate)
        makeup.target = decibelsToGain(values.value(5))
        if !started { makeup.jump(to: makeup.target) }  // the first block starts where the parameters were set
        started = true
        let rms = values.value(6) >= 0.5
        for frame in 0..<frames {
            var peak: Float = 0, square: Float = 0
            for channel in 0..<channels {
                let x = buffers[channel][frame]
                peak = max(peak, abs(x))
                square = max(square, x * x)
            }
            let level: Float
            if rms {
                meanSquare = square + (meanSquare - square) * rmsCoefficient
                level = meanSquare.squareRoot()
            } else {
                level = peak
            }
            let inputDB = gainToDecibels(level)
            let target = Self.curve(inputDB, threshold: threshold, ratio: ratio, knee: knee) - inputDB
            reduction = target + (reduction - target) * (target < reduction ? attack : release)
            let g = decibelsToGain(reduction) * makeup.next()
            for channel in 0..<channels { buffers[channel][frame] *= g }
        }
        publishGainReduction(reduction)
    }

    public override func reset() {
        reduction = 0
        meanSquare = 0
    }
}
