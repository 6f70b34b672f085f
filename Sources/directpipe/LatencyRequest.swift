import DirectPipeEngine
import Glibc

/// How `directpipe latency` asks a running `directpipe run` on a backend with no graph to probe (the clock, a
/// file, ALSA) for an impulse: SIGUSR1, which makes the engine put one at its input in its next period. (The
/// control API's `measure_latency` asks the engine directly.)
enum LatencyRequest {
    static let signal = SIGUSR1
    /// Set once, before the handler is installed; the handler only reads it.
    nonisolated(unsafe) private static var controls: Unmanaged<EngineControls>?

    /// Installs the handler for `controls` (kept alive for the rest of the process) and unblocks the signal.
    /// The handler makes one atomic store: safe on whichever thread the signal lands, the audio thread included.
    static func install(for controls: EngineControls) {
        Self.controls = .passRetained(controls)
        Glibc.signal(Self.signal) { _ in LatencyRequest.controls?._withUnsafeGuaranteedRef { $0.requestLatencyImpulse() } }
        var signals = sigset_t()
        sigemptyset(&signals)
        sigaddset(&signals, Self.signal)
        pthread_sigmask(SIG_UNBLOCK, &signals, nil)
    }
}
