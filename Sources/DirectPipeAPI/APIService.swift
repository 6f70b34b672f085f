import DirectPipeControl
import Logging
import ServiceLifecycle
import Synchronization

/// The API as a service of the host's service group: serves until the group shuts down. When the port asked
/// for is taken and `fallback` allows it, it takes a free one instead (`ctl` finds it through `api.json`).
/// `onRunning` hears the address's port once the server listens.
public struct APIService: Service {
    public let center: ControlCenter
    public let configuration: APIServer.Configuration
    public let fallback: Bool
    public let log: Logger
    public let onRunning: @Sendable (Int) -> Void

    public init(
        center: ControlCenter, configuration: APIServer.Configuration, fallback: Bool, log: Logger,
        onRunning: @escaping @Sendable (Int) -> Void
    ) {
        self.center = center
        self.configuration = configuration
        self.fallback = fallback
        self.log = log
        self.onRunning = onRunning
    }

    /// Serves, with the center saving the session after changes and following the audio side and the plugin editors
    /// beside it, until the group shuts down.
    public func run() async throws {
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { [center] in await center.saveSessionAfterChanges() }
            group.addTask { [center] in await center.followAudioChanges() }
            group.addTask { [center] in await center.followEditors() }
            try await serve()
            group.cancelAll()
        }
    }

    private func serve() async throws {
        let listening = Atomic<Bool>(false)
        let onRunning = self.onRunning
        let heard: @Sendable (Int) -> Void = { port in
            listening.store(true, ordering: .relaxed)
            onRunning(port)
        }
        do {
            try await APIServer(center: center, configuration: configuration).run(onRunning: heard)
        } catch  where fallback && !listening.load(ordering: .relaxed) {
            log.notice("port \(configuration.port) is taken (\(error)): the API takes a free one")
            var anyPort = configuration
            anyPort.port = 0
            do {
                try await APIServer(center: center, configuration: anyPort).run(onRunning: heard)
            } catch  where !listening.load(ordering: .relaxed) {
                throw APIStartFailure(host: anyPort.host, port: configuration.port, error: error)
            }
        } catch  where !listening.load(ordering: .relaxed) {
            throw APIStartFailure(host: configuration.host, port: configuration.port, error: error)
        }
    }
}

/// The API could not listen: where, and why.
public struct APIStartFailure: Error, CustomStringConvertible {
    public let host: String
    public let port: Int
    public let error: any Error
    public var description: String { "the API could not start on \(host):\(port): \(error)" }
}
