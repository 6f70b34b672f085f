import DirectPipeDSP

/// What a scan found out about one plugin: its description, and whether it
/// works in this host (instantiated, processed noise, gave finite output).
public struct PluginRecord: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable {
        /// Loads and processes: usable in a chain.
        case ok
        /// Has no audio input or output (an instrument, generator or analyser): not a chain effect.
        case notAnEffect = "not_effect"
        /// Refused with a reason (a missing feature, instantiation failed, non-finite output).
        case failed
        /// Killed the scanning process; blocklisted.
        case crashed
        /// Did not finish in time; blocklisted.
        case hung
    }

    public var id: String
    public var format: EffectInfo.Format
    public var status: Status
    public var reason: String
    public var info: EffectInfo?

    public init(id: String, format: EffectInfo.Format, status: Status, reason: String = "", info: EffectInfo? = nil) {
        self.id = id
        self.format = format
        self.status = status
        self.reason = reason
        self.info = info
    }

    public var isBlocklisted: Bool { status == .crashed || status == .hung }
}
