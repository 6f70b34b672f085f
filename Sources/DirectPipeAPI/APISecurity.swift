import Foundation
import Hummingbird

/// The API's front door, before any handler runs: the Host header must name this machine's loopback (or
/// the address given with `--listen`), an Origin, when there is one, must be this server's own (DNS
/// rebinding and cross-site requests get 403 and change nothing), and every change and every WebSocket
/// must carry the token (`Authorization: Bearer TOKEN`, or `?token=` for a WebSocket): 401 otherwise.
struct APISecurity<Context: RequestContext>: RouterMiddleware {
    let token: String
    let allowedHosts: Set<String>
    let port: @Sendable () -> Int

    static var loopbackNames: Set<String> { ["localhost", "127.0.0.1", "::1", "[::1]"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let host = Self.hostName(request.head.authority ?? "")
        guard allowedHosts.contains(host) else {
            return APIResponse.error(.forbidden, "Host '\(request.head.authority ?? "")' is not this DirectPipe (DNS rebinding is refused)")
        }
        if let origin = request.headers[.origin], origin != "null" {
            guard let url = URL(string: origin), let originHost = url.host, allowedHosts.contains(Self.hostName(originHost)),
                url.port.map({ $0 == port() }) ?? false
            else { return APIResponse.error(.forbidden, "Origin '\(origin)' is not this DirectPipe's own page") }
        }
        let changes = request.method != .get && request.method != .head
        let socket = request.uri.path.hasSuffix("/ws")
        if changes || socket {
            let presented =
                request.headers[.authorization].flatMap { $0.hasPrefix("Bearer ") ? String($0.dropFirst(7)) : nil }
                ?? request.uri.queryParameters.get("token")
            guard let presented, Self.equal(presented, token) else {
                return APIResponse.error(
                    .unauthorized, "a token is needed for changes (Authorization: Bearer …; it is in the config folder's api-token)")
            }
        }
        return try await next(request, context)
    }

    /// "127.0.0.1:7480" → "127.0.0.1", "[::1]:7480" → "::1", "Localhost" → "localhost".
    static func hostName(_ authority: String) -> String {
        var name = authority.lowercased()
        if name.hasPrefix("[") {
            if let end = name.firstIndex(of: "]") { name = String(name[name.index(after: name.startIndex)..<end]) }
        } else if let colon = name.lastIndex(of: ":"), name.filter({ $0 == ":" }).count == 1 {
            name = String(name[..<colon])
        }
        return name
    }

    /// Constant-time comparison: the time taken says nothing about how much of a guess was right.
    static func equal(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}
