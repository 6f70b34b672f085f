import DirectPipeControl
import Foundation
import Hummingbird

/// JSON responses: values encoded with sorted keys, errors as `{"error": "…"}` with a status that says
/// whose fault it is.
enum APIResponse {
    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// For types whose Swift names are the JSON names in snake_case (the device list, as `directpipe devices --json`).
    static let snakeCaseEncoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return encoder
    }()

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok, encoder: JSONEncoder = encoder) -> Response {
        let data = (try? encoder.encode(value)) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func error(_ status: HTTPResponse.Status, _ message: String) -> Response {
        json(["error": message], status: status)
    }

    static func error(_ error: ActionError) -> Response {
        switch error.kind {
        case .invalid: self.error(.badRequest, error.message)
        case .conflict: self.error(.conflict, error.message)
        case .notFound: self.error(.notFound, error.message)
        }
    }
}
