import DirectPipeEngine
import Foundation

/// The range a numeric setting may take and the unit it is said in.
public protocol SettingLimits: Sendable {
    associatedtype Number: Comparable & Hashable & Sendable & Codable & LosslessStringConvertible
    static var range: ClosedRange<Number> { get }
    /// "Hz", "frames": said after the range in an error.
    static var unit: String { get }
    /// A JSON number as this setting's number, or nil when it is not one (a fraction for a whole number).
    static func number(_ json: Double) -> Number?
}

extension SettingLimits where Number == Int {
    public static func number(_ json: Double) -> Int? { Int(exactly: json) }
}

extension SettingLimits where Number == Double {
    public static func number(_ json: Double) -> Double? { json.isFinite ? json : nil }
}

/// A number inside its setting's range: a sample rate, a period, a gain. Made only through the checks.
public struct LimitedSetting<Limits: SettingLimits>: SettingValue, Comparable {
    public let value: Limits.Number

    public init(_ value: Limits.Number) throws(SettingProblem) {
        guard Limits.range.contains(value) else {
            throw SettingProblem(
                "\(Self.text(value)) is outside \(Self.text(Limits.range.lowerBound))–\(Self.text(Limits.range.upperBound)) \(Limits.unit)")
        }
        self.value = value
    }

    public init(json: JSONValue) throws(SettingProblem) {
        guard case .number(let number) = json, let value = Limits.number(number) else {
            throw SettingProblem("must be \(Limits.Number.self == Int.self ? "a whole number" : "a number") of \(Limits.unit), not \(json)")
        }
        try self.init(value)
    }

    public init(argument: String) throws(SettingProblem) {
        guard let value = Limits.Number(argument) else {
            throw SettingProblem("must be \(Limits.Number.self == Int.self ? "a whole number" : "a number") of \(Limits.unit), not '\(argument)'")
        }
        try self.init(value)
    }

    /// A number as a user writes it: 40, not 40.0.
    private static func text(_ number: Limits.Number) -> String {
        if let double = number as? Double, double == double.rounded(), abs(double) < 1e15 { return "\(Int(double))" }
        return "\(number)"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }
}

public enum SampleRateLimits: SettingLimits {
    public static var range: ClosedRange<Int> { 8000...384_000 }
    public static var unit: String { "Hz" }
}

public enum PeriodLimits: SettingLimits {
    public static var range: ClosedRange<Int> { EngineFormat.minPeriodFrames...EngineFormat.maxPeriodFrames }
    public static var unit: String { "frames" }
}

public enum BufferPeriodLimits: SettingLimits {
    public static var range: ClosedRange<Int> { 2...16 }
    public static var unit: String { "periods" }
}

public enum OutputChannelLimits: SettingLimits {
    public static var range: ClosedRange<Int> { 1...2 }
    public static var unit: String { "channels (1 mono, 2 stereo)" }
}

public enum InputChannelLimits: SettingLimits {
    public static var range: ClosedRange<Int> { 1...EngineFormat.maxInputChannels }
    public static var unit: String { "channels" }
}

public enum InputGainLimits: DecibelLimits {
    public static var range: ClosedRange<Double> { -60...24 }
    public static var unit: String { "dB" }
}

public enum GuardCeilingLimits: DecibelLimits {
    public static var range: ClosedRange<Double> { -24...0 }
    public static var unit: String { "dBFS" }
}

/// The engine's sample rate in Hz.
public typealias SampleRate = LimitedSetting<SampleRateLimits>
/// Frames per period: what the backend is asked for (JACK's server decides its own).
public typealias PeriodFrames = LimitedSetting<PeriodLimits>
/// Periods in an ALSA device's buffer.
public typealias BufferPeriods = LimitedSetting<BufferPeriodLimits>
/// The engine's output: 1 (the inputs averaged) or 2 channels.
public typealias OutputChannels = LimitedSetting<OutputChannelLimits>
/// Channels captured from the input device.
public typealias InputChannels = LimitedSetting<InputChannelLimits>
/// The input gain in dB, the one range every way of setting it (flag, file, session, API, preset) shares.
public typealias InputGain = LimitedSetting<InputGainLimits>
/// The safety guard's ceiling in dBFS, the one range the flag, the file, the session and the API share.
public typealias GuardCeiling = LimitedSetting<GuardCeilingLimits>

extension LimitedSetting where Limits == OutputChannelLimits {
    public var channelMode: ChannelMode { value == 1 ? .mono : .stereo }
}

/// A setting in decibels (the input gain, the guard's ceiling): what the engine multiplies or compares by.
public protocol DecibelLimits: SettingLimits where Number == Double {}

extension LimitedSetting where Limits: DecibelLimits {
    /// The level as the engine uses it (worked out in double precision, then rounded once).
    public var linear: Float { Float(pow(10, value / 20)) }

    /// The level of `decibels`, the nearest end of the range when outside it (a hand-edited preset or session).
    public init(clamping decibels: Double) {
        self.value = decibels.isFinite ? min(max(decibels, Limits.range.lowerBound), Limits.range.upperBound) : 0
    }
}
