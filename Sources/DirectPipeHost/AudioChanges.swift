import DirectPipeControl
import Foundation
import Synchronization

/// Hands each subscriber of a host's changes the snapshot now, then one at every change. Fed from threads that
/// are never the audio thread (a backend's supervisor, a restart); `source` makes the snapshot when one is due.
final class AudioChanges: Sendable {
    private let subscribers = Mutex<[UUID: AsyncStream<AudioSnapshot>.Continuation]>([:])
    private let source = Mutex<(@Sendable () -> AudioSnapshot?)?>(nil)

    /// Where snapshots come from (set once the host exists).
    func attach(_ source: @escaping @Sendable () -> AudioSnapshot?) { self.source.withLock { $0 = source } }

    /// Something changed: every subscriber gets the snapshot now.
    func publish() {
        guard let snapshot = source.withLock({ $0 })?() else { return }
        for subscriber in subscribers.withLock({ Array($0.values) }) { subscriber.yield(snapshot) }
    }

    /// A stream of snapshots, starting with the one now; it ends its subscription when its iteration ends.
    func subscribe() -> AsyncStream<AudioSnapshot> {
        let (stream, continuation) = AsyncStream.makeStream(of: AudioSnapshot.self, bufferingPolicy: .bufferingNewest(16))
        let id = UUID()
        subscribers.withLock { $0[id] = continuation }
        continuation.onTermination = { [weak self] _ in _ = self?.subscribers.withLock { $0.removeValue(forKey: id) } }
        if let snapshot = source.withLock({ $0 })?() { continuation.yield(snapshot) }
        return stream
    }
}
