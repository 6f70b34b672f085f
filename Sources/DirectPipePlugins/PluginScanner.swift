import DirectPipeDSP
import Foundation

/// The parent's side of a scan: runs the probe in a child process, and when
/// the child crashes or stops answering, blocklists the plugin it was on
/// (with the signal or the timeout as the reason) and starts a new child
/// after it. The result is cached, written atomically.
public struct PluginScanner: Sendable {
    /// The `directpipe` executable and the arguments that make it a probe child.
    public var childCommand: [String]
    /// How long one plugin may take before it counts as hung.
    public var timeout: TimeInterval

    public init(childCommand: [String], timeout: TimeInterval = 10) {
        self.childCommand = childCommand
        self.timeout = timeout
    }

    /// Where scan results are kept: `$XDG_CACHE_HOME/directpipe/plugins.json` (or ~/.cache/…).
    public static var cachePath: String {
        let environment = ProcessInfo.processInfo.environment
        let base = environment["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.cache")
        return base + "/directpipe/plugins.json"
    }

    /// Scans everything; `progress` hears each finished record.
    public func scan(progress: (PluginRecord) -> Void) throws -> [PluginRecord] {
        var records: [PluginRecord] = []
        var done = Set<String>()
        while true {
            let skipFile = FileManager.default.temporaryDirectory.appendingPathComponent("directpipe-scan-\(UUID().uuidString).json")
            try JSONEncoder().encode(Array(done)).write(to: skipFile)
            defer { try? FileManager.default.removeItem(at: skipFile) }
            let outcome = try runChild(skipFile: skipFile.path) { record in
                records.append(record)
                done.insert(record.id)
                progress(record)
            }
            switch outcome {
            case .finished: return records
            case .died(let current, let reason, let status):
                guard let current else { throw ScanError(reason: "the scanning process \(reason) before any plugin") }
                let record = PluginRecord(
                    id: current, format: Self.format(ofScanned: current), status: status, reason: reason)
                records.append(record)
                done.insert(current)
                progress(record)
            }
        }
    }

    /// The format of what a probe child was on: an effect id, or a LADSPA library's path.
    static func format(ofScanned id: String) -> EffectInfo.Format {
        let format = EffectInfo.format(of: id)
        return format == .builtin ? .ladspa : format
    }

    /// Writes `records` to the cache (a temporary file renamed into place).
    public static func save(_ records: [PluginRecord], to path: String = cachePath) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try encoder.encode(records).write(to: URL(fileURLWithPath: path), options: .atomic)
    }

    /// The cached records, or nil when there is no cache yet (or it cannot be read).
    public static func load(from path: String = cachePath) -> [PluginRecord]? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? JSONDecoder().decode([PluginRecord].self, from: data)
    }

    private enum Outcome {
        case finished
        case died(current: String?, reason: String, status: PluginRecord.Status)
    }

    private func runChild(skipFile: String, record: (PluginRecord) -> Void) throws -> Outcome {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: childCommand[0])
        process.arguments = Array(childCommand.dropFirst()) + ["--skip-file", skipFile]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let fd = output.fileHandleForReading.fileDescriptor
        var pending = Data()
        var current: String?
        var deadline = Date().addingTimeInterval(timeout)
        let decoder = JSONDecoder()
        while true {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let wait = max(0, Int32(deadline.timeIntervalSinceNow * 1000))
            let ready = poll(&poller, 1, wait)
            if ready == 0 {
                process.terminate()
                kill(process.processIdentifier, SIGKILL)
                process.waitUntilExit()
                return .died(current: current, reason: "did not finish within \(Int(timeout)) s", status: .hung)
            }
            if ready < 0 { if errno == EINTR { continue } else { break } }
            var chunk = [UInt8](repeating: 0, count: 65536)
            let count = read(fd, &chunk, chunk.count)
            if count <= 0 { break }
            pending.append(contentsOf: chunk[0..<count])
            while let newline = pending.firstIndex(of: 10) {
                let line = pending[pending.startIndex..<newline]
                pending = Data(pending[(newline + 1)...])
                if let begin = try? decoder.decode([String: String].self, from: line), let id = begin["begin"] {
                    current = id
                    deadline = Date().addingTimeInterval(timeout)
                } else if let result = try? decoder.decode([String: PluginRecord].self, from: line), let found = result["result"] {
                    record(found)
                    current = nil
                }
            }
        }
        process.waitUntilExit()
        if process.terminationReason == .uncaughtSignal {
            let name = String(cString: strsignal(process.terminationStatus))
            return .died(current: current, reason: "crashed the scan (signal \(process.terminationStatus), \(name))", status: .crashed)
        }
        if process.terminationStatus != 0 {
            return .died(current: current, reason: "ended the scan with exit status \(process.terminationStatus)", status: .crashed)
        }
        return .finished
    }
}

/// A scan that could not run at all.
public struct ScanError: Error, CustomStringConvertible {
    public var reason: String
    public var description: String { reason }
}
