import Glibc
import Synchronization

/// Set by SIGHUP: reload the chain file (the classic daemon "reload your configuration").
/// The handler stores a flag and wakes the run loop (``RunLoopWake``).
enum ReloadRequest {
    private static let flag = Atomic<Bool>(false)

    /// Whether a reload was asked for since the last call.
    static func take() -> Bool { flag.exchange(false, ordering: .relaxed) }

    static func installHandler() {
        Glibc.signal(SIGHUP) { _ in
            ReloadRequest.flag.store(true, ordering: .relaxed)
            RunLoopWake.wake()
        }
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}
