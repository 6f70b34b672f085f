/// Parametric EQ: five bands, a low shelf, three peaks and a high shelf, each
/// with frequency, gain and Q, smoothed. A band at 0 dB is exactly transparent.
/// Unchecked Sendable: AudioEffect's contract: biquads and raw `smoothed` (freed in deinit) are process()'s own (audio thread).
public final class EqualizerEffect: AudioEffect, @unchecked Sendable {
    public static let bandCount = 5
    private static let defaults: [(name: String, frequency: Float)] = [
        ("Low shelf", 100), ("Peak 1", 300), ("Peak 2", 1000), ("Peak 3", 3500), ("High shelf", 10000),
    ]

    public static let info = EffectInfo(
        id: "eq", name: "Parametric EQ", format: .builtin, audioInputs: 2, audioOutputs: 2,
        parameters: defaults.enumerated().flatMap { index, band in
            [
                EffectParameter("b\(index + 1)_freq", "\(band.name) frequency", 20, 20000, default: band.frequency, unit: "Hz", logarithmic: true),
                EffectParameter("b\(index + 1)_gain", "\(band.name) gain", -24, 24, default: 0, unit: "dB"),
                EffectParameter("b\(index + 1)_q", "\(band.name) Q", 0.1, 10, default: index == 0 || index == 4 ? 0.707 : 1, logarithmic: true),
            ]
        }, category: "EQ")

    private let cascade: BiquadCascade
    /// Frequency, gain and Q of each band, smoothed (index = parameter index).
    private let smoothed: UnsafeMutablePointer<SmoothedValue>
    private static let subBlock = 16
    private var started = false

    public init(channels: Int, sampleRate: Double, maxFrames: Int) {
        cascade = BiquadCascade(channels: channels, sections: Self.bandCount)
        smoothed = .allocate(capacity: Self.bandCount * 3)
        super.init(info: Self.info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        for index in 0..<Self.bandCount * 3 {
            (smoothed + index).initialize(to: SmoothedValue(values.value(index), milliseconds: 20, sampleRate: sampleRate))
        }
        for band in 0..<Self.bandCount { design(band) }
    }

    deinit { smoothed.deallocate() }

    /// The designed response's gain at `hertz` (linear), for tests and displays.
    public func magnitude(at hertz: Double) -> Double {
        (0..<Self.bandCount).reduce(1) { $0 * cascade.coefficients[$1].magnitude(at: hertz, sampleRate: sampleRate) }
    }

    public override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        for index in 0..<Self.bandCount * 3 {
            smoothed[index].target = values.value(index)
            if !started { smoothed[index].jump(to: smoothed[index].target) }  // start where the parameters were set
        }
        if !started { for band in 0..<Self.bandCount { design(band) } }
        started = true
        var offset = 0
        while offset < frames {
            let count = min(Self.subBlock, frames - offset)
            for band in 0..<Self.bandCount
            where !(smoothed[band * 3].isSettled && smoothed[band * 3 + 1].isSettled && smoothed[band * 3 + 2].isSettled) {
                for index in band * 3..<band * 3 + 3 { _ = smoothed[index].advance(count) }
                design(band)
            }
            cascade.process(buffers, offset: offset, frames: count, sections: Self.bandCount)
            offset += count
        }
    }

    public override func reset() { cascade.clear() }

    private func design(_ band: Int) {
        let frequency = Double(smoothed[band * 3].current), gain = Double(smoothed[band * 3 + 1].current)
        let q = Double(smoothed[band * 3 + 2].current)
        cascade.coefficients[band] =
            if gain == 0 { .identity } else if band == 0 {
                .lowShelf(frequency, q: q, gainDB: gain, sampleRate: sampleRate)
            } else if band == Self.bandCount - 1 { .highShelf(frequency, q: q, gainDB: gain, sampleRate: sampleRate) } else {
                .peak(frequency, q: q, gainDB: gain, sampleRate: sampleRate)
            }
    }
}
