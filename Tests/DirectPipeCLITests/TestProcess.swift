import CDirectPipeShm
import DirectPipeShm
import Foundation

/// A child process of a test, its output captured in files (no pipe can fill up and block it).
final class TestProcess: @unchecked Sendable {
    let process = Process()
    private let outputURL: URL
    private let errorURL: URL
    /// The config folder of a `directpipe run` not given one: its own, so no test reads or writes the user's (a
    /// session, the API's lock and token) and two hosts in one test do not meet.
    private let configURL: URL?

    init(_ executable: URL, _ arguments: [String], environment: [String: String]? = nil) throws {
        let directory = FileManager.default.temporaryDirectory
        outputURL = directory.appendingPathComponent("dp-test-\(UUID().uuidString).out")
        errorURL = directory.appendingPathComponent("dp-test-\(UUID().uuidString).err")
        _ = FileManager.default.createFile(atPath: outputURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errorURL.path, contents: nil)
        process.executableURL = executable
        process.arguments = arguments
        var environment = environment ?? ProcessInfo.processInfo.environment
        if executable == Programs.directpipe, arguments.first == "run", environment["XDG_CONFIG_HOME"] == nil {
            let config = directory.appendingPathComponent("dp-test-\(UUID().uuidString).config")
            environment["XDG_CONFIG_HOME"] = config.path
            configURL = config
        } else {
            configURL = nil
        }
        process.environment = environment
        process.standardOutput = try FileHandle(forWritingTo: outputURL)
        process.standardError = try FileHandle(forWritingTo: errorURL)
        // The test runner's threads block SIGTERM and SIGINT, and a child inherits the mask of the
        // thread that spawns it: without this, a server under test would ignore SIGTERM.
        var stopSignals = sigset_t(), saved = sigset_t()
        sigemptyset(&stopSignals)
        sigaddset(&stopSignals, SIGTERM)
        sigaddset(&stopSignals, SIGINT)
        pthread_sigmask(SIG_UNBLOCK, &stopSignals, &saved)
        defer { pthread_sigmask(SIG_SETMASK, &saved, nil) }
        try process.run()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        try? FileManager.default.removeItem(at: outputURL)
        try? FileManager.default.removeItem(at: errorURL)
        if let configURL { try? FileManager.default.removeItem(at: configURL) }
    }

    var pid: Int32 { process.processIdentifier }

    func signal(_ signal: Int32) { kill(process.processIdentifier, signal) }

    /// Waits for the exit (killing it after `timeout` seconds) and returns its status.
    @discardableResult
    func finish(timeout: TimeInterval = 30) -> Int32 {
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning, Date() < deadline { usleep(10_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        return process.terminationStatus
    }

    var output: String { (try? String(contentsOf: outputURL, encoding: .utf8)) ?? "" }
    var errorOutput: String { (try? String(contentsOf: errorURL, encoding: .utf8)) ?? "" }

    /// The JSON objects printed one per line on standard output.
    var jsonLines: [[String: Any]] {
        output.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// Waits until a JSON line satisfies `predicate`, up to `timeout` seconds.
    func waitForLine(timeout: TimeInterval = 10, _ predicate: ([String: Any]) -> Bool) -> [String: Any]? {
        let deadline = Date().addingTimeInterval(timeout)
        repeat {
            if let line = jsonLines.first(where: predicate) { return line }
            usleep(10_000)
        } while Date() < deadline
        return nil
    }
}

extension TestProcess {
    /// Lets a `directpipe run --json` go until its status lines count `callbacks` callbacks, then stops it
    /// (SIGTERM): waited for, not timed, since a stalled machine runs fewer a second. Whether it got there.
    @discardableResult
    func stop(afterCallbacks callbacks: Int, timeout: TimeInterval = 120) -> Bool {
        let reached = waitForLine(timeout: timeout) { ($0.int("callbacks") ?? 0) >= callbacks } != nil
        signal(SIGTERM)
        return reached
    }
}

/// The programs under test: `directpipe` from the SwiftPM build, and the C
/// pieces built with cc by scripts/build-native.sh (run once per test process).
enum Programs {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The SwiftPM products directory: the test bundle runs from it.
    static let binDirectory = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().deletingLastPathComponent()

    static var directpipe: URL { binDirectory.appendingPathComponent("directpipe") }

    static let nativeDirectory: URL = {
        let directory = packageRoot.appendingPathComponent(".build/native")
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/bin/bash")
        build.arguments = [packageRoot.appendingPathComponent("scripts/build-native.sh").path, directory.path]
        try? build.run()
        build.waitUntilExit()
        precondition(build.terminationStatus == 0, "scripts/build-native.sh failed")
        return directory
    }()

    static var readerCheck: URL { nativeDirectory.appendingPathComponent("directpipe-reader-check") }
    static var readerLibrary: URL { nativeDirectory.appendingPathComponent("libdirectpipe-reader.so.2") }
}

/// What a test's own set-up (a server, a root, a display it starts) could not do, and why.
struct SetupFailure: Error, CustomStringConvertible {
    var description: String
}

func uniquePipe(_ label: String) -> String {
    String("/DirectPipeAudio-c\(getpid())-\(label)-\(UInt16.random(in: 0...UInt16.max))".prefix(49))
}

func removePipe(_ name: String) { try? FileManager.default.removeItem(atPath: "/dev/shm" + name) }

func monotonicNs() -> UInt64 { dp_monotonic_ns() }

extension Dictionary where Key == String, Value == Any {
    func int(_ key: String) -> Int? { (self[key] as? NSNumber)?.intValue }
    func string(_ key: String) -> String? { self[key] as? String }
}

/// Starts `directpipe send` and returns once its pipe is valid and live (a
/// reader started earlier would only look again a second later, by the protocol).
func startSender(_ pipe: String, _ arguments: [String]) throws -> TestProcess {
    let sender = try TestProcess(Programs.directpipe, ["send", "--pipe", pipe] + arguments)
    let name = try PipeName(pipe)
    let deadline = Date().addingTimeInterval(10)
    while sender.process.isRunning, Date() < deadline {
        if let reader = try? PipeReader(name: name), reader.status.state == .connected, reader.status.writerPID == sender.pid {
            break
        }
        usleep(5_000)
    }
    return sender
}
