/// The port a test server got, handed from its onServerRunning callback to the test that waits for it.
actor PortBox {
    private var port: Int?
    private var waiters: [CheckedContinuation<Int, Never>] = []

    nonisolated func set(_ port: Int) { Task { await self.store(port) } }

    private func store(_ port: Int) {
        self.port = port
        for waiter in waiters { waiter.resume(returning: port) }
        waiters = []
    }

    func value() async -> Int {
        if let port { return port }
        return await withCheckedContinuation { waiters.append($0) }
    }
}
