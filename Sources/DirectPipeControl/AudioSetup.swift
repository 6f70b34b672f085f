import DirectPipeDSP
import DirectPipeEngine
import DirectPipePlugins

/// A change of what the audio side runs on, as the `configure_audio` action asks for it: every field left
/// out keeps what runs now. The host stops the running backend and starts the new one; the chain, the
/// outputs' switches and volumes carry over.
public struct AudioRequest: Sendable, Codable, Equatable {
    /// auto, pipewire, jack, alsa or clock (a file plays once and ends the run: not offered here).
    public var backend: String?
    /// What to capture, in the backend's terms (a node, ports, a PCM name, `tone:HZ`, `silence`).
    public var input: String?
    /// Where monitoring goes (a sink, ports, a PCM), or "none" to turn monitoring off.
    public var monitor: String?
    public var rate: Int?
    public var period: Int?
    /// Output channels: 1 (mono) or 2 (stereo).
    public var channels: Int?

    public init(
        backend: String? = nil, input: String? = nil, monitor: String? = nil, rate: Int? = nil, period: Int? = nil, channels: Int? = nil
    ) {
        self.backend = backend
        self.input = input
        self.monitor = monitor
        self.rate = rate
        self.period = period
        self.channels = channels
    }

    public static let backends = ["auto", "pipewire", "jack", "alsa", "clock"]

    /// Why the request cannot be right whatever the machine has, or nil.
    public var problem: String? {
        if let backend, !Self.backends.contains(backend) {
            return "backend '\(backend)' is not one of \(Self.backends.joined(separator: ", "))"
                + (backend == "file" ? " (a file plays once and ends the run: use `directpipe run --backend file`)" : "")
        }
        if let rate, !(8000...384_000).contains(rate) { return "rate \(rate) Hz is outside 8000…384000" }
        if let period, !(EngineFormat.minPeriodFrames...EngineFormat.maxPeriodFrames).contains(period) {
            return "period \(period) frames is outside \(EngineFormat.minPeriodFrames)…\(EngineFormat.maxPeriodFrames)"
        }
        if let channels, !(1...2).contains(channels) { return "channels \(channels) is not 1 (mono) or 2 (stereo)" }
        if input?.isEmpty == true { return "input is empty (leave it out for the backend's default)" }
        if monitor?.isEmpty == true { return "monitor is empty (say \"none\" to turn monitoring off)" }
        return nil
    }

    /// `self` with every field `other` sets taken from `other`.
    public func overridden(by other: AudioRequest) -> AudioRequest {
        AudioRequest(
            backend: other.backend ?? backend, input: other.input ?? input, monitor: other.monitor ?? monitor,
            rate: other.rate ?? rate, period: other.period ?? period, channels: other.channels ?? channels)
    }
}

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
    /// Stops what runs and starts `request` (on top of what runs) with `chain` built in the new format. On
    /// failure what ran before runs again (a new start of it, in the failure), and the error says what was wrong.
    func restart(_ request: AudioRequest, chain: ChainDescription) throws(AudioRestartFailure) -> AudioRunning
    /// Sends an impulse through the running path and times its arrival at each output (`chainLatencyFrames`:
    /// the running chain's own delay, which the engine's impulse cannot tell by itself).
    func measureLatency(chainLatencyFrames: Int) throws(ActionError) -> LatencyReport
    /// The OBS pipe now: readers waiting for audio, and frames written that the latest reader has not read.
    func pipeStatus() -> (readers: Int, unreadFrames: Int)
}
