import Foundation

/// The API server's start, seen from the run loop: the port it got, or why it could not start.
final class APIStart: @unchecked Sendable {
    private let done = DispatchSemaphore(value: 0)
    private let lock = NSLock()
    private var port: Int?
    private(set) var error: (any Error)?

    func finish(port: Int?, error: (any Error)?) {
        lock.withLock {
            self.port = port
            self.error = error
        }
        done.signal()
    }

    /// The port, once the server listens; nil when it failed or did not answer in time.
    func wait(seconds: Double) -> Int? {
        guard done.wait(timeout: .now() + seconds) == .success else { return nil }
        return lock.withLock { port }
    }
}
