import Foundation
import Hummingbird

/// The web panel (plain files shipped beside this program, no build step) and the OpenAPI document.
struct PanelController: Sendable {
    var routes: [Route] {
        [
            .get("/") { _, _ in try Self.resource("panel/index.html", type: "text/html; charset=utf-8") },
            .get("/panel/{file}") { _, context in
                let file = context.parameters.get("file") ?? ""
                let types = ["js": "text/javascript; charset=utf-8", "css": "text/css; charset=utf-8", "html": "text/html; charset=utf-8"]
                guard file.range(of: #"^[a-z]+\.(js|css|html)$"#, options: .regularExpression) != nil,
                    let type = types[(file as NSString).pathExtension]
                else { throw APIError(.notFound, "no panel file '\(file)'") }
                return try Self.resource("panel/\(file)", type: type)
            },
            .get("/api/v1/openapi.yaml") { _, _ in try Self.resource("openapi.yaml", type: "application/yaml") },
        ]
    }

    /// A file shipped with the program, never cached: a new version shows at the next load.
    static func resource(_ path: String, type: String) throws -> Response {
        guard let url = APIResources.folder?.appendingPathComponent(path), let data = try? Data(contentsOf: url) else {
            throw APIError(.notFound, "\(path) is not installed beside this program")
        }
        var headers: HTTPFields = [.contentType: type, .cacheControl: "no-cache"]
        headers[.init("X-Content-Type-Options")!] = "nosniff"
        return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }
}
