import DirectPipeDSP
import DirectPipeEngine
import DirectPipePlugins

/// What the audio side runs on now, as the state shows it.
public struct AudioStatus: Sendable, Codable, Equatable {
    /// The backend running: pipewire, jack, alsa, file or clock.
    public var backend: String
    /// Why that one (auto's choice, or "as asked").
    public var reason: String
    /// The input asked for (nil: the backend's default).
    public var input: String?
    /// The monitor's device (nil: monitoring off).
    public var monitor: String?
    /// False while the device or server is gone (the backend keeps trying to get it back).
    public var connected: Bool

    public init(backend: String, reason: String, input: String?, monitor: String?, connected: Bool) {
        self.backend = backend
        self.reason = reason
        self.input = input
        self.monitor = monitor
        self.connected = connected
    }
}

/// A freshly started audio side: the engine running `chain`, and the factory for effects in its format.
/// Handed once from the host to the control center, on the action queue (hence unchecked).
public struct AudioRunning: @unchecked Sendable {
    public var engine: Engine
    public var chain: EffectChain
    public var factory: EffectFactory

    public init(engine: Engine, chain: EffectChain, factory: EffectFactory) {
        self.engine = engine
        self.chain = chain
        self.factory = factory
    }
}

/// Why `configure_audio` did not happen, and what runs instead when the old setup had to be started again.
public struct AudioRestartFailure: Error {
    public var error: ActionError
    /// The setup that ran before, started again (nil: nothing was stopped, or it could not start again).
    public var restarted: AudioRunning?

    public init(_ error: ActionError, restarted: AudioRunning? = nil) {
        self.error = error
        self.restarted = restarted
    }
}

/// The program that runs the audio side (`directpipe run`), for the actions that need more than the engine:
/// changing backend, devices, rate or period, and measuring latency with an impulse.
public protocol AudioHost: AnyObject, Sendable {
    /// What runs now.
    var status: AudioStatus { get }
    /// Stops what runs and starts `request` (``RunSettings/audioKeys`` only, on top of what runs) with `chain` built
    /// in the new format. On failure what ran before runs again (a new start of it, in the failure), and the error
    /// says what was wrong.
    func restart(_ request: RunSettings, chain: ChainDescription) throws(AudioRestartFailure) -> AudioRunning
    /// Sends an impulse through the running path and times its arrival at each output (`chainLatencyFrames`:
    /// the running chain's own delay, which the engine's impulse cannot tell by itself).
    func measureLatency(chainLatencyFrames: Int) throws(ActionError) -> LatencyReport
    /// The OBS pipe now: readers waiting for audio, and frames written that the latest reader has not read.
    func pipeStatus() -> (readers: Int, unreadFrames: Int)
}
