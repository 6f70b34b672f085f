/// What `directpipe run` can be told: from the configuration file, the flags, the saved session and the API's
/// `configure_audio`, all decoded into this one type and layered with one merge (``overridden(by:)``). Every
/// field is optional: absent means "the default", or "as below" when layered. Each value is valid by its type.
public struct RunSettings: Sendable, Hashable, Codable {
    public var backend: BackendChoice?
    /// What to capture (absent: the backend's default).
    public var input: Endpoint?
    public var pipe: String?
    public var rate: SampleRate?
    public var period: PeriodFrames?
    /// Periods in an ALSA device's buffer.
    public var periods: BufferPeriods?
    public var channels: OutputChannels?
    public var inputChannels: InputChannels?
    public var gainDB: InputGain?
    public var jackServer: String?
    /// Where else the virtual mic goes: JACK ports, or an ALSA device on its own clock (absent: nowhere else).
    public var micTo: Endpoint?
    /// Where monitoring goes (absent or `none`: off).
    public var monitor: Endpoint?
    public var monitorClock: MonitorClock?
    /// PipeWire: the "DirectPipe Virtual Mic" source node (on unless false).
    public var virtualMic: Bool?
    /// PipeWire: make the virtual mic the session's default input while DirectPipe runs.
    public var micDefault: Bool?
    /// The effects chain: a chain file (JSON) or "voice" for the built-in voice chain.
    public var chain: String?
    /// The safety guard before every output (pipe, virtual mic, monitor, recording), −1 dBFS: on unless false.
    public var safetyGuard: Bool?
    /// The safety guard's ceiling (absent: −1 dBFS).
    public var guardCeiling: GuardCeiling?
    /// The safety guard after the chain keeps the true peak (between samples) under its ceiling, 1 ms late, instead of
    /// the samples with no latency (absent: samples).
    public var guardTruePeak: Bool?

    public init() {}

    /// Every setting once: its key in JSON (snake_case, as in `directpipe run --json` output) and its field.
    /// Decoding, encoding, merging and the list of keys all come from here.
    static let fields: [Field] = [
        Field("backend", \.backend), Field("input", \.input), Field("pipe", \.pipe), Field("rate", \.rate),
        Field("period", \.period), Field("periods", \.periods), Field("channels", \.channels),
        Field("input_channels", \.inputChannels), Field("gain_db", \.gainDB), Field("jack_server", \.jackServer),
        Field("mic_to", \.micTo), Field("monitor", \.monitor), Field("monitor_clock", \.monitorClock),
        Field("virtual_mic", \.virtualMic), Field("mic_default", \.micDefault), Field("chain", \.chain),
        Field("guard", \.safetyGuard), Field("guard_ceiling_db", \.guardCeiling), Field("guard_true_peak", \.guardTruePeak),
    ]

    /// The keys a configuration file may hold.
    public static var keys: [String] { fields.map(\.key) }

    /// The keys `configure_audio` may change while running: the backend, devices and format, and the guard's mode (its
    /// lookahead is latency: the engine is built with it).
    public static let audioKeys: Set<String> = ["backend", "input", "monitor", "rate", "period", "channels", "guard_true_peak"]

    /// Monitoring asked for: a monitor named, not `none`.
    public var monitorIsOn: Bool { monitor.map { $0 != .none } ?? false }

    /// The keys this sets, in ``fields`` order.
    public var givenKeys: [String] { Self.fields.filter { $0.isSet(self) }.map(\.key) }

    /// `self`, with every field `other` sets taken from `other` (flags over the file, a request over what runs).
    public func overridden(by other: RunSettings) -> RunSettings {
        var merged = self
        for field in Self.fields { field.merge(&merged, other) }
        return merged
    }

    public init(from decoder: any Decoder) throws {
        try self.init(from: decoder, accepting: Set(Self.keys))
    }

    /// Decodes only the keys in `accepted` (and ignores those in `ignored`, an API action's own): any other key is
    /// an error that names it, with the nearest known key when it looks misspelt. Errors are `DecodingError`s
    /// whose coding path ends at the key and whose description is the problem.
    public init(from decoder: any Decoder, accepting accepted: Set<String>, ignoring ignored: Set<String> = []) throws {
        let container = try decoder.container(keyedBy: SettingKey.self)
        for key in container.allKeys.sorted(by: { $0.stringValue < $1.stringValue })
        where !accepted.contains(key.stringValue) && !ignored.contains(key.stringValue) {
            let hint = Self.closestKey(to: key.stringValue, among: accepted).map { " (did you mean '\($0)'?)" } ?? ""
            let known = Self.keys.filter(accepted.contains).joined(separator: ", ")
            let problem = Self.keys.contains(key.stringValue) ? "can't be set here; here: \(known)" : "is not a setting\(hint); settings are \(known)"
            throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [key], debugDescription: problem))
        }
        self.init()
        for field in Self.fields where accepted.contains(field.key) { try field.decode(container, &self) }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: SettingKey.self)
        for field in Self.fields { try field.encode(self, &container) }
    }

    /// The known key nearest to a misspelt one, if it is near.
    static func closestKey(to key: String, among keys: Set<String>) -> String? {
        keys.sorted().map { ($0, editDistance($0, key)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}

/// Any JSON key, so that unknown ones can be named.
struct SettingKey: CodingKey {
    var stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

/// One setting: its key and how its field is decoded, encoded and merged.
struct Field: Sendable {
    let key: String
    let decode: @Sendable (KeyedDecodingContainer<SettingKey>, inout RunSettings) throws -> Void
    let encode: @Sendable (RunSettings, inout KeyedEncodingContainer<SettingKey>) throws -> Void
    let merge: @Sendable (inout RunSettings, RunSettings) -> Void
    let isSet: @Sendable (RunSettings) -> Bool

    init<Value: SettingValue>(_ key: String, _ field: WritableKeyPath<RunSettings, Value?> & Sendable) {
        self.key = key
        let codingKey = SettingKey(stringValue: key)
        decode = { container, settings in
            guard let json = try container.decodeIfPresent(JSONValue.self, forKey: codingKey) else { return }
            if case .null = json { return }  // null: not set, as absent
            do throws(SettingProblem) {
                settings[keyPath: field] = try Value(json: json)
            } catch {
                throw DecodingError.dataCorrupted(.init(codingPath: container.codingPath + [codingKey], debugDescription: error.description))
            }
        }
        encode = { settings, container in try container.encodeIfPresent(settings[keyPath: field], forKey: codingKey) }
        isSet = { $0[keyPath: field] != nil }
        merge = { merged, other in
            if let value = other[keyPath: field] { merged[keyPath: field] = value }
        }
    }
}
