import DirectPipeHost
import Logging

/// The host's messages as the user reads them: one line on standard error each, after the command's name,
/// "note: " or "warning: " in front where the level says so (the lines scripts and tests have always seen).
enum ConsoleLog {
    /// A logger whose lines start with `command` ("directpipe run").
    static func logger(_ command: String) -> Logger {
        Logger(label: command) { _ in
            LineLogHandler { level, message in
                let kind: String
                switch level {
                case .trace, .debug, .info: kind = ""
                case .notice: kind = "note: "
                case .warning: kind = "warning: "
                case .error, .critical: kind = "error: "
                }
                printError("\(command): \(kind)\(message)")
            }
        }
    }
}
