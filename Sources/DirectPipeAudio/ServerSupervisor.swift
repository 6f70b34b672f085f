import Foundation
import Synchronization

/// Watches a sound-server connection off the audio thread, for backends that
/// live in a server's graph (JACK, PipeWire): every 250 ms it lets the backend
/// look at its connection, and while the connection is lost it asks the
/// backend to reconnect, counting each time it succeeds. ALSA, whose audio loop
/// re-opens its own device, uses it only to tell what that loop found.
/// Unchecked Sendable: its flags and count are Atomics; `thread` is a plain var that only start() and stop() touch, called in turn.
final class ServerSupervisor: @unchecked Sendable {
    static let retryInterval: useconds_t = 250_000

    private let lost = Atomic<Bool>(false)
    private let running = Atomic<Bool>(false)
    private let reconnectCount = Atomic<Int>(0)
    private var thread: Thread?

    /// False from a lost connection until a reconnection succeeds.
    var isConnected: Bool { !lost.load(ordering: .relaxed) }
    var reconnects: Int { reconnectCount.load(ordering: .relaxed) }
    var isRunning: Bool { running.load(ordering: .relaxed) }

    /// Marks the connection lost (from any thread, e.g. a server's shutdown callback).
    func markLost() { lost.store(true, ordering: .relaxed) }

    /// Starts the thread. `watch` runs every 250 ms while connected (it may call ``markLost()``);
    /// `reconnect` runs every 250 ms while lost and returns whether the connection is back. After each round,
    /// `connected` (the backend's whole notion of it) is asked, and `onChange` hears it when it changed.
    func start(
        name: String, watch: @escaping @Sendable () -> Void, reconnect: @escaping @Sendable () -> Bool,
        connected: @escaping @Sendable () -> Bool, onChange: (@Sendable (Bool) -> Void)?
    ) {
        lost.store(false, ordering: .relaxed)
        running.store(true, ordering: .relaxed)
        let thread = Thread { [self] in
            var reported = connected()
            while running.load(ordering: .relaxed) {
                usleep(Self.retryInterval)
                guard running.load(ordering: .relaxed) else { break }
                if !lost.load(ordering: .relaxed) { watch() }
                if lost.load(ordering: .relaxed), reconnect() {
                    lost.store(false, ordering: .relaxed)
                    reconnectCount.add(1, ordering: .relaxed)
                }
                let now = connected()
                if now != reported, let onChange { onChange(now) }
                reported = now
            }
        }
        thread.name = name
        thread.start()
        self.thread = thread
    }

    /// Stops the thread and waits for it; returns false if it was not running.
    @discardableResult
    func stop() -> Bool {
        guard running.exchange(false, ordering: .relaxed) else { return false }
        while thread?.isFinished == false { usleep(1000) }
        thread = nil
        return true
    }
}
