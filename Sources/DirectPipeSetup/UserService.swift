import DirectPipeControl
import Foundation

/// The systemd user unit that starts DirectPipe (with its API) with the desktop session and brings it back when
/// it fails: `directpipe service install` writes it, the Debian package ships it.
public enum UserService {
    /// The unit's text: `directpipe run --api --quiet` and `options`, restarted when it fails.
    public static func unit(executable: String, options: [String]) -> String {
        let arguments = (["run", "--api", "--quiet"] + options).map { $0.contains(" ") ? "\"\($0)\"" : $0 }.joined(separator: " ")
        return """
            [Unit]
            Description=DirectPipe: low-latency microphone processor
            After=pipewire.service wireplumber.service
            Wants=pipewire.service

            [Service]
            ExecStart=\(executable) \(arguments)
            Restart=on-failure
            RestartSec=2

            [Install]
            WantedBy=default.target

            """
    }

    /// Where the user's unit goes: `$XDG_CONFIG_HOME/systemd/user/directpipe.service`.
    public static func unitPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        let base = environment["XDG_CONFIG_HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.config"
        return "\(base)/systemd/user/directpipe.service"
    }

    /// Writes the unit (atomically); its path.
    public static func install(executable: String, options: [String], environment: [String: String] = ProcessInfo.processInfo.environment) throws
        -> String
    {
        let path = unitPath(environment: environment)
        try AtomicFile.write(Data(unit(executable: executable, options: options).utf8), to: path)
        return path
    }

    /// Removes the unit; false if there was none.
    public static func uninstall(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> Bool {
        let path = unitPath(environment: environment)
        guard FileManager.default.fileExists(atPath: path) else { return false }
        try FileManager.default.removeItem(atPath: path)
        return true
    }
}
