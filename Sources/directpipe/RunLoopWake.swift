import DirectPipeHost
import Glibc

/// Wakes `directpipe run`'s main loop when a signal asks for something (stop, reload): the kernel hands a
/// process signal to whichever thread does not block it (the audio thread, a server thread), so a sleep in the
/// main thread is not cut short by itself. The handlers write a byte to a pipe (async-signal-safe) that the loop
/// polls with its deadline.
enum RunLoopWake {
    /// Read and write ends, set once before any handler that calls ``wake()`` is installed (-1: not prepared).
    nonisolated(unsafe) private static var reader: Int32 = -1
    nonisolated(unsafe) private static var writer: Int32 = -1

    static func prepare() {
        guard reader < 0 else { return }
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { return }
        for end in ends {
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
        }
        (reader, writer) = (ends[0], ends[1])
    }

    /// From a signal handler: one write (a full pipe already holds a wake).
    static func wake() {
        guard writer >= 0 else { return }
        var byte: UInt8 = 1
        _ = write(writer, &byte, 1)
    }

    /// Sleeps until `deadlineNs` (CLOCK_MONOTONIC, to the millisecond) or a wake, whichever comes first.
    static func sleep(untilNs deadlineNs: UInt64) {
        let now = MonotonicClock.nowNs
        guard deadlineNs > now else { return }
        guard reader >= 0 else { return MonotonicClock.sleep(untilNs: deadlineNs) { StopRequest.isRequested } }
        let milliseconds = Int32(min((deadlineNs - now + 999_999) / 1_000_000, UInt64(Int32.max)))
        var watched = pollfd(fd: reader, events: Int16(POLLIN), revents: 0)
        _ = poll(&watched, 1, milliseconds)
        var drained = [UInt8](repeating: 0, count: 64)
        while read(reader, &drained, drained.count) > 0 {}  // nonblocking: clears what woke us
    }
}
