import Foundation

/// What is wrong with a JSON document, for a person: the line and column when the JSON itself is broken,
/// the key path when a value is of the wrong kind or missing.
public enum JSONProblem {
    public static func describe(_ error: any Error, in data: Data) -> String {
        guard let decoding = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            return keys.isEmpty ? "" : " at \(keys.hasPrefix(".") ? String(keys.dropFirst()) : keys)"
        }
        switch decoding {
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty, let location = syntaxErrorLocation(data) { return "not valid JSON at \(location)" }
            return "\(context.debugDescription)\(path(context))"
        case .keyNotFound(let key, let context): return "missing \"\(key.stringValue)\"\(path(context))"
        case .typeMismatch(let type, let context): return "expected \(type)\(path(context))"
        case .valueNotFound(let type, let context): return "expected \(type)\(path(context))"
        @unknown default: return "\(decoding)"
        }
    }

    /// "line L, column C" of the first syntax error, found by JSONSerialization's own parser when it says
    /// where, else by trying ever longer prefixes (small files only).
    static func syntaxErrorLocation(_ data: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
            return nil
        } catch {
            let text = "\(error) \((error as NSError).userInfo)"
            if let range = text.range(of: #"line \d+, column \d+"#, options: .regularExpression) { return String(text[range]) }
            if let range = text.range(of: #"character \d+"#, options: .regularExpression),
                let offset = Int(text[range].dropFirst("character ".count))
            {
                return position(of: offset, in: data)
            }
            return "an unknown place"
        }
    }

    static func position(of offset: Int, in data: Data) -> String {
        let prefix = data.prefix(offset)
        let line = prefix.filter { $0 == 10 }.count + 1
        let column = offset - (prefix.lastIndex(of: 10).map { $0 + 1 } ?? 0) + 1
        return "line \(line), column \(column)"
    }
}
