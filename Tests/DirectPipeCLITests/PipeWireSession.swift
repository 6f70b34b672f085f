import Foundation
import Testing

/// A private PipeWire graph for one test: its own runtime folder, session bus,
/// daemon and (unless asked not to) WirePlumber, with HOME and the XDG folders
/// inside it, so a test never touches a user's session and WirePlumber starts
/// with no remembered state. Everything stops, and the folder goes, at deinit.
final class PipeWireSession: @unchecked Sendable {
    let directory: URL
    /// The environment a client of this graph needs (the test process's own, pointed here).
    let environment: [String: String]
    let withSessionManager: Bool
    let withPulse: Bool
    private var bus: TestProcess?
    private var daemon: TestProcess?
    private var sessionManager: TestProcess?
    private var pulse: TestProcess?

    /// `pulse`: also pipewire-pulse, so PulseAudio clients (parecord, pactl) reach this graph.
    init(_ label: String, sessionManager: Bool = true, pulse: Bool = false) throws {
        directory = URL(fileURLWithPath: "/tmp/dp-pw-\(getpid())-\(label)")
        try? FileManager.default.removeItem(at: directory)
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("home"), withIntermediateDirectories: true)
        chmod(directory.path, 0o700)
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_RUNTIME_DIR"] = directory.path
        environment["PIPEWIRE_RUNTIME_DIR"] = directory.path
        environment["DBUS_SESSION_BUS_ADDRESS"] = "unix:path=\(directory.path)/bus"
        environment["HOME"] = directory.appendingPathComponent("home").path
        environment["XDG_CONFIG_HOME"] = directory.appendingPathComponent("home/.config").path
        environment["XDG_STATE_HOME"] = directory.appendingPathComponent("home/.local/state").path
        environment.removeValue(forKey: "PIPEWIRE_REMOTE")
        self.environment = environment
        withSessionManager = sessionManager
        withPulse = pulse
        bus = try TestProcess(
            URL(fileURLWithPath: "/usr/bin/dbus-daemon"),
            ["--session", "--address=unix:path=\(directory.path)/bus", "--nofork", "--nopidfile"], environment: environment)
        try startDaemon()
    }

    deinit {
        stopDaemon()
        bus?.signal(SIGTERM)
        bus?.finish(timeout: 5)
        try? FileManager.default.removeItem(at: directory)
    }

    /// Starts pipewire (and WirePlumber) and waits until the graph answers (and WirePlumber is in it).
    func startDaemon() throws {
        daemon = try TestProcess(URL(fileURLWithPath: "/usr/bin/pipewire"), [], environment: environment)
        try wait("the PipeWire daemon to answer") { try tool("pw-cli", ["info", "0"]).contains("PipeWire") }
        if withSessionManager { try startSessionManager() }
        if withPulse {
            // pipewire-pulse stats $XDG_RUNTIME_DIR/pulse and then mkdirs it, failing on EEXIST; the `pactl`
            // polled below creates the same folder meanwhile (seen in CI: "mkdir() …/pulse failed: File exists").
            // Made here first, pipewire-pulse finds it and both orders work.
            let pulseDirectory = directory.appendingPathComponent("pulse")
            try FileManager.default.createDirectory(at: pulseDirectory, withIntermediateDirectories: true)
            chmod(pulseDirectory.path, 0o700)
            pulse = try TestProcess(URL(fileURLWithPath: "/usr/bin/pipewire-pulse"), [], environment: environment)
            do {
                try wait("pipewire-pulse to answer", timeout: 20) { try tool("pactl", ["info"]).contains("PipeWire") }
            } catch {
                // Say what it said: this has timed out now and then on a loaded machine, cause unknown yet.
                throw PipeWireSessionError(description: "\(error); pipewire-pulse: \(pulse?.errorOutput.suffix(2000) ?? "")")
            }
        }
    }

    func startSessionManager() throws {
        sessionManager = try TestProcess(URL(fileURLWithPath: "/usr/bin/wireplumber"), [], environment: environment)
        try wait("WirePlumber to join the graph") { try tool("pw-cli", ["ls", "Client"]).contains("WirePlumber") }
    }

    /// Stops WirePlumber only (SIGTERM), as a user restarting it would.
    func stopSessionManager() {
        sessionManager?.signal(SIGTERM)
        sessionManager?.finish(timeout: 5)
        sessionManager = nil
    }

    /// Stops WirePlumber and the daemon (SIGTERM, then waits).
    func stopDaemon() {
        for process in [pulse, sessionManager, daemon] {
            process?.signal(SIGTERM)
            process?.finish(timeout: 5)
        }
        pulse = nil
        sessionManager = nil
        daemon = nil
    }

    /// Runs a PipeWire tool (pw-cli, pw-dump, pw-link, wpctl, pactl) against this graph and returns its output.
    func tool(_ name: String, _ arguments: [String]) throws -> String {
        let process = try TestProcess(URL(fileURLWithPath: "/usr/bin/\(name)"), arguments, environment: environment)
        process.finish(timeout: 10)
        return process.output
    }

    /// The graph's objects, from pw-dump.
    func objects() throws -> [[String: Any]] {
        let text = try tool("pw-dump", [])
        return (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]]) ?? []
    }

    /// The properties of the node named `name`, or nil when it is not in the graph.
    func nodeProperties(_ name: String) throws -> [String: Any]? {
        try objects().lazy.compactMap { object -> [String: Any]? in
            guard object["type"] as? String == "PipeWire:Interface:Node",
                let info = object["info"] as? [String: Any], let props = info["props"] as? [String: Any],
                props["node.name"] as? String == name
            else { return nil }
            return props
        }.first
    }

    /// The links in the graph, as "node:port -> node:port" lines from pw-link.
    func links() throws -> [String] {
        let text = try tool("pw-link", ["--links"])
        var lines: [String] = []
        var output: String?
        for line in text.split(separator: "\n") {
            if line.hasPrefix("  |-> ") {
                output.map { lines.append("\($0) -> \(line.dropFirst(6))") }
            } else if !line.hasPrefix(" ") {
                output = String(line)
            }
        }
        return lines
    }

    /// Starts a program of this build (or a test peer) as a client of this graph.
    func start(_ program: URL, _ arguments: [String]) throws -> TestProcess {
        try TestProcess(program, arguments, environment: environment)
    }

    /// Waits (up to ten seconds) until the graph's links stay the same for a second: a session manager done linking.
    func waitForSettledLinks() throws {
        var last = try links(), unchangedSince = Date()
        try wait("the links to settle") {
            usleep(200_000)
            let now = try links()
            if now != last { (last, unchangedSince) = (now, Date()) }
            return Date().timeIntervalSince(unchangedSince) >= 1
        }
    }

    /// Polls `condition` for up to ten seconds.
    func wait(_ what: String, timeout: TimeInterval = 10, _ condition: () throws -> Bool) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if try condition() { return }
            usleep(50_000)
        }
        throw PipeWireSessionError(description: "timed out waiting for \(what)")
    }
}

struct PipeWireSessionError: Error, CustomStringConvertible {
    let description: String
}
