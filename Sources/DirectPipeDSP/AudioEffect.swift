import Atomics

/// One effect in the chain: a built-in, or an LV2 or LADSPA plugin (a
/// subclass in DirectPipePlugins).
///
/// Created and configured off the audio thread; then ``process(_:frames:)`` runs
/// on the audio thread and must not allocate, lock or block. Parameters are set
/// from any thread through ``values`` and picked up at the next block.
/// A class rather than a protocol so the chain's call is a plain virtual call,
/// never an existential one.
/// Unchecked Sendable: an open class can't be checked; subclass state is process()'s own (audio thread), parameters are atomics.
open class AudioEffect: @unchecked Sendable {
    public let info: EffectInfo
    /// Channels of the chain it runs in (it processes all of them).
    public let channels: Int
    public let sampleRate: Double
    /// The most frames one call may ask for.
    public let maxFrames: Int
    public let values: ParameterValues
    /// ``values`` without reference counting, for the audio thread.
    public let valuesView: Unmanaged<ParameterValues>

    public init(info: EffectInfo, channels: Int, sampleRate: Double, maxFrames: Int) {
        self.info = info
        self.channels = channels
        self.sampleRate = sampleRate
        self.maxFrames = maxFrames
        values = ParameterValues(info.parameters)
        valuesView = Unmanaged.passUnretained(values)
    }

    /// Frames by which the output lags the input (lookahead, block processing, a plugin's report).
    open var latencyFrames: Int { 0 }

    /// The parameters (by index) the effect takes in only when it is built, because they set its latency (a
    /// lookahead's length): asking another value builds the effect anew, faded in, and the chain's latency follows.
    open var latencySettingParameters: [Int] { [] }

    /// The gain reduction applied now, in dB (≤ 0), for meters: nil for effects that do not reduce gain by
    /// themselves. Dynamics effects publish it once per block (``publishGainReduction(_:)``).
    public var gainReductionDB: Float? {
        reducesGain ? Float(bitPattern: reductionBits.load(ordering: .relaxed)) : nil
    }

    /// True for effects that publish their gain reduction.
    open var reducesGain: Bool { false }

    /// The probability (0…1) that the latest frame is voice, for the panel: nil for effects that do not detect
    /// voice. Noise removers publish it once per model frame (``publishVoiceProbability(_:)``).
    public var voiceProbability: Float? {
        detectsVoice ? Float(bitPattern: voiceBits.load(ordering: .relaxed)) : nil
    }

    /// True for effects that publish a voice probability.
    open var detectsVoice: Bool { false }

    /// What a user should know about the effect now, for the state (DeepFilterNet standing in with RNNoise); nil:
    /// nothing. Any thread.
    open var note: String? { nil }

    /// Unmanaged, like the parameter words and the slot's flags: no reference counting on the audio thread.
    private let reductionBits = UnsafeAtomic<UInt32>.create(0)
    private let voiceBits = UnsafeAtomic<UInt32>.create(0)

    deinit {
        reductionBits.destroy()
        voiceBits.destroy()
    }

    /// Called by the audio thread at the end of a block: one relaxed store.
    @inline(__always)
    public func publishGainReduction(_ decibels: Float) { reductionBits.store(decibels.bitPattern, ordering: .relaxed) }

    /// Called by the audio thread after a model frame: one relaxed store.
    @inline(__always)
    public func publishVoiceProbability(_ probability: Float) { voiceBits.store(probability.bitPattern, ordering: .relaxed) }

    /// Processes `frames` frames (≤ ``maxFrames``) of every channel in place. Real-time safe.
    open func process(_ channels: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {}

    /// Called once configured (parameters and state set), before the effect goes live: a plugin
    /// runs a block of silence here so that the latency it reports is known. Not real-time safe.
    open func prepare() {}

    /// Forgets the signal's history (tails, envelopes): used after a fault or a seek. Not real-time safe.
    open func reset() {}

    /// The effect's internal state beyond its parameters (an LV2 plugin's state), for chain files.
    open func savedState() -> String? { nil }

    /// Restores what ``savedState()`` returned.
    open func restore(state: String) throws(EffectError) {}

    /// Sets a parameter by symbol (clamped to its range); any thread.
    public func set(_ symbol: String, _ value: Float) throws(EffectError) {
        guard let index = values.index(of: symbol) else {
            throw .unknownParameter(effect: info.id, symbol: symbol, known: info.parameters.map(\.symbol))
        }
        values.set(index, value)
    }
}

/// Why an effect could not be made or configured.
public enum EffectError: Error, Equatable, CustomStringConvertible {
    case unknownEffect(String)
    case unknownParameter(effect: String, symbol: String, known: [String])
    case unsupported(effect: String, reason: String)
    case failed(effect: String, reason: String)

    public var description: String {
        switch self {
        case .unknownEffect(let id): "no effect '\(id)' (see `directpipe plugins list`)"
        case .unknownParameter(let effect, let symbol, let known):
            "\(effect) has no parameter '\(symbol)' (it has: \(known.isEmpty ? "none" : known.joined(separator: ", ")))"
        case .unsupported(let effect, let reason): "\(effect) cannot run here: \(reason)"
        case .failed(let effect, let reason): "\(effect): \(reason)"
        }
    }
}
