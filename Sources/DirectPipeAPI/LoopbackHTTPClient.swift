import NIOCore
import NIOHTTP1
import NIOPosix

/// One HTTP/1.1 request to a server on this machine (the running DirectPipe's API), answered in full.
///
/// `directpipe ctl` sends one request and exits. It does so over SwiftNIO, which the API server already
/// links, rather than URLSession: URLSession lives in FoundationNetworking, which would pull libcurl into
/// the static `directpipe` binary (and its development files into every build machine) for that alone.
public struct LoopbackHTTPClient: Sendable {
    /// What the server answered.
    public struct Response: Sendable {
        public var status: Int
        /// Header values by lowercased name (repeated headers joined with ", ").
        public var headers: [String: String] = [:]
        public var body: [UInt8]
    }

    /// Why no answer came.
    public struct Failure: Error, CustomStringConvertible {
        public var description: String
    }

    public let host: String
    public let port: Int
    /// How long to wait for the connection and, again, for the whole answer.
    public var timeout: TimeAmount

    public init(host: String, port: Int, timeout: TimeAmount = .seconds(10)) {
        self.host = host
        self.port = port
        self.timeout = timeout
    }

    /// Sends `method path` with `headers` and `body`, and suspends until the whole response is in.
    public func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) async throws -> Response {
        try Self.answer(try await exchange(method, path, headers: headers, body: body).get(), host: host, port: port)
    }

    /// What a finished exchange gives: its response, or a ``Failure`` saying what went wrong where.
    private static func answer(_ result: Result<Response, any Error>, host: String, port: Int) throws -> Response {
        switch result {
        case .success(let response): return response
        case .failure(let failure as Failure): throw failure
        case .failure(let error): throw Failure(description: "\(host):\(port) did not answer: \(error)")
        }
    }

    /// Connects, sends the request and completes with the whole response or the first error (never fails itself).
    private func exchange(_ method: HTTPMethod, _ path: String, headers: [(String, String)], body: [UInt8]?) -> EventLoopFuture<
        Result<Response, any Error>
    > {
        let group = MultiThreadedEventLoopGroup.singleton
        let answer = group.next().makePromise(of: Response.self)
        let (host, port, timeout) = (self.host, self.port, self.timeout)
        return ClientBootstrap(group: group)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(answer: answer))
                }
            }
            .connect(host: host, port: port)
            .flatMapError { error in
                answer.fail(error)
                return group.next().makeFailedFuture(Failure(description: "cannot reach \(host):\(port): \(error)"))
            }
            .flatMap { channel in
                let deadline = channel.eventLoop.scheduleTask(in: timeout) {
                    channel.pipeline.fireErrorCaught(Failure(description: "no answer within \(timeout.nanoseconds / 1_000_000_000) s"))
                }
                var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
                head.headers.add(name: "Host", value: port == 80 ? host : "\(host):\(port)")
                head.headers.add(name: "Connection", value: "close")
                head.headers.add(name: "Content-Length", value: String(body?.count ?? 0))
                for (name, value) in headers { head.headers.add(name: name, value: value) }
                channel.write(HTTPClientRequestPart.head(head), promise: nil)
                if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
                channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
                return answer.futureResult.always { _ in
                    deadline.cancel()
                    channel.close(promise: nil)
                }
            }
            .map { Result<Response, any Error>.success($0) }
            .recover { .failure($0) }
    }
}

/// Gathers one response on the channel's event loop and completes the promise exactly once: with the
/// response at its end, or with the first error or the connection closing before it.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let answer: EventLoopPromise<LoopbackHTTPClient.Response>
    private var status: Int?
    private var headers: [String: String] = [:]
    private var body: [UInt8] = []
    private var done = false

    init(answer: EventLoopPromise<LoopbackHTTPClient.Response>) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            status = Int(head.status.code)
            for (name, value) in head.headers { headers[name.lowercased(), default: ""] += headers[name.lowercased()] == nil ? value : ", \(value)" }
        case .body(let part): body += part.readableBytesView
        case .end:
            finish(.success(.init(status: status ?? 0, headers: headers, body: body)))
            context.close(promise: nil)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        finish(.failure(error))
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(.failure(LoopbackHTTPClient.Failure(description: "the server closed the connection before it answered")))
        context.fireChannelInactive()
    }

    private func finish(_ result: Result<LoopbackHTTPClient.Response, any Error>) {
        guard !done else { return }
        done = true
        answer.completeWith(result)
    }
}
