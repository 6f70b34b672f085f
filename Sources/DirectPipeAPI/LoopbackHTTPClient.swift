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

    /// Sends `method path` with `headers` and `body`, and waits for the whole response.
    public func send(_ method: HTTPMethod, _ path: String, headers: [(String, String)] = [], body: [UInt8]? = nil) throws -> Response {
        let group = MultiThreadedEventLoopGroup.singleton
        let answer = group.next().makePromise(of: Response.self)
        let channel: any Channel
        do {
            channel = try ClientBootstrap(group: group)
                .connectTimeout(timeout)
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        try channel.pipeline.syncOperations.addHandler(ResponseCollector(answer: answer))
                    }
                }
                .connect(host: host, port: port).wait()
        } catch {
            answer.fail(error)
            throw Failure(description: "cannot reach \(host):\(port): \(error)")
        }
        defer { channel.close(promise: nil) }
        let deadline = channel.eventLoop.scheduleTask(in: timeout) { [timeout] in
            channel.pipeline.fireErrorCaught(Failure(description: "no answer within \(timeout.nanoseconds / 1_000_000_000) s"))
        }
        defer { deadline.cancel() }

        var head = HTTPRequestHead(version: .http1_1, method: method, uri: path)
        head.headers.add(name: "Host", value: port == 80 ? host : "\(host):\(port)")
        head.headers.add(name: "Connection", value: "close")
        head.headers.add(name: "Content-Length", value: String(body?.count ?? 0))
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body { channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil) }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        do {
            return try answer.futureResult.wait()
        } catch let failure as Failure {
            throw failure
        } catch {
            throw Failure(description: "\(host):\(port) did not answer: \(error)")
        }
    }
}

/// Gathers one response on the channel's event loop and completes the promise exactly once: with the
/// response at its end, or with the first error or the connection closing before it.
private final class ResponseCollector: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart

    private let answer: EventLoopPromise<LoopbackHTTPClient.Response>
    private var status: Int?
    private var body: [UInt8] = []
    private var done = false

    init(answer: EventLoopPromise<LoopbackHTTPClient.Response>) { self.answer = answer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): status = Int(head.status.code)
        case .body(let part): body += part.readableBytesView
        case .end:
            finish(.success(.init(status: status ?? 0, body: body)))
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
