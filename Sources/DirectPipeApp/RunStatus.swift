import DirectPipeHost
import Foundation

/// The run's status (see ``RunReport``), on whatever session the host runs at the time (another one after
/// `configure_audio`), handed to whoever prints it.
struct RunStatus: Sendable {
    let host: RunHost
    /// Whoever prints the report.
    let deliver: @Sendable (RunReport) -> Void
    /// This process's CPU time when audio first started, so the report counts only what running costs.
    let cpuAtStartNs = processCPUNs()

    /// One report; `wakeups`, at the end: how often the main loop woke.
    func report(final: Bool, wakeups: Int? = nil) {
        deliver(RunReport(host.current, final: final, processCPUNs: processCPUNs() &- cpuAtStartNs, wakeups: wakeups))
    }
}

/// CPU time this process has used, user and system, all threads.
private func processCPUNs() -> UInt64 {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    func ns(_ time: timeval) -> UInt64 { UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_usec) * 1000 }
    return ns(usage.ru_utime) + ns(usage.ru_stime)
}
