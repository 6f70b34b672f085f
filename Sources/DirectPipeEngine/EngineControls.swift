import DirectPipeDSP

/// Everything the control side may change while audio runs, lock-free:
/// input gain and mute, the gain after the chain, and each output's switches.
public final class EngineControls: Sendable {
    let words = AtomicWords.allocate(count: ControlWord.count)

    public init() {
        inputGain = 1
        chainGain = 1
        isGuardOn = true
        guardCeiling = Self.defaultGuardCeiling
        for id in OutputID.allCases {
            output(id).isEnabled = id != .monitor  // monitoring is opt-in: it is loud in a room
            output(id).volume = 1
        }
    }

    deinit { words.deallocate() }

    /// Linear input gain, 0–16 (+24 dB); out-of-range values are clamped.
    public var inputGain: Float {
        get { words.float(ControlWord.inputGain) }
        set { words.setFloat(ControlWord.inputGain, clamp(newValue, to: 0...16)) }
    }

    public var isInputMuted: Bool {
        get { words.flag(ControlWord.inputMuted) }
        set { words.setFlag(ControlWord.inputMuted, newValue) }
    }

    /// Linear gain after the effects chain (an output trim), 0–16.
    public var chainGain: Float {
        get { words.float(ControlWord.chainGain) }
        set { words.setFloat(ControlWord.chainGain, clamp(newValue, to: 0...16)) }
    }

    /// The safety guard's ceiling by default: −1 dBFS (room for a lossy encoder's overshoot).
    public static let defaultGuardCeiling = decibelsToGain(-1)

    /// Whether the safety guard keeps every output (pipe, virtual mic, monitor, recording) within its ceiling.
    public var isGuardOn: Bool {
        get { words.flag(ControlWord.guardEnabled) }
        set { words.setFlag(ControlWord.guardEnabled, newValue) }
    }

    /// The safety guard's ceiling, linear, 1/16–1 (−24 to 0 dBFS); out-of-range values are clamped.
    public var guardCeiling: Float {
        get { words.float(ControlWord.guardCeiling) }
        set { words.setFloat(ControlWord.guardCeiling, clamp(newValue, to: 0.0625...1)) }
    }

    /// Whether the audio thread copies the processed signal into the engine's record ring.
    public var isRecording: Bool {
        get { words.flag(ControlWord.recording) }
        set { words.setFlag(ControlWord.recording, newValue) }
    }

    /// Asks the audio thread to put a latency impulse at its input in the next period (see
    /// `directpipe latency`). Only an atomic store: safe from a signal handler.
    /// Starts the output's integrated loudness and highest true peak again (the meters' "reset").
    public func resetLoudness() { words.add(ControlWord.loudnessReset, 1) }

    /// Resets asked for so far (the audio thread acts on each change of this count).
    public var loudnessResets: UInt64 { words.load(ControlWord.loudnessReset) }

    public func requestLatencyImpulse() {
        words.store(ControlWord.latencyImpulse, 1)
    }

    public func output(_ id: OutputID) -> OutputControl { OutputControl(id, words: words) }
    public var pipe: OutputControl { output(.pipe) }
    public var virtualMic: OutputControl { output(.virtualMic) }
    public var monitor: OutputControl { output(.monitor) }
}
