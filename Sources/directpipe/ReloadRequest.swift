import Glibc
import Synchronization

/// Set by SIGHUP: reload the chain file (the classic daemon "reload your configuration").
/// The handler only stores a flag, and the run loop's sleep is cut short by the signal.
enum ReloadRequest {
    private static let flag = Atomic<Bool>(false)

    /// Whether a reload was asked for since the last call.
    static func take() -> Bool { flag.exchange(false, ordering: .relaxed) }

    static func installHandler() {
        Glibc.signal(SIGHUP) { _ in ReloadRequest.flag.store(true, ordering: .relaxed) }
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, SIGHUP)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}
