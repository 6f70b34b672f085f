import CDirectPipeShm
import Glibc

/// CLOCK_MONOTONIC, the clock of the pipe's timestamps and of OBS.
public enum MonotonicClock {
    public static var nowNs: UInt64 { dp_monotonic_ns() }

    /// Sleeps until the absolute time `deadlineNs` (no drift from repeated sleeps); a signal cuts it short only
    /// when `stopRequested` says so.
    public static func sleep(untilNs deadlineNs: UInt64, stopRequested: () -> Bool = { false }) {
        let capped = min(deadlineNs, UInt64(Int.max))
        var deadline = timespec(tv_sec: Int(capped / 1_000_000_000), tv_nsec: Int(capped % 1_000_000_000))
        while clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &deadline, nil) == EINTR, !stopRequested() {}
    }
}
