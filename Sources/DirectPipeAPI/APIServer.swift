import DirectPipeControl
import Hummingbird
import HummingbirdWebSocket
import Logging
import Synchronization

/// DirectPipe's HTTP and WebSocket API (Hummingbird 2), a thin face on the ``ControlCenter``: reading
/// state, plugins, presets and meters with GET; every change is one action (POST /api/v1/actions), the
/// same ones `directpipe ctl`, the web panel and hotkeys use. `openapi.yaml` beside this file describes
/// it, and is served at /api/v1/openapi.yaml. The routes are the controllers' (one table: ``Route``).
public struct APIServer: Sendable {
    public struct Configuration: Sendable {
        /// Where to listen: 127.0.0.1 unless `--listen` says otherwise.
        public var host = "127.0.0.1"
        /// 0 picks a free port (told by `onRunning`).
        public var port = Self.defaultPort
        public static let defaultPort = 7480
        public var token: String
        /// The largest request body accepted (larger: 413).
        public var maxBodyBytes = 64 * 1024
        /// Telemetry messages per second on each WebSocket.
        public var telemetryRate = 30.0

        public init(token: String) { self.token = token }
    }

    let center: ControlCenter
    let configuration: Configuration

    public init(center: ControlCenter, configuration: Configuration) {
        self.center = center
        self.configuration = configuration
    }

    /// Serves until the task is cancelled or the service group shuts down; `onRunning` hears the port it
    /// listens on.
    public func run(onRunning: @escaping @Sendable (Int) -> Void) async throws {
        let boundPort = BoundPort()
        let telemetry = TelemetryHub(center: center, rate: configuration.telemetryRate)
        let router = Router(context: APIContext.self)
        var hosts = APISecurity<APIContext>.loopbackNames
        hosts.insert(APISecurity<APIContext>.hostName(configuration.host))
        router.middlewares.add(APISecurity(token: configuration.token, allowedHosts: hosts, port: { boundPort.value }))
        let control = ControlController(center: center, maxBodyBytes: configuration.maxBodyBytes)
        Route.register(
            control.routes + PresetController(control: control).routes + CatalogController(center: center).routes
                + PanelController().routes
                + WebSocketSession(control: control, telemetry: telemetry, maxMessageBytes: configuration.maxBodyBytes).routes,
            on: router)
        let app = Application(
            router: router, server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "DirectPipe"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                boundPort.value = port
                onRunning(port)
            }, logger: Self.quietLogger)
        try await withThrowingDiscardingTaskGroup { group in
            group.addTask { await telemetry.run() }
            try await app.run()
            group.cancelAll()
        }
    }

    /// Hummingbird's own log, kept to errors: the run's status line is what a person reads.
    private static var quietLogger: Logger {
        var logger = Logger(label: "directpipe.api")
        logger.logLevel = .error
        return logger
    }
}

/// The port the server got, once it runs (for the Origin check).
final class BoundPort: Sendable {
    private let port = Atomic<Int>(0)
    var value: Int {
        get { port.load(ordering: .acquiring) }
        set { port.store(newValue, ordering: .releasing) }
    }
}
