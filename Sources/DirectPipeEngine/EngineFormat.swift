/// How the engine's output is laid out: mono averages the input channels.
public enum ChannelMode: String, Sendable, CaseIterable {
    case mono, stereo

    public var channels: Int { self == .mono ? 1 : 2 }
}

/// The engine's clock and shape: sample rate, period, input channels and
/// output channel mode (48 kHz, 128 frames, stereo by default).
public struct EngineFormat: Sendable, Hashable, CustomStringConvertible {
    public var sampleRate: Int
    public var periodFrames: Int
    public var inputChannels: Int
    public var channelMode: ChannelMode

    // Computed, not stored: a stored static is initialised lazily, which the audio thread must not risk.
    public static var minPeriodFrames: Int { 16 }
    public static var maxPeriodFrames: Int { 8192 }
    public static var maxInputChannels: Int { 8 }

    public init(sampleRate: Int = 48000, periodFrames: Int = 128, inputChannels: Int = 2, channelMode: ChannelMode = .stereo) throws(EngineError) {
        guard (8000...384_000).contains(sampleRate) else { throw .badSetting("rate", "\(sampleRate) is outside 8000–384000 Hz") }
        guard (Self.minPeriodFrames...Self.maxPeriodFrames).contains(periodFrames) else {
            throw .badSetting("period", "\(periodFrames) is outside \(Self.minPeriodFrames)–\(Self.maxPeriodFrames) frames")
        }
        guard (1...Self.maxInputChannels).contains(inputChannels) else {
            throw .badSetting("input channels", "\(inputChannels) is outside 1–\(Self.maxInputChannels)")
        }
        self.sampleRate = sampleRate
        self.periodFrames = periodFrames
        self.inputChannels = inputChannels
        self.channelMode = channelMode
    }

    public var outputChannels: Int { channelMode.channels }
    /// The period in nanoseconds (rounded down).
    public var periodNs: UInt64 { UInt64(periodFrames) * 1_000_000_000 / UInt64(sampleRate) }

    public var description: String {
        "\(sampleRate) Hz, \(periodFrames) frames (\(String(Double(periodFrames) * 1000 / Double(sampleRate)).prefix(5)) ms), \(inputChannels) in, \(channelMode.rawValue) out"
    }
}

/// A setting the engine cannot take, naming the setting.
public enum EngineError: Error, Equatable, CustomStringConvertible {
    case badSetting(String, String)

    public var description: String {
        switch self {
        case .badSetting(let key, let problem): "bad \(key): \(problem)"
        }
    }
}
