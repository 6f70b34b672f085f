import DirectPipeControl
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

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
    func get(_ path: String) throws -> Data { try send("GET", path, body: nil) }

    /// Performs `action`: the new state's JSON.
    func perform(_ action: ControlAction) throws -> Data {
        try send("POST", "/api/v1/actions", body: try JSONEncoder().encode(action))
    }

    private func send(_ method: String, _ path: String, body: Data?) throws -> Data {
        guard let address = URL(string: url + path) else { throw ControlClientError("bad API address \(url)") }
        var request = URLRequest(url: address, timeoutInterval: 10)
        request.httpMethod = method
        request.httpBody = body
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if body != nil { request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
        let done = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var result: Result<(Data, Int), any Error> = .failure(ControlClientError("no answer")) }
        let box = Box()
        URLSession.shared.dataTask(with: request) { data, response, error in
            if let error { box.result = .failure(error) } else {
                box.result = .success((data ?? Data(), (response as? HTTPURLResponse)?.statusCode ?? 0))
            }
            done.signal()
        }.resume()
        done.wait()
        let (data, status) = try box.result.get()
        guard (200..<300).contains(status) else {
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
