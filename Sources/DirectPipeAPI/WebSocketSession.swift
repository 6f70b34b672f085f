import DirectPipeControl
import Foundation
import HummingbirdWebSocket

/// One WebSocket client: the whole state at once, then every state change, telemetry at the hub's rate, and an
/// ack or an error for every command (`{"id": …, "action": {…}}`).
struct WebSocketSession: Sendable {
    let control: ControlController
    let telemetry: TelemetryHub
    let maxMessageBytes: Int

    var routes: [Route] {
        [.webSocket("/api/v1/ws") { inbound, outbound, _ in try await run(inbound: inbound, outbound: outbound) }]
    }

    private func run(inbound: WebSocketInboundStream, outbound: WebSocketOutboundWriter) async throws {
        let center = control.center
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
            var iterator = inbound.messages(maxSize: maxMessageBytes).makeAsyncIterator()
            while let message = try await iterator.next() {
                guard case .text(let text) = message else { continue }
                guard let command = try? JSONDecoder().decode(Command.self, from: Data(text.utf8)) else {
                    send(["type": AnyEncodable("error"), "error": AnyEncodable("not a command: expected {\"id\": …, \"action\": {\"action\": …}}")])
                    continue
                }
                do {
                    let state = try await control.perform(command.action)
                    send(["type": AnyEncodable("ack"), "id": AnyEncodable(command.id), "state": AnyEncodable(state)])
                } catch {
                    let message = (error as? ActionError)?.message ?? "\(error)"
                    send(["type": AnyEncodable("error"), "id": AnyEncodable(command.id), "error": AnyEncodable(message)])
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
    case number(Double)
    case text(String)
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
