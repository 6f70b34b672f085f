import DirectPipeControl
import Hummingbird

/// A request the API refuses before it reaches the control center (too large, not an action), thrown by a
/// handler and answered as `{"error": "…"}` with its status.
struct APIError: HTTPResponseError {
    let status: HTTPResponse.Status
    let message: String

    init(_ status: HTTPResponse.Status, _ message: String) {
        self.status = status
        self.message = message
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        APIResponse.error(status, message)
    }
}

/// A refused action, thrown by a handler: its kind says whose fault it is (400, 409 or 404).
extension ActionError: HTTPResponseError {
    public var status: HTTPResponse.Status {
        switch kind {
        case .invalid: .badRequest
        case .conflict: .conflict
        case .notFound: .notFound
        }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        APIResponse.error(status, message)
    }
}
