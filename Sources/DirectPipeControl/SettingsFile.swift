import Foundation

/// The configuration file: `$XDG_CONFIG_HOME/directpipe/config.json`
/// (default `~/.config/directpipe/config.json`), a JSON object whose keys are
/// those of ``RunSettings``. A bad file is refused whole, with the file, the
/// key and the problem named; nothing is ever written to it here.
public enum SettingsFile {
    /// Where the file lives for this user.
    public static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        return base + "/directpipe/config.json"
    }

    /// Reads and checks the file; nil when it does not exist and `required` is false.
    public static func load(path: String, required: Bool = false) throws(SettingsError) -> RunSettings? {
        guard let data = FileManager.default.contents(atPath: path) else {
            if FileManager.default.fileExists(atPath: path) || required {
                throw SettingsError(path: path, key: nil, problem: "cannot be read")
            }
            return nil
        }
        let object: [String: JSONValue]
        do {
            object = try JSONDecoder().decode([String: JSONValue].self, from: data)
        } catch DecodingError.typeMismatch {
            throw SettingsError(path: path, key: nil, problem: "must hold a JSON object, like {\"rate\": 48000}")
        } catch {
            throw SettingsError(path: path, key: nil, problem: "is not valid JSON (\(Self.describe(error)))")
        }
        return try parse(object, path: path)
    }

    static func parse(_ dictionary: [String: JSONValue], path: String) throws(SettingsError) -> RunSettings {
        func fail(_ key: String, _ problem: String) -> SettingsError { SettingsError(path: path, key: key, problem: problem) }
        for key in dictionary.keys.sorted() where !RunSettings.keys.contains(key) {
            let hint = closest(to: key).map { " (did you mean '\($0)'?)" } ?? ""
            throw SettingsError(path: path, key: key, problem: "is not a setting\(hint); settings are \(RunSettings.keys.joined(separator: ", "))")
        }
        func string(_ key: String) throws(SettingsError) -> String? {
            guard let value = dictionary[key] else { return nil }
            guard case .string(let text) = value else { throw fail(key, "must be a string, not \(value)") }
            return text
        }
        func integer(_ key: String, _ range: ClosedRange<Int>, _ unit: String) throws(SettingsError) -> Int? {
            guard let value = dictionary[key] else { return nil }
            guard case .number(let number) = value, let whole = Int(exactly: number) else {
                throw fail(key, "must be a whole number, not \(value)")
            }
            guard range.contains(whole) else { throw fail(key, "\(whole) is outside \(range.lowerBound)–\(range.upperBound) \(unit)") }
            return whole
        }
        func boolean(_ key: String) throws(SettingsError) -> Bool? {
            guard let value = dictionary[key] else { return nil }
            guard case .bool(let flag) = value else { throw fail(key, "must be true or false, not \(value)") }
            return flag
        }
        var settings = RunSettings()
        settings.backend = try string("backend")
        if let backend = settings.backend, !RunSettings.backends.contains(backend) {
            throw fail("backend", "'\(backend)' is not one of \(RunSettings.backends.joined(separator: ", "))")
        }
        settings.input = try string("input")
        settings.pipe = try string("pipe")
        settings.rate = try integer("rate", 8000...384_000, "Hz")
        settings.period = try integer("period", 16...8192, "frames")
        settings.periods = try integer("periods", 2...16, "periods")
        settings.channels = try integer("channels", 1...2, "channels")
        settings.inputChannels = try integer("input_channels", 1...8, "channels")
        if let value = dictionary["gain_db"] {
            guard case .number(let number) = value else { throw fail("gain_db", "must be a number of decibels, not \(value)") }
            guard (-60...24).contains(number) else { throw fail("gain_db", "\(number) is outside -60–+24 dB") }
            settings.gainDB = number
        }
        settings.jackServer = try string("jack_server")
        settings.micTo = try string("mic_to")
        settings.monitor = try string("monitor")
        settings.monitorClock = try string("monitor_clock")
        settings.virtualMic = try boolean("virtual_mic")
        settings.micDefault = try boolean("mic_default")
        settings.chain = try string("chain")
        if let clock = settings.monitorClock, !RunSettings.monitorClocks.contains(clock) {
            throw fail("monitor_clock", "'\(clock)' is not one of \(RunSettings.monitorClocks.joined(separator: ", "))")
        }
        return settings
    }

    /// The known key nearest to a misspelt one, if it is near.
    private static func closest(to key: String) -> String? {
        RunSettings.keys.map { ($0, editDistance($0, key)) }.filter { $0.1 <= 2 }.min { $0.1 < $1.1 }?.0
    }

    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }

    /// The decoder's own words for what is wrong.
    private static func describe(_ error: Error) -> String {
        if case DecodingError.dataCorrupted(let context) = error {
            let underlying = (context.underlyingError as NSError?)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return underlying ?? context.debugDescription
        }
        return "\(error)"
    }
}

/// A JSON value with its type kept exactly (a boolean is not a number here).
enum JSONValue: Decodable, CustomStringConvertible {
    case string(String), number(Double), bool(Bool), null, array, object

    init(from decoder: Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if (try? container.decode([JSONValue].self)) != nil {
            self = .array
        } else {
            _ = try container.decode([String: JSONValue].self)
            self = .object
        }
    }

    var description: String {
        switch self {
        case .string(let text): "\"\(text)\""
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? "\(Int(number))" : "\(number)"
        case .bool(let value): "\(value)"
        case .null: "null"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A configuration file that cannot be used: which file, which key, what is wrong.
public struct SettingsError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var key: String?
    public var problem: String

    public init(path: String, key: String?, problem: String) {
        self.path = path
        self.key = key
        self.problem = problem
    }

    public var description: String {
        key.map { "\(path): '\($0)' \(problem)" } ?? "\(path) \(problem)"
    }
}
