import Hummingbird
import HummingbirdWebSocket

/// The request context of every route: Hummingbird's, with WebSocket upgrades.
typealias APIContext = BasicWebSocketRequestContext

/// One route the API serves: a method on a path (a `{name}` component matches any one component) and what
/// answers it. The controllers list their routes; the server registers each once and answers 405 from the same
/// list, so a route can't be served and missing from the method check, or the reverse.
struct Route: Sendable {
    enum Handler: Sendable {
        case http(@Sendable (Request, APIContext) async throws -> Response)
        case webSocket(WebSocketDataHandler<WebSocketRouterContext<APIContext>>)
    }

    let method: HTTPRequest.Method
    let path: String
    let handler: Handler

    static func get(_ path: String, _ handler: @escaping @Sendable (Request, APIContext) async throws -> Response) -> Route {
        Route(method: .get, path: path, handler: .http(handler))
    }

    static func post(_ path: String, _ handler: @escaping @Sendable (Request, APIContext) async throws -> Response) -> Route {
        Route(method: .post, path: path, handler: .http(handler))
    }

    static func put(_ path: String, _ handler: @escaping @Sendable (Request, APIContext) async throws -> Response) -> Route {
        Route(method: .put, path: path, handler: .http(handler))
    }

    static func delete(_ path: String, _ handler: @escaping @Sendable (Request, APIContext) async throws -> Response) -> Route {
        Route(method: .delete, path: path, handler: .http(handler))
    }

    static func webSocket(_ path: String, _ handler: @escaping WebSocketDataHandler<WebSocketRouterContext<APIContext>>) -> Route {
        Route(method: .get, path: path, handler: .webSocket(handler))
    }

    /// Adds `routes` to `router`, with the 405 check made from them.
    static func register(_ routes: [Route], on router: Router<APIContext>) {
        router.middlewares.add(MethodCheck(routes: routes))
        for route in routes {
            switch route.handler {
            case .http(let handler): router.on(RouterPath(route.path), method: route.method, use: handler)
            case .webSocket(let handler): router.ws(RouterPath(route.path), onUpgrade: handler)
            }
        }
    }

    /// Whether `path` (a request's) is this route's path.
    func matches(_ requestPath: String) -> Bool {
        let pattern = path.split(separator: "/", omittingEmptySubsequences: false)
        let components = requestPath.split(separator: "/", omittingEmptySubsequences: false)
        return pattern.count == components.count
            && zip(pattern, components).allSatisfy { $0.hasPrefix("{") && $0.hasSuffix("}") ? !$1.isEmpty : $0 == $1 }
    }
}

/// 405 (with the methods there are) for a method a known path does not serve, rather than a bare 404.
struct MethodCheck<Context: RequestContext>: RouterMiddleware {
    let routes: [Route]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let methods = routes.filter { $0.matches(request.uri.path) }.map(\.method)
        if !methods.isEmpty, !methods.contains(request.method), request.method != .head {
            var response = APIResponse.error(
                .methodNotAllowed, "\(request.method) is not served here (\(methods.map(\.rawValue).joined(separator: ", ")))")
            response.headers[.allow] = methods.map(\.rawValue).joined(separator: ", ")
            return response
        }
        return try await next(request, context)
    }
}
