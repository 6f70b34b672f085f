/// What `directpipe run` can be told, from the configuration file or from
/// flags (flags win). Every field is optional: absent means "the default".
public struct RunSettings: Equatable, Sendable {
    public var backend: String?
    public var input: String?
    public var pipe: String?
    public var rate: Int?
    public var period: Int?
    /// Periods in an ALSA device's buffer.
    public var periods: Int?
    public var channels: Int?
    public var inputChannels: Int?
    public var gainDB: Double?
    public var jackServer: String?
    public var micTo: String?
    public var monitor: String?
    /// Whose clock the ALSA monitor runs on: auto, shared (the capture card's) or own (drift-compensated).
    public var monitorClock: String?
    /// PipeWire: the "DirectPipe Virtual Mic" source node (on unless false).
    public var virtualMic: Bool?
    /// PipeWire: make the virtual mic the session's default input while DirectPipe runs.
    public var micDefault: Bool?
    /// The effects chain: a chain file (JSON) or "voice" for the built-in voice chain.
    public var chain: String?

    public init() {}

    /// `self`, with every field `other` sets taken from `other` (flags over the file).
    public func overridden(by other: RunSettings) -> RunSettings {
        var merged = self
        merged.backend = other.backend ?? backend
        merged.input = other.input ?? input
        merged.pipe = other.pipe ?? pipe
        merged.rate = other.rate ?? rate
        merged.period = other.period ?? period
        merged.periods = other.periods ?? periods
        merged.channels = other.channels ?? channels
        merged.inputChannels = other.inputChannels ?? inputChannels
        merged.gainDB = other.gainDB ?? gainDB
        merged.jackServer = other.jackServer ?? jackServer
        merged.micTo = other.micTo ?? micTo
        merged.monitor = other.monitor ?? monitor
        merged.monitorClock = other.monitorClock ?? monitorClock
        merged.virtualMic = other.virtualMic ?? virtualMic
        merged.micDefault = other.micDefault ?? micDefault
        merged.chain = other.chain ?? chain
        return merged
    }

    /// `self` with the audio setup `request` asks for on top (`monitor: "none"` turns monitoring off).
    public func applying(_ request: AudioRequest) -> RunSettings {
        var applied = self
        applied.backend = request.backend ?? backend
        applied.input = request.input ?? input
        applied.monitor = request.monitor.map { $0 == "none" ? nil : $0 } ?? monitor
        applied.rate = request.rate ?? rate
        applied.period = request.period ?? period
        applied.channels = request.channels ?? channels
        return applied
    }

    /// The file's keys: snake_case, as in `directpipe run --json` output.
    static let keys = [
        "backend", "input", "pipe", "rate", "period", "periods", "channels", "input_channels", "gain_db", "jack_server", "mic_to",
        "monitor", "monitor_clock", "virtual_mic", "mic_default", "chain",
    ]
    static let monitorClocks = ["auto", "shared", "own"]
    static let backends = ["auto", "jack", "clock", "pipewire", "alsa", "file"]
}
