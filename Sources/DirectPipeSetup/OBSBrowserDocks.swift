import DirectPipeControl
import Foundation

/// OBS's custom browser docks (Docks → Custom Browser Docks): a JSON list under `[BasicWindow]
/// ExtraBrowserDocks` in OBS's `user.ini` (OBS 30.2 and later) or `global.ini` (before). Changed only while
/// OBS is closed (it rewrites the file when it quits), atomically, the old file kept as `.bak`.
public struct OBSBrowserDocks: Sendable {
    public let configFolder: URL

    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        let config =
            environment["XDG_CONFIG_HOME"].map { URL(fileURLWithPath: $0) }
            ?? URL(fileURLWithPath: environment["HOME"] ?? NSHomeDirectory()).appendingPathComponent(".config")
        configFolder = config.appendingPathComponent("obs-studio")
    }

    /// The file OBS keeps its docks in: user.ini where a newer OBS made one, else global.ini.
    public var file: URL {
        let user = configFolder.appendingPathComponent("user.ini")
        return FileManager.default.fileExists(atPath: user.path) ? user : configFolder.appendingPathComponent("global.ini")
    }

    /// True while an OBS process runs (it would overwrite a change on quitting).
    public static var isOBSRunning: Bool {
        let processes = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return processes.contains { pid in
            guard pid.allSatisfy(\.isNumber), let name = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8) else { return false }
            return name.trimmingCharacters(in: .whitespacesAndNewlines) == "obs"
        }
    }

    /// Adds (or updates, by title) a dock; returns false when it was there already as it is.
    public func add(title: String, url: String) throws -> Bool {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        var lines = text.components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        let section = lines.firstIndex { $0.trimmingCharacters(in: .whitespaces) == "[BasicWindow]" }
        let end = section.map { start in lines[(start + 1)...].firstIndex { $0.hasPrefix("[") } ?? lines.count }
        let keyLine = section.flatMap { start in lines[(start + 1)..<end!].firstIndex { $0.hasPrefix("ExtraBrowserDocks=") } }
        var docks: [[String: String]] = []
        if let keyLine {
            let value = Data(lines[keyLine].dropFirst("ExtraBrowserDocks=".count).utf8)
            guard let parsed = try? JSONSerialization.jsonObject(with: value) as? [[String: String]] else {
                throw SetupError("\(file.path): ExtraBrowserDocks is not a list OBS wrote; it stays as it is (fix or remove that line)")
            }
            docks = parsed
        }
        if let index = docks.firstIndex(where: { $0["title"] == title }) {
            if docks[index]["url"] == url { return false }
            docks[index]["url"] = url
        } else {
            docks.append(["title": title, "url": url, "uuid": UUID().uuidString.lowercased()])
        }
        let json = String(
            decoding: try JSONSerialization.data(withJSONObject: docks, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        let line = "ExtraBrowserDocks=\(json)"
        if let keyLine {
            lines[keyLine] = line
        } else if let section {
            lines.insert(line, at: section + 1)
        } else {
            lines += ["[BasicWindow]", line]
        }
        try FileManager.default.createDirectory(at: configFolder, withIntermediateDirectories: true)
        try AtomicFile.write(Data((lines.joined(separator: "\n") + "\n").utf8), to: file.path)
        return true
    }
}
