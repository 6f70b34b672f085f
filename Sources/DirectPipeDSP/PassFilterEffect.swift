/// High-pass or low-pass: a Butterworth response of 12, 24, 36 or 48 dB per
/// octave (cascaded biquads), with a smoothed corner frequency.
/// Unchecked Sendable: AudioEffect's contract: biquads and frequency glide are process()'s own (audio thread); parameters are atomics.
public final class PassFilterEffect: AudioEffect, @unchecked Sendable {
    public enum Response: Sendable { case highPass, lowPass }

    public static func info(_ response: Response) -> EffectInfo {
        let high = response == .highPass
        return EffectInfo(
            id: high ? "highpass" : "lowpass", name: high ? "High-pass filter" : "Low-pass filter", format: .builtin,
            audioInputs: 2, audioOutputs: 2,
            parameters: [
                EffectParameter("frequency", "Frequency", 10, 20000, default: high ? 80 : 12000, unit: "Hz", logarithmic: true),
                EffectParameter(
                    "slope", "Slope", 12, 48, default: high ? 24 : 12, unit: "dB/oct", kind: .choice,
                    choices: [12, 24, 36, 48].map { EffectParameter.Choice(Float($0), "\($0) dB/oct") }),
            ], category: "Filter")
    }

    private let response: Response
    private let cascade: BiquadCascade
    private var frequency: SmoothedValue
    private var sections = 0
    private var started = false
    private static let subBlock = 16

    public init(_ response: Response, channels: Int, sampleRate: Double, maxFrames: Int) {
        self.response = response
        cascade = BiquadCascade(channels: channels, sections: 4)
        frequency = SmoothedValue(1000, milliseconds: 20, sampleRate: sampleRate)
        super.init(info: Self.info(response), channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        frequency.jump(to: values.value(0))
        design()
    }

    /// The designed response's gain at `hertz` (linear), for tests and displays.
    public func magnitude(at hertz: Double) -> Double {
        (0..<sections).reduce(1) { $0 * cascade.coefficients[$1].magnitude(at: hertz, sampleRate: sampleRate) }
    }

    public override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        frequency.target = values.value(0)
        if !started { frequency.jump(to: frequency.target) }  // the first block starts where the parameters were set
        started = true
        let wanted = Int(values.value(1)) / 12
        if wanted != sections || frequency.current != designedFrequency {
            if wanted > sections { cascade.clear(from: sections) }
            design()
        }
        var offset = 0
        while offset < frames {
            let count = min(Self.subBlock, frames - offset)
            if !frequency.isSettled {
                _ = frequency.advance(count)
                design()
            }
            cascade.process(buffers, offset: offset, frames: count, sections: sections)
            offset += count
        }
    }

    public override func reset() { cascade.clear() }

    private var designedFrequency: Float = 0

    private func design() {
        designedFrequency = frequency.current
        sections = max(1, min(4, Int(values.value(1)) / 12))
        for section in 0..<sections {
            let f = Double(frequency.current)
            let q = BiquadCoefficients.butterworthQ(section: section, of: sections)
            cascade.coefficients[section] =
                response == .highPass
                ? .highPass(f, q: q, sampleRate: sampleRate) : .lowPass(f, q: q, sampleRate: sampleRate)
        }
    }
}
