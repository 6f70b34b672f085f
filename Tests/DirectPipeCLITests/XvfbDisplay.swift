import Foundation

/// An Xvfb server for the length of a test (libobs starts only with an X display).
final class XvfbDisplay: @unchecked Sendable {
    private let server: TestProcess
    let name: String

    init() throws {
        server = try TestProcess(URL(fileURLWithPath: "/usr/bin/Xvfb"), ["-displayfd", "1", "-nolisten", "tcp"])
        let deadline = Date().addingTimeInterval(10)
        while !server.output.hasSuffix("\n"), Date() < deadline { usleep(10_000) }
        guard let number = Int(server.output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
            throw SetupFailure(description: "Xvfb did not start: \(server.errorOutput)")
        }
        name = ":\(number)"
    }

    deinit {
        server.signal(SIGTERM)
        server.finish(timeout: 10)
    }
}
