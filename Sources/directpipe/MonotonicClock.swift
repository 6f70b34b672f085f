import CDirectPipeShm
import Glibc

/// CLOCK_MONOTONIC, the clock of the pipe's timestamps and of OBS.
enum MonotonicClock {
    static var nowNs: UInt64 { dp_monotonic_ns() }

    /// Sleeps until the absolute time `deadlineNs` (no drift from repeated sleeps).
    static func sleep(untilNs deadlineNs: UInt64) {
        var deadline = timespec(tv_sec: Int(deadlineNs / 1_000_000_000), tv_nsec: Int(deadlineNs % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) == EINTR, !StopRequest.isRequested {}
    }
}
