import DirectPipeAPI
import DirectPipeControl
import Foundation
import NIOHTTP1

/// `directpipe ctl`'s side of the API: finds the running host (api.json in the config folder), reads the
/// token, and sends one request. Synchronous: a command line does one thing and exits.
struct ControlClient {
    let url: String
    let token: String

    /// The host named in the config folder, or why there is none.
    static func running(folder: String = PresetStore.defaultFolder) throws -> ControlClient {
        guard let access = APIAccess.find(folder: folder) else {
            throw ControlClientError("no DirectPipe API found (start one with `directpipe run --api`; looked in \(APIAccess.endpointPath(folder: folder)))")
        }
        guard kill(access.pid, 0) == 0 || errno == EPERM else {
            throw ControlClientError("the DirectPipe that served \(access.url) (pid \(access.pid)) is not running")
        }
        let token = (try? String(contentsOfFile: APIAccess.tokenPath(folder: folder), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        return ControlClient(url: access.url, token: token)
    }

    /// GET `path`: the JSON body.
    func get(_ path: String) throws -> Data { try send(.GET, path, body: nil) }

    /// Performs `action`: the new state's JSON.
    func perform(_ action: ControlAction) throws -> Data {
        try send(.POST, "/api/v1/actions", body: try JSONEncoder().encode(action))
    }

    private func send(_ method: HTTPMethod, _ path: String, body: Data?) throws -> Data {
        guard let address = URL(string: url), let host = address.host, let port = address.port else {
            throw ControlClientError("bad API address \(url)")
        }
        var headers = [("Authorization", "Bearer \(token)")]
        if body != nil { headers.append(("Content-Type", "application/json")) }
        let response: LoopbackHTTPClient.Response
        do {
            response = try LoopbackHTTPClient(host: host, port: port).send(method, path, headers: headers, body: body.map { [UInt8]($0) })
        } catch {
            throw ControlClientError("the DirectPipe API at \(url): \(error)")
        }
        let data = Data(response.body)
        guard (200..<300).contains(response.status) else {
            let message = (try? JSONDecoder().decode([String: String].self, from: data))?["error"] ?? String(decoding: data, as: UTF8.self)
            throw ControlClientError(message)
        }
        return data
    }
}

struct ControlClientError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
