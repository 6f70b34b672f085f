import DirectPipeControl
import Foundation
import Synchronization

/// Telemetry for every WebSocket client: read and encoded once per tick (not once per client), then handed
/// to each client's outgoing queue. ``run()`` serves for the server's life and ticks only while someone listens.
final class TelemetryHub: Sendable {
    private let center: ControlCenter
    private let interval: Duration
    private let subscribers = Mutex<[UUID: AsyncStream<String>.Continuation]>([:])
    /// One element when the first client comes: ``run()`` starts ticking.
    private let wakeups: AsyncStream<Void>
    private let wake: AsyncStream<Void>.Continuation

    init(center: ControlCenter, rate: Double) {
        self.center = center
        interval = .nanoseconds(Int64(1_000_000_000 / max(rate, 1)))
        (wakeups, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    func subscribe(_ continuation: AsyncStream<String>.Continuation) -> UUID {
        let id = UUID()
        subscribers.withLock { $0[id] = continuation }
        wake.yield()
        return id
    }

    func unsubscribe(_ id: UUID) { _ = subscribers.withLock { $0.removeValue(forKey: id) } }

    /// Ticks while there are subscribers, sleeps on the next subscription while there are none; returns when
    /// the task is cancelled.
    func run() async {
        for await _ in wakeups {
            while !Task.isCancelled {
                let listeners = subscribers.withLock { Array($0.values) }
                if listeners.isEmpty { break }
                let message = ["type": AnyEncodable("telemetry"), "telemetry": AnyEncodable(center.telemetry())]
                if let data = try? APIResponse.encoder.encode(message) {
                    let text = String(decoding: data, as: UTF8.self)
                    for listener in listeners { listener.yield(text) }
                }
                try? await Task.sleep(for: interval)
            }
        }
    }
}
