import Glibc
import Synchronization

/// Set by SIGINT or SIGTERM, so long-running commands stop cleanly (the pipe
/// writer marks itself inactive, files are completed).
enum StopRequest {
    private static let flag = Atomic<Bool>(false)

    static var isRequested: Bool { flag.load(ordering: .relaxed) }

    /// Catches SIGINT and SIGTERM, and unblocks them: a parent (a test runner,
    /// a service manager) may have handed down a mask that blocks them.
    static func installHandlers() {
        var signals = sigset_t()
        sigemptyset(&signals)
        for signal in [SIGINT, SIGTERM] {
            Glibc.signal(signal) { _ in
                StopRequest.flag.store(true, ordering: .relaxed)
            }
            sigaddset(&signals, signal)
        }
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}
