import DirectPipeAudio
import DirectPipeControl
import DirectPipeDSP
import DirectPipePlugins
import Foundation
import Hummingbird
import HummingbirdWebSocket
import Logging
import NIOCore

/// DirectPipe's HTTP and WebSocket API (Hummingbird 2), a thin face on the ``ControlCenter``: reading
/// state, plugins, presets and meters with GET; every change is one action (POST /api/v1/actions), the
/// same ones `directpipe ctl`, the web panel and hotkeys use. `openapi.yaml` beside this file describes
/// it, and is served at /api/v1/openapi.yaml.
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
        /// The JACK server whose ports /api/v1/devices lists (nil: $JACK_DEFAULT_SERVER or "default").
        public var jackServer: String?

        public init(token: String) { self.token = token }
    }

    let center: ControlCenter
    let configuration: Configuration
    /// Serialises actions off the server's event loops (a chain edit waits for its fades).
    private let actions = DispatchQueue(label: "directpipe.actions")
    /// Telemetry encoded once per tick for every WebSocket client.
    private let telemetry: TelemetryHub

    public init(center: ControlCenter, configuration: Configuration) {
        self.center = center
        self.configuration = configuration
        telemetry = TelemetryHub(center: center, rate: configuration.telemetryRate)
    }

    /// Runs until the process ends; `onRunning` hears the port it listens on.
    public func run(onRunning: @escaping @Sendable (Int) -> Void) async throws {
        let boundPort = BoundPort()
        let router = Router(context: BasicWebSocketRequestContext.self)
        var hosts = APISecurity<BasicWebSocketRequestContext>.loopbackNames
        hosts.insert(APISecurity<BasicWebSocketRequestContext>.hostName(configuration.host))
        router.middlewares.add(APISecurity(token: configuration.token, allowedHosts: hosts, port: { boundPort.value }))
        let reads = [
            "/", "/api/v1/state", "/api/v1/telemetry", "/api/v1/presets", "/api/v1/plugins", "/api/v1/devices", "/api/v1/openapi.yaml", "/api/v1/ws",
        ]
        var methods = Dictionary(uniqueKeysWithValues: reads.map { ($0, [HTTPRequest.Method.get]) })
        methods["/api/v1/actions"] = [.get, .post]
        router.middlewares.add(MethodCheck(allowed: methods))
        addRoutes(router)
        let app = Application(
            router: router, server: .http1WebSocketUpgrade(webSocketRouter: router),
            configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "DirectPipe"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? 0
                boundPort.value = port
                onRunning(port)
            }, logger: Self.quietLogger)
        try await app.run()
    }

    /// Hummingbird's own log, kept to errors: the run's status line is what a person reads.
    private static var quietLogger: Logger {
        var logger = Logger(label: "directpipe.api")
        logger.logLevel = .error
        return logger
    }

    private func addRoutes(_ router: Router<BasicWebSocketRequestContext>) {
        let center = self.center, maxBody = configuration.maxBodyBytes
        router.get("/api/v1/state") { _, _ in APIResponse.json(center.state()) }
        router.get("/api/v1/telemetry") { _, _ in APIResponse.json(center.telemetry()) }
        router.get("/api/v1/presets") { _, _ in
            APIResponse.json(["presets": center.store.presetNames(), "slots": center.store.filledSlots()])
        }
        router.get("/api/v1/plugins") { _, _ in
            let builtins = BuiltinEffects.all.map { PluginRecord(id: $0.id, format: .builtin, status: .ok, info: $0) }
            return APIResponse.json(builtins + (PluginScanner.load() ?? []).filter { $0.status == .ok })
        }
        let jackServer = configuration.jackServer
        router.get("/api/v1/devices") { _, _ in
            // Asking PipeWire and JACK takes a moment: off the server's threads.
            let devices = await withCheckedContinuation { continuation in
                DispatchQueue.global().async { continuation.resume(returning: DeviceList.current(jackServer: jackServer)) }
            }
            return APIResponse.json(devices, encoder: APIResponse.snakeCaseEncoder)
        }
        router.get("/api/v1/actions") { _, _ in APIResponse.json(["actions": ControlAction.names]) }
        router.get("/api/v1/openapi.yaml") { _, _ in Self.resource("openapi.yaml", type: "application/yaml") }
        router.get("/api/v1/presets/{name}") { _, context in
            // An export: the preset file as stored, for the panel's download link.
            let name = context.parameters.get("name") ?? ""
            do throws(ActionError) {
                let data = try center.store.presetData(name)
                var headers: HTTPFields = [.contentType: "application/json"]
                headers[.contentDisposition] = "attachment; filename=\"\(name).json\""
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
            } catch {
                return APIResponse.error(error)
            }
        }
        // The same as save_preset and delete_preset, for clients that think in resources.
        router.put("/api/v1/presets/{name}") { _, context in
            await Self.respond(to: perform(.savePreset(context.parameters.get("name") ?? "")))
        }
        router.delete("/api/v1/presets/{name}") { _, context in
            await Self.respond(to: perform(.deletePreset(context.parameters.get("name") ?? "")))
        }
        // The web panel: plain files shipped beside this program, no build step.
        router.get("/") { _, _ in Self.resource("panel/index.html", type: "text/html; charset=utf-8") }
        router.get("/panel/{file}") { _, context in
            let file = context.parameters.get("file") ?? ""
            let types = ["js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "html": "text/html; charset=utf-8"]
            guard file.range(of: #"^[a-z]+\.(js|css|html)$"#, options: .regularExpression) != nil,
                  let type = types[(file as NSString).pathExtension]
            else { return APIResponse.error(.notFound, "no panel file '\(file)'") }
            return Self.resource("panel/\(file)", type: type)
        }
        router.post("/api/v1/actions") { request, _ in
            var request = request
            let body: ByteBuffer
            do { body = try await request.collectBody(upTo: maxBody) } catch {
                return APIResponse.error(.contentTooLarge, "the request is larger than \(maxBody) bytes")
            }
            let data = Data(buffer: body)
            let action: ControlAction
            do { action = try JSONDecoder().decode(ControlAction.self, from: data) } catch {
                return APIResponse.error(.badRequest, "not an action: \(JSONProblem.describe(error, in: data))")
            }
            return await Self.respond(to: perform(action))
        }
        router.ws("/api/v1/ws") { _, _ in .upgrade([:]) } onUpgrade: { inbound, outbound, _ in
            try await session(inbound: inbound, outbound: outbound)
        }
    }

    /// The state after an action, or why it was refused.
    static func respond(to result: Result<ControlState, ActionError>) -> Response {
        switch result {
        case .success(let state): APIResponse.json(state)
        case .failure(let error): APIResponse.error(error)
        }
    }

    /// A file shipped with the program (the OpenAPI document, the panel), never cached: a new version shows
    /// at the next load.
    static func resource(_ path: String, type: String) -> Response {
        guard let url = APIResources.folder?.appendingPathComponent(path), let data = try? Data(contentsOf: url) else {
            return APIResponse.error(.notFound, "\(path) is not installed beside this program")
        }
        var headers: HTTPFields = [.contentType: type, .cacheControl: "no-cache"]
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// Performs an action on the action queue.
    func perform(_ action: ControlAction) async -> Result<ControlState, ActionError> {
        await withCheckedContinuation { continuation in
            actions.async { [center] in
                continuation.resume(returning: Result { () throws(ActionError) in try center.perform(action) })
            }
        }
    }

    /// One WebSocket client: the whole state at once, then every state change, telemetry at up to
    /// ``Configuration/telemetryRate`` a second, and an ack or an error for every command
    /// (`{"id": …, "action": {…}}`).
    private func session(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let (messages, sender) = AsyncStream<String>.makeStream(bufferingPolicy: .bufferingNewest(256))
        @Sendable func send(_ object: [String: AnyEncodable]) {
            if let data = try? APIResponse.encoder.encode(object) { sender.yield(String(decoding: data, as: UTF8.self)) }
        }
        send(["type": AnyEncodable("state"), "state": AnyEncodable(center.state())])
        let observer = center.addObserver { state in send(["type": AnyEncodable("state"), "state": AnyEncodable(state)]) }
        defer { center.removeObserver(observer) }
        let subscription = telemetry.subscribe(sender)
        defer { telemetry.unsubscribe(subscription) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                for await message in messages { try await outbound.write(.text(message)) }
            }
            var iterator = inbound.messages(maxSize: configuration.maxBodyBytes).makeAsyncIterator()
            while let message = try await iterator.next() {
                guard case .text(let text) = message else { continue }
                let command = try? JSONDecoder().decode(Command.self, from: Data(text.utf8))
                guard let command else {
                    send(["type": AnyEncodable("error"), "error": AnyEncodable("not a command: expected {\"id\": …, \"action\": {\"action\": …}}")])
                    continue
                }
                switch await perform(command.action) {
                case .success(let state): send(["type": AnyEncodable("ack"), "id": AnyEncodable(command.id), "state": AnyEncodable(state)])
                case .failure(let error): send(["type": AnyEncodable("error"), "id": AnyEncodable(command.id), "error": AnyEncodable(error.message)])
                }
            }
            sender.finish()
            group.cancelAll()
        }
    }

    private struct Command: Decodable {
        var id: JSONID
        var action: ControlAction
    }
}

/// A command id as the client sent it: a number or a string.
enum JSONID: Codable, Sendable {
    case number(Double), text(String)
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let number = try? container.decode(Double.self) { self = .number(number) } else { self = .text(try container.decode(String.self)) }
    }
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .number(let number): try container.encode(number)
        case .text(let text): try container.encode(text)
        }
    }
}

/// Any encodable value, to build a message object of mixed values.
struct AnyEncodable: Encodable, @unchecked Sendable {
    private let encodeValue: (any Encoder) throws -> Void
    init(_ value: some Encodable) { encodeValue = value.encode }
    func encode(to encoder: any Encoder) throws { try encodeValue(encoder) }
}

/// The port the server got, once it runs (for the Origin check).
final class BoundPort: @unchecked Sendable {
    private let lock = NSLock()
    private var port = 0
    var value: Int {
        get { lock.withLock { port } }
        set { lock.withLock { port = newValue } }
    }
}

/// Telemetry for every WebSocket client: read and encoded once per tick (not once per client), then handed
/// to each client's outgoing queue. Runs only while someone listens.
final class TelemetryHub: @unchecked Sendable {
    private let center: ControlCenter
    private let interval: UInt64
    private let lock = NSLock()
    private var subscribers: [UUID: AsyncStream<String>.Continuation] = [:]
    private var ticker: Task<Void, Never>?

    init(center: ControlCenter, rate: Double) {
        self.center = center
        interval = UInt64(1_000_000_000 / max(rate, 1))
    }

    func subscribe(_ continuation: AsyncStream<String>.Continuation) -> UUID {
        let id = UUID()
        lock.withLock {
            subscribers[id] = continuation
            if ticker == nil { ticker = Task.detached { [weak self] in await self?.tick() } }
        }
        return id
    }

    func unsubscribe(_ id: UUID) {
        lock.withLock {
            subscribers.removeValue(forKey: id)
            if subscribers.isEmpty {
                ticker?.cancel()
                ticker = nil
            }
        }
    }

    private func tick() async {
        while !Task.isCancelled {
            let message = ["type": AnyEncodable("telemetry"), "telemetry": AnyEncodable(center.telemetry())]
            if let data = try? APIResponse.encoder.encode(message) {
                let text = String(decoding: data, as: UTF8.self)
                for subscriber in lock.withLock({ Array(subscribers.values) }) { subscriber.yield(text) }
            }
            try? await Task.sleep(nanoseconds: interval)
        }
    }
}
