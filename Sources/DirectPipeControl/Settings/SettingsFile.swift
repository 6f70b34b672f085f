import DirectPipeDSP
import Foundation

/// The configuration file: `$XDG_CONFIG_HOME/directpipe/config.json`
/// (default `~/.config/directpipe/config.json`), a JSON object whose keys are
/// those of ``RunSettings``. A bad file is refused whole, with the file, the
/// line, the key and the problem named; nothing is ever written to it here.
public enum SettingsFile {
    /// Where the file lives for this user.
    public static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        let base =
            environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 }
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
        do {
            return try JSONDecoder().decode(RunSettings.self, from: data)
        } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
            let key = context.codingPath[0].stringValue
            throw SettingsError(path: path, key: key, line: line(of: key, in: data), problem: context.debugDescription)
        } catch DecodingError.typeMismatch(_, let context) where context.codingPath.isEmpty {
            throw SettingsError(path: path, key: nil, problem: "must hold a JSON object, like {\"rate\": 48000}")
        } catch {
            let detail = JSONProblem.describe(error, in: data)
            throw SettingsError(path: path, key: nil, problem: detail.hasPrefix("not valid JSON") ? "is \(detail)" : "is not valid JSON (\(detail))")
        }
    }

    /// The line (from 1) where `"key":` first appears in the file's text.
    static func line(of key: String, in data: Data) -> Int? {
        let text = String(decoding: data, as: UTF8.self)
        guard let range = text.range(of: #""\#(NSRegularExpression.escapedPattern(for: key))"\s*:"#, options: .regularExpression) else {
            return nil
        }
        return text[..<range.lowerBound].reduce(1) { $1 == "\n" ? $0 + 1 : $0 }
    }
}

/// A configuration file that cannot be used: which file, which line and key, what is wrong.
public struct SettingsError: Error, Equatable, CustomStringConvertible {
    public var path: String
    public var key: String?
    public var line: Int?
    public var problem: String

    public init(path: String, key: String?, line: Int? = nil, problem: String) {
        self.path = path
        self.key = key
        self.line = line
        self.problem = problem
    }

    public var description: String {
        let place = line.map { "\(path):\($0)" } ?? path
        return key.map { "\(place): '\($0)' \(problem)" } ?? "\(place) \(problem)"
    }
}
