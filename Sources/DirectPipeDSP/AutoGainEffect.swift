import Foundation

/// Loudness auto-gain: brings speech to a target loudness (−16 LUFS by default, the streaming norm) whatever the
/// microphone's level, slowly, the way a careful engineer rides a fader.
///
/// It measures its input with ``LoudnessMeter`` (EBU R 128 K-weighting, 400 ms momentary blocks every 100 ms; a mono
/// chain as dual mono, the loudness a stereo stream carrying it has) and
/// keeps a running speech loudness over the blocks louder than the freeze threshold only (an energy average with a
/// 2 s time constant), so pauses, room tone and background noise never pull the gain up; below the threshold the
/// gain holds. Every 100 ms the gain moves toward `target − speech loudness` at most at the rise or fall speed, within
/// −24 dB and the maximum gain, and glides there sample by sample (50 ms), so nothing steps. Zero latency. It
/// publishes the gain it applies (positive when it raises) where other effects publish their gain reduction.
/// Unchecked Sendable: AudioEffect's contract: the meter, the gain and the scratch buffer are process()'s own (audio thread).
public final class AutoGainEffect: AudioEffect, @unchecked Sendable {
    public static let info = EffectInfo(
        id: "autogain", name: "Auto-gain (loudness)", format: .builtin, audioInputs: 2, audioOutputs: 2,
        parameters: [
            EffectParameter("target", "Target loudness", -36, -6, default: -16, unit: "LUFS"),
            EffectParameter("max_gain", "Maximum gain", 0, 40, default: 30, unit: "dB"),
            EffectParameter("freeze", "Freeze below", -70, -20, default: -50, unit: "LUFS"),
            EffectParameter("rise", "Rise speed", 0.5, 20, default: 4, unit: "dB/s", logarithmic: true),
            EffectParameter("fall", "Fall speed", 0.5, 40, default: 8, unit: "dB/s", logarithmic: true),
        ], category: "Dynamics")

    /// The most it turns down, whatever comes in.
    public static let maximumCut: Float = -24
    private let meter: LoudnessMeter
    private let interleaved: UnsafeMutablePointer<Float>
    private var seenBlocks = 0
    /// The speech loudness so far, as a mean energy (0: none heard yet).
    private var speechEnergy: Double = 0
    private var gainDB: Float = 0
    private var gain: SmoothedValue
    /// Energy weight of each new speech block: 100 ms into a 2 s average.
    private static let blockWeight = 0.05

    public init(channels: Int, sampleRate: Double, maxFrames: Int) throws(EffectError) {
        meter = try LoudnessMeter(channels: channels, sampleRate: sampleRate, monoAsDualMono: true)
        interleaved = .allocate(capacity: channels * maxFrames)
        interleaved.initialize(repeating: 0, count: channels * maxFrames)
        gain = SmoothedValue(1, milliseconds: 50, sampleRate: sampleRate)
        super.init(info: Self.info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
    }

    deinit { interleaved.deallocate() }

    public override var reducesGain: Bool { true }

    /// The gain it applies now, in dB (for tests; the meters read ``AudioEffect/gainReductionDB``).
    public var appliedGainDB: Float { gainDB }

    public override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        for frame in 0..<frames {
            for channel in 0..<channels { interleaved[frame * channels + channel] = buffers[channel][frame] }
        }
        meter.add(interleaved, frames: frames)
        if meter.blocks != seenBlocks {
            let steps = meter.blocks - seenBlocks
            seenBlocks = meter.blocks
            adjust(steps: steps)
        }
        gain.target = decibelsToGain(gainDB)
        for frame in 0..<frames {
            let g = gain.next()
            for channel in 0..<channels { buffers[channel][frame] *= g }
        }
        publishGainReduction(gainDB)
    }

    /// One or more 100 ms steps: the speech loudness updated from the newest block, the gain moved toward the target.
    private func adjust(steps: Int) {
        let values = valuesView.takeUnretainedValue()
        let target = values.value(0), maxGain = values.value(1), freeze = values.value(2)
        let momentary = meter.reading.momentary
        guard momentary.isFinite, momentary >= Double(freeze) else { return }  // a pause or noise: hold
        let energy = pow(10, (momentary + 0.691) / 10)
        speechEnergy = speechEnergy == 0 ? energy : speechEnergy + Self.blockWeight * (energy - speechEnergy)
        let speech = Float(-0.691 + 10 * log10(speechEnergy))
        let wanted = min(max(target - speech, Self.maximumCut), maxGain)
        let seconds = Float(steps) / 10
        let step = wanted > gainDB ? values.value(3) * seconds : values.value(4) * seconds
        gainDB = wanted > gainDB ? min(wanted, gainDB + step) : max(wanted, gainDB - step)
    }

    public override func reset() {
        speechEnergy = 0
        gainDB = 0
        gain.jump(to: 1)
    }
}
