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

/// What one start of the audio side comes with: the engine, the editor of its chain, the recorder of its output,
/// and the factory for effects in its format. Made once per start, by whoever starts the audio, and replaced
/// whole by a restart: the ``AudioHost`` is its one owner, everyone else asks the host for the current one.
public final class RunningAudio: Sendable {
    public let engine: Engine
    public let editor: ChainEditor
    public let recorder: Recorder
    public let factory: EffectFactory

    /// `chain` runs in `engine` already, built from `description` by `factory`.
    public init(engine: Engine, chain: EffectChain, description: ChainDescription, factory: EffectFactory) {
        self.engine = engine
        self.factory = factory
        editor = ChainEditor(engine: engine, chain: chain, description: description)
        recorder = Recorder(engine: engine)
    }
}

/// The audio side at one moment, as its owner publishes it: after every start (a restart, or what ran put back)
/// and whenever the backend loses or gets back its server, device or source.
public struct AudioSnapshot: Sendable, Equatable {
    /// Sessions started so far (1: the first); a new one after each restart.
    public var starts: Int
    public var format: EngineFormat
    public var status: AudioStatus?

    public init(starts: Int, format: EngineFormat, status: AudioStatus?) {
        self.starts = starts
        self.format = format
        self.status = status
    }
}

/// The owner of the running audio side, for the actions that need more than the engine: changing backend,
/// devices, rate or period, and measuring latency with an impulse.
public protocol AudioHost: AnyObject, Sendable {
    /// What runs now (another one after a restart).
    var running: RunningAudio { get }
    /// The backend and devices running now, for the state (nil: an engine with nothing behind it to show).
    var status: AudioStatus? { get }
    /// Stops what runs and starts `request` (``RunSettings/audioKeys`` only, on top of what runs) with `chain` built
    /// in the new format. On failure what ran before runs again (a new start of it) and the error says both.
    func restart(_ request: RunSettings, chain: ChainDescription) throws(ActionError)
    /// The audio side as it changes: the snapshot now, then one at each change, until the caller stops iterating.
    func changes() -> AsyncStream<AudioSnapshot>
    /// Sends an impulse through the running path and times its arrival at each output (`chainLatencyFrames`:
    /// the running chain's own delay, which the engine's impulse cannot tell by itself).
    func measureLatency(chainLatencyFrames: Int) throws(ActionError) -> LatencyReport
    /// The OBS pipe now: readers waiting for audio, and frames written that the latest reader has not read (nil:
    /// no pipe).
    func pipeStatus() -> (readers: Int, unreadFrames: Int)?
    /// What the backends can capture from and play to now, as the API lists it (it takes a moment: not from a
    /// cooperative thread).
    func devices() -> any Encodable & Sendable
}

/// One engine and nothing behind it to restart or measure: what the control center works on where no backend
/// runs (an engine driven by hand, in tests and tools).
public final class FixedAudioHost: AudioHost {
    public let running: RunningAudio

    public init(_ running: RunningAudio) { self.running = running }

    public var status: AudioStatus? { nil }

    public func restart(_ request: RunSettings, chain: ChainDescription) throws(ActionError) {
        throw ActionError(.conflict, "there is no audio host here to reconfigure")
    }

    public func measureLatency(chainLatencyFrames: Int) throws(ActionError) -> LatencyReport {
        throw ActionError(.conflict, "there is no audio host here to measure")
    }

    public func pipeStatus() -> (readers: Int, unreadFrames: Int)? { nil }

    /// No backend: nothing to list.
    public func devices() -> any Encodable & Sendable { [String: [String]]() }

    /// Nothing behind the engine changes: the snapshot now, and the end.
    public func changes() -> AsyncStream<AudioSnapshot> {
        let snapshot = AudioSnapshot(starts: 1, format: running.engine.format, status: nil)
        return AsyncStream { continuation in
            continuation.yield(snapshot)
            continuation.finish()
        }
    }
}
