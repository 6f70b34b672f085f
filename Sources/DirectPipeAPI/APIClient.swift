import DirectPipeControl
import Foundation
import NIOHTTP1

/// A client of the running host's API, as `directpipe ctl` and `directpipe panel` use it: finds the host
/// (api.json in the config folder), reads the token, and sends requests; an error says what went wrong in
/// one line (no host, a host gone, the API's own message).
public struct APIClient: Sendable {
    /// The API's base address, e.g. `http://127.0.0.1:7480`.
    public let url: String
    public let token: String

    public init(url: String, token: String) {
        self.url = url
        self.token = token
    }

    /// The host named in the config folder, or why there is none.
    public static func running(folder: String = PresetStore.defaultFolder) throws(APIClientError) -> APIClient {
        guard let access = APIAccess.find(folder: folder) else {
            throw APIClientError(
                "no DirectPipe API found (start one with `directpipe run --api`; looked in \(APIAccess.endpointPath(folder: folder)))")
        }
        guard kill(access.pid, 0) == 0 || errno == EPERM else {
            throw APIClientError("the DirectPipe that served \(access.url) (pid \(access.pid)) is not running")
        }
        let token =
            (try? String(contentsOfFile: APIAccess.tokenPath(folder: folder), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return APIClient(url: access.url, token: token)
    }

    /// The web panel's address, token included.
    public var panelURL: String { APIAccess.panelURL(url, token: token) }

    /// GET `path`: the JSON body.
    public func get(_ path: String) async throws(APIClientError) -> Data { try await send(.GET, path, body: nil) }

    /// The host's whole state.
    public func state() async throws(APIClientError) -> ControlState { try decode(ControlState.self, await get("/api/v1/state")) }

    /// The meters now.
    public func telemetry() async throws(APIClientError) -> Telemetry { try decode(Telemetry.self, await get("/api/v1/telemetry")) }

    /// Performs `action`: the state after it.
    public func perform(_ action: ControlAction) async throws(APIClientError) -> ControlState {
        let body: Data
        do { body = try JSONEncoder().encode(action) } catch { throw APIClientError("cannot encode \(action): \(error)") }
        return try decode(ControlState.self, await send(.POST, "/api/v1/actions", body: body))
    }

    private func decode<Value: Decodable>(_ type: Value.Type, _ data: Data) throws(APIClientError) -> Value {
        do { return try JSONDecoder().decode(type, from: data) } catch {
            throw APIClientError("the DirectPipe API at \(url) answered what this version cannot read: \(error)")
        }
    }

    private func send(_ method: HTTPMethod, _ path: String, body: Data?) async throws(APIClientError) -> Data {
        guard let address = URL(string: url), let host = address.host, let port = address.port else {
            throw APIClientError("bad API address \(url)")
        }
        var headers = [("Authorization", "Bearer \(token)")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let response: LoopbackHTTPClient.Response
        do {
            response = try await LoopbackHTTPClient(host: host, port: port).send(method, path, headers: headers, body: body.map { [UInt8]($0) })
        } catch {
            throw APIClientError("the DirectPipe API at \(url): \(error)")
        }
        let data = Data(response.body)
        guard (200..<300).contains(response.status) else {
            let message = (try? JSONDecoder().decode([String: String].self, from: data))?["error"] ?? String(decoding: data, as: UTF8.self)
            throw APIClientError(message)
        }
        return data
    }
}

/// Why a request to the running host did not succeed, in one line.
public struct APIClientError: Error, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
