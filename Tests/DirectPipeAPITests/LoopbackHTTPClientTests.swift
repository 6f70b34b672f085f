import DirectPipeAPI
import Foundation
import Hummingbird
import NIOHTTP1
import Testing

/// `directpipe ctl`'s HTTP client against a real server (Hummingbird on a free loopback port): what it sends
/// arrives whole, what comes back is read whole, and a server that is not there or does not answer gives an
/// error that says so instead of a hang.
@Suite struct LoopbackHTTPClientTests {
    /// Runs `body` with a client of a server whose routes echo what they received.
    func withEchoServer(_ body: @Sendable (LoopbackHTTPClient) async throws -> Void) async throws {
        let router = Router()
        router.post("/echo") { request, _ -> Response in
            let received = try await request.body.collect(upTo: 1 << 20)
            var headers = HTTPFields()
            headers[.init("X-Authorization")!] = request.headers[.authorization] ?? ""
            headers[.contentType] = request.headers[.contentType] ?? ""
            return Response(status: .created, headers: headers, body: .init(byteBuffer: received))
        }
        router.get("/missing") { _, _ -> Response in
            Response(status: .notFound, body: .init(byteBuffer: ByteBuffer(string: "{\"error\":\"no such thing\"}")))
        }
        let port = PortBox()
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in port.set(channel.localAddress?.port ?? 0) })
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService() }
            try await body(LoopbackHTTPClient(host: "127.0.0.1", port: await port.value()))
            group.cancelAll()
        }
    }

    @Test func aPostArrivesWholeWithItsHeadersAndTheAnswerIsReadWhole() async throws {
        try await withEchoServer { client in
            let body = [UInt8]((0..<200_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            let response = try await client.send(
                .POST, "/echo", headers: [("Authorization", "Bearer abc"), ("Content-Type", "application/json")], body: body)
            #expect(response.status == 201)
            #expect(response.body == body)
        }
    }

    @Test func anErrorStatusComesBackWithItsBody() async throws {
        try await withEchoServer { client in
            let response = try await client.send(.GET, "/missing")
            #expect(response.status == 404)
            #expect(String(decoding: response.body, as: UTF8.self) == "{\"error\":\"no such thing\"}")
        }
    }

    @Test func noServerIsAnErrorNamingTheAddress() async throws {
        // A port just released by the kernel: nothing listens there.
        let socket = try ListeningSocket()
        let port = socket.port
        socket.close()
        let error = await #expect(throws: LoopbackHTTPClient.Failure.self) {
            _ = try await LoopbackHTTPClient(host: "127.0.0.1", port: port).send(.GET, "/")
        }
        #expect(error?.description.contains("cannot reach 127.0.0.1:\(port)") == true, "\(String(describing: error))")
    }

    @Test func aServerThatNeverAnswersIsAnErrorNotAHang() async throws {
        // Accepts (the kernel's backlog does) and never writes a byte.
        let socket = try ListeningSocket()
        defer { socket.close() }
        let error = await #expect(throws: LoopbackHTTPClient.Failure.self) {
            _ = try await LoopbackHTTPClient(host: "127.0.0.1", port: socket.port, timeout: .milliseconds(300)).send(.GET, "/")
        }
        #expect(error?.description.contains("no answer within") == true, "\(String(describing: error))")
    }
}

/// A TCP socket listening on a free loopback port, accepting nothing itself.
private struct ListeningSocket {
    let fd: Int32
    let port: Int

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 8) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound else {
            Glibc.close(fd)
            throw POSIXError(.EADDRNOTAVAIL)
        }
        self.fd = fd
        port = Int(UInt16(bigEndian: address.sin_port))
    }

    func close() { _ = Glibc.close(fd) }
}
