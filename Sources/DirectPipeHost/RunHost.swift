import DirectPipeAudio
import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import DirectPipeShm
import Foundation
import Logging
import Synchronization

/// The audio side of `directpipe run` as the control API sees it: the session running now, replaced whole by
/// `configure_audio` (the chain rebuilt in the new format, the controls and, when the format stays, the pipe
/// writer kept: OBS stays attached), and latency measured from inside.
public final class RunHost: AudioHost {
    public let controls: EngineControls
    /// The session running now, locked only to read or swap it: telemetry never waits for a restart.
    private let session: Mutex<AudioSession>
    /// The pipe writer restarts keep while the format stays, locked for a whole restart: one at a time.
    private let writer: Mutex<PipeWriter>
    /// Where a restarted session says what started.
    private let log: Logger

    /// Asked again at each restart: what answers may have changed since.
    private let probe: BackendProbe

    /// Sessions started so far, for the snapshots.
    private let starts = Atomic<Int>(1)
    private let publisher = AudioChanges()

    /// Builds the first session of `plan` on `writer` (not started yet: ``start()``). `log` hears what each start
    /// starts; `probe` is asked again at each restart. `fast` and `fileOutput`: see ``AudioSession``.
    public init(
        _ plan: SessionPlan, controls: EngineControls, writer: PipeWriter, log: Logger, probe: BackendProbe = .system,
        fast: Bool = false, fileOutput: String? = nil
    ) throws {
        self.log = log
        self.probe = probe
        self.controls = controls
        let publisher = self.publisher
        let session = try AudioSession(
            plan, controls: controls, writer: writer, fast: fast, fileOutput: fileOutput, onConnectionChange: { _ in publisher.publish() })
        self.writer = Mutex(writer)
        self.session = Mutex(session)
        publisher.attach { [weak self] in self?.snapshot }
    }

    /// Starts the first session; on failure nothing of it runs.
    public func start() throws { try current.start(log: log) }

    /// The audio side now, as ``changes()`` publishes it.
    public var snapshot: AudioSnapshot {
        let session = current
        return AudioSnapshot(starts: starts.load(ordering: .relaxed), format: session.format, status: session.status)
    }

    /// The snapshot now, then one after each restart (or what ran put back) and each time the backend loses or
    /// gets back its server or source.
    public func changes() -> AsyncStream<AudioSnapshot> { publisher.subscribe() }

    /// The session running now (another one after a restart).
    public var current: AudioSession { session.withLock { $0 } }

    public var running: RunningAudio { current.audio }

    public var status: AudioStatus? { current.status }

    public func restart(_ request: RunSettings, chain: ChainDescription) throws(ActionError) {
        try writer.withLock { (writer: inout PipeWriter) throws(ActionError) in try restart(request, chain: chain, writer: &writer) }
    }

    private func restart(_ request: RunSettings, chain: ChainDescription, writer: inout PipeWriter) throws(ActionError) {
        let old = current
        var settings = old.plan.settings.overridden(by: request)
        if request.backend != nil, request.backend != old.plan.settings.backend {
            // Another backend: its own default input and no monitor, unless given; names from the old one mean nothing.
            if request.input == nil { settings.input = nil }
            if request.monitor == nil { settings.monitor = nil }
        }
        // Everything that can be found wrong without stopping anything: the backend, the format, the chain.
        let plan: SessionPlan
        do { plan = try SessionPlan(settings, chain: chain, probe: probe) } catch { throw ActionError(.conflict, "\(error)") }
        old.stop()
        do {
            let next = try start(plan, writer: &writer)
            swap(to: next)
            if request.monitor != nil { controls.monitor.isEnabled = next.plan.settings.monitorIsOn }
        } catch {
            // Back to what ran: its plan worked a moment ago.
            let problem = "\(error)"
            let again: AudioSession
            do {
                again = try start(try SessionPlan(old.plan.settings, chain: chain, probe: probe), writer: &writer)
            } catch {
                throw ActionError(.conflict, "\(problem); and what ran before did not start again: \(error)")
            }
            swap(to: again)
            throw ActionError(.conflict, "\(problem) (what ran before runs again)")
        }
    }

    /// Makes `next` the session running now, and says so to the subscribers.
    private func swap(to next: AudioSession) {
        session.withLock { $0 = next }
        starts.add(1, ordering: .relaxed)
        publisher.publish()
    }

    /// Builds and starts a session on the pipe writer, a new one only when the format changes.
    private func start(_ plan: SessionPlan, writer: inout PipeWriter) throws -> AudioSession {
        let format = try PipeFormat(sampleRate: UInt32(plan.format.sampleRate), channels: UInt32(plan.format.outputChannels))
        if writer.format != format {
            writer.stop()  // readers see the writer go, then attach to the new one
            writer = try PipeWriter(name: writer.name, format: format)
        }
        let publisher = self.publisher
        let next = try AudioSession(plan, controls: controls, writer: writer, onConnectionChange: { _ in publisher.publish() })
        try next.start(log: log)
        return next
    }

    /// The devices and ports of every backend, with the JACK server the running session uses.
    public func devices() -> any Encodable & Sendable {
        DeviceList.current(jackServer: current.plan.settings.jackServer)
    }

    public func pipeStatus() -> (readers: Int, unreadFrames: Int)? {
        let writer = current.writer
        let read = writer.readPosition
        return (Int(writer.waitingReaders), read == 0 ? 0 : Int(writer.writePosition &- read))
    }

    public func measureLatency(chainLatencyFrames: Int) throws(ActionError) -> LatencyReport {
        let session = current
        do {
            let reader = try PipeReader(name: session.writer.name)
            switch session.plan.kind {
            case .pipewire: return try LatencyMeasurement.pipewire(reader)
            case .jack: return try LatencyMeasurement.jack(reader, serverName: session.plan.settings.jackServer)
            default:
                return try LatencyMeasurement.engine(reader, periodFrames: session.format.periodFrames, chainLatencyFrames: chainLatencyFrames) { _ in
                    session.engine.controls.requestLatencyImpulse()
                }
            }
        } catch {
            throw ActionError(.conflict, "latency not measured: \(error)")
        }
    }
}
