import DirectPipeControl
import DirectPipeDSP
import Foundation
import Hummingbird
import NIOPosix

/// The control center over HTTP: the state, the meters, and every change as one action (POST /api/v1/actions).
struct ControlController: Sendable {
    let center: ControlCenter
    /// The largest request body accepted (larger: 413).
    let maxBodyBytes: Int

    var routes: [Route] {
        let center = self.center
        return [
            .get("/api/v1/state") { _, _ in APIResponse.json(center.state()) },
            .get("/api/v1/telemetry") { _, _ in APIResponse.json(center.telemetry()) },
            .get("/api/v1/actions") { _, _ in APIResponse.json(["actions": ControlAction.names]) },
            .post("/api/v1/actions") { request, _ in
                APIResponse.json(try await perform(try await action(in: request)))
            },
        ]
    }

    /// The action a request's body holds, or why it is not one.
    private func action(in request: Request) async throws -> ControlAction {
        var request = request
        let body: ByteBuffer
        do { body = try await request.collectBody(upTo: maxBodyBytes) } catch {
            throw APIError(.contentTooLarge, "the request is larger than \(maxBodyBytes) bytes")
        }
        let data = Data(buffer: body)
        do { return try JSONDecoder().decode(ControlAction.self, from: data) } catch {
            throw APIError(.badRequest, "not an action: \(JSONProblem.describe(error, in: data))")
        }
    }

    /// Performs `action` on a thread of NIO's blocking pool, off the server's event loops and Swift's cooperative
    /// threads (a chain edit waits for its fades, a restart for the new backend); the control center serialises.
    func perform(_ action: ControlAction) async throws -> ControlState {
        try await NIOThreadPool.singleton.runIfActive { [center] in try center.perform(action) }
    }
}
