/// A value one setting of ``RunSettings`` holds, checked where it is made, whatever it comes from: JSON (the
/// configuration file, the saved session, an API request) or a command-line flag. A value that exists is valid;
/// the problem with one that can't be made is said in words that follow the setting's name.
public protocol SettingValue: Sendable, Hashable, Encodable {
    /// The value a JSON document holds, or why it can't be this setting.
    init(json: JSONValue) throws(SettingProblem)
    /// The value a flag's text says (`--rate 44100`), or why it can't be this setting.
    init(argument: String) throws(SettingProblem)
}

/// Why a value can't be a setting ("5 is outside 16–8192 frames"), said after the setting's name.
public struct SettingProblem: Error, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}

extension String: SettingValue {
    public init(json: JSONValue) throws(SettingProblem) {
        guard case .string(let text) = json else { throw SettingProblem("must be a string, not \(json)") }
        self = text
    }

    public init(argument: String) { self = argument }
}

extension Bool: SettingValue {
    public init(json: JSONValue) throws(SettingProblem) {
        guard case .bool(let value) = json else { throw SettingProblem("must be true or false, not \(json)") }
        self = value
    }

    public init(argument: String) throws(SettingProblem) {
        switch argument {
        case "true", "on", "yes": self = true
        case "false", "off", "no": self = false
        default: throw SettingProblem("must be true or false, not '\(argument)'")
        }
    }
}

/// A setting whose values are a fixed list of words (a backend, a clock choice).
public protocol SettingChoice: SettingValue, RawRepresentable<String>, CaseIterable {}

extension SettingChoice {
    public init(json: JSONValue) throws(SettingProblem) {
        guard case .string(let text) = json else { throw SettingProblem("must be one of \(Self.choices), not \(json)") }
        try self.init(argument: text)
    }

    public init(argument: String) throws(SettingProblem) {
        guard let value = Self(rawValue: argument) else { throw SettingProblem("'\(argument)' is not one of \(Self.choices)") }
        self = value
    }

    /// The words, as a user reads them in an error ("auto, shared, own").
    public static var choices: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// A JSON value with its type kept exactly (a boolean is not a number here), for checking each setting's
/// value before it is made into one.
public enum JSONValue: Decodable, Sendable, CustomStringConvertible {
    case string(String)
    case number(Double)
    case bool(Bool)
    case null, array, object

    public init(from decoder: any Decoder) throws {
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

    public var description: String {
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
