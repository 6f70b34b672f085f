import Logging

/// A log handler that hands each message, as one line, to a closure: the command line prints it, a test keeps it.
/// The host's messages are for people, one line each; metadata is kept but not shown.
public struct LineLogHandler: LogHandler {
    public let write: @Sendable (Logger.Level, String) -> Void
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]

    public init(level: Logger.Level = .info, write: @escaping @Sendable (Logger.Level, String) -> Void) {
        logLevel = level
        self.write = write
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) { write(event.level, "\(event.message)") }
}
