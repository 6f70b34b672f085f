/// The three places the processed audio goes.
public enum OutputID: String, Sendable, CaseIterable {
    /// The shared-memory pipe OBS reads (protocol v1).
    case pipe
    /// The virtual microphone other apps record from.
    case virtualMic = "mic"
    /// Local monitoring on headphones.
    case monitor

    /// Where this output's three words (enabled, muted, volume) start in ``EngineControls``' block.
    var firstWord: Int {
        switch self {
        case .pipe: ControlWord.pipe
        case .virtualMic: ControlWord.virtualMic
        case .monitor: ControlWord.monitor
        }
    }
}

/// One output's switches: set from any thread, read by the audio thread.
public struct OutputControl: Sendable {

    public let id: OutputID
    private let words: AtomicWords

    init(_ id: OutputID, words: AtomicWords) {
        self.id = id
        self.words = words
    }

    public var isEnabled: Bool {
        get { words.flag(id.firstWord + ControlWord.enabled) }
        nonmutating set { words.setFlag(id.firstWord + ControlWord.enabled, newValue) }
    }

    public var isMuted: Bool {
        get { words.flag(id.firstWord + ControlWord.muted) }
        nonmutating set { words.setFlag(id.firstWord + ControlWord.muted, newValue) }
    }

    /// Linear gain, 0–4 (+12 dB); out-of-range values are clamped, NaN is 0.
    public var volume: Float {
        get { words.float(id.firstWord + ControlWord.volume) }
        nonmutating set { words.setFloat(id.firstWord + ControlWord.volume, clamp(newValue, to: 0...4)) }
    }

}

/// `value` within `range`; NaN becomes the lower bound.
func clamp(_ value: Float, to range: ClosedRange<Float>) -> Float {
    value.isNaN ? range.lowerBound : min(max(value, range.lowerBound), range.upperBound)
}
