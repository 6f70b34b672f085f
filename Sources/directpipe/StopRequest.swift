import Glibc
import Synchronization

/// Set by SIGINT or SIGTERM, so long-running commands stop cleanly (the pipe
/// writer marks itself inactive, files are completed).
enum StopRequest {
    private static let flag = Atomic<Bool>(false)

    static var isRequested: Bool { flag.load(ordering: .relaxed) }

    static func installHandlers() {
        for signal in [SIGINT, SIGTERM] {
            Glibc.signal(signal) { _ in StopRequest.flag.store(true, ordering: .relaxed) }
        }
    }
}
