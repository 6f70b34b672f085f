import DirectPipeDSP
import DirectPipeEngine
import DirectPipePlugins
import Foundation
import Synchronization

/// The one action dispatcher: every control source (the HTTP/WebSocket API, `directpipe ctl`, the web
/// panel, a chain file reloaded on SIGHUP) performs its actions here, one at a time, and gets the new state or a
/// precise error back. Chain changes go through the running ``ChainEditor`` (no click, what stays keeps
/// running); a slot or preset that cannot be loaded leaves the running chain as it is. What runs belongs to the
/// ``AudioHost``; this keeps only what the actions asked for (a ``Dispatcher`` value, behind a `Mutex`).
public final class ControlCenter: Sendable {
    public let store: PresetStore
    /// The plugins' own editors open now (closed with their effects, and when the host stops).
    public let editors = PluginEditors()
    /// Where recordings go (`record_start` takes a file name, never a path).
    public let recordingsFolder: String
    private let host: any AudioHost
    private let dispatcher: Mutex<Dispatcher>
    private let observers = Mutex<[UUID: @Sendable (ControlState) -> Void]>([:])
    /// An audio change came while an action held the lock; told once that action is done.
    private let audioChangedDuringAction = Atomic<Bool>(false)
    /// Where the session is saved after changes (see ``SessionState``); nil: not saved.
    private let sessionFolder: String?
    /// One element per change, for ``saveSessionAfterChanges()``: only the newest is kept (a burst is one save).
    private let changes: AsyncStream<Void>
    private let changed: AsyncStream<Void>.Continuation

    /// `description` is what the host's chain was built from; `slot` and `audio` are what the saved session
    /// had chosen, to be remembered again.
    public init(
        host: any AudioHost, description: ChainDescription, store: PresetStore = PresetStore(), sessionFolder: String? = nil,
        slot: String? = nil, audio: RunSettings? = nil
    ) {
        self.host = host
        self.store = store
        self.sessionFolder = sessionFolder
        recordingsFolder = (Recorder.defaultPath() as NSString).deletingLastPathComponent
        dispatcher = Mutex(
            Dispatcher(
                host: host, store: store, editors: editors, recordingsFolder: recordingsFolder, description: description, slot: slot, audio: audio))
        (changes, changed) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// The engine now (another one after `configure_audio`).
    public var engine: Engine { host.running.engine }
    /// The recorder of the engine now.
    public var recorder: Recorder { host.running.recorder }
    /// What a chain can use: the built-ins and the scanned plugins that work, and the plugins running in the chain
    /// that no scan listed yet (added by id), so the panel has their controls too.
    public func plugins() -> [PluginRecord] {
        let scanned = PluginScanner.load() ?? []
        var known = Set(scanned.map(\.id))
        let running = chain.slots.map(\.effect.info).filter { $0.format != .builtin && known.insert($0.id).inserted }
        return PluginCatalog.records(scanned: scanned + running.map { PluginRecord(id: $0.id, format: $0.format, status: .ok, info: $0) })
    }
    /// What the backends can capture from and play to now (takes a moment: not from a cooperative thread).
    public func devices() -> any Encodable & Sendable { host.devices() }
    /// The chain running now.
    public var chain: EffectChain { host.running.editor.chain }

    /// Performs `action`; the state after it, or why it was refused (nothing changed then).
    @discardableResult
    public func perform(_ action: ControlAction) throws(ActionError) -> ControlState {
        if action == .measureLatency {
            // Outside the lock: an impulse takes a moment to come round, and other actions need not wait for it.
            let report = try host.measureLatency(chainLatencyFrames: host.running.editor.chain.latencyFrames)
            return try change { (dispatcher: inout Dispatcher) throws(ActionError) in dispatcher.latency = report }
        }
        return try change { (dispatcher: inout Dispatcher) throws(ActionError) in try dispatcher.apply(action) }
    }

    /// Makes the running chain `chain` (a reloaded chain file): what stays keeps running, the rest fades.
    /// Returns what changed, for the log.
    @discardableResult
    public func loadChain(_ chain: ChainDescription) throws(ActionError) -> ChainEditor.Changes {
        var changes = ChainEditor.Changes()
        _ = try change { (dispatcher: inout Dispatcher) throws(ActionError) in changes = try dispatcher.edit(chain) }
        return changes
    }

    /// Runs one change under the lock, counts it, and tells the observers and the session saver.
    private func change(_ body: (inout Dispatcher) throws(ActionError) -> Void) throws(ActionError) -> ControlState {
        let state = try dispatcher.withLock { (dispatcher: inout Dispatcher) throws(ActionError) -> ControlState in
            try body(&dispatcher)
            // An effect removed or replaced takes its editor with it.
            editors.closeAll(except: host.running.editor.chain.slots.map(\.effect))
            return dispatcher.counted()
        }
        tell(state)
        changed.yield()
        if audioChangedDuringAction.exchange(false, ordering: .relaxed) { tellAudioChange() }
        return state
    }

    /// The state now.
    public func state() -> ControlState { dispatcher.withLock { $0.state() } }

    /// The session as it is now (what the next start restores).
    public func session() -> SessionState { dispatcher.withLock { $0.session() } }

    /// Meters, CPU, xruns and latency now; never waits for an action.
    public func telemetry() -> Telemetry {
        let running = host.running, engine = running.engine
        let format = engine.format
        let meters = engine.meters.snapshot(inputChannels: format.inputChannels, outputChannels: format.outputChannels)
        let pipe = host.pipeStatus()
        let chain = running.editor.chain
        return Telemetry(
            inputPeak: meters.inputPeak, outputPeak: meters.outputPeak, outputRMS: meters.outputRMS, clipped: meters.outputClipped,
            cpuLoad: meters.cpuLoad, xruns: meters.overruns, graphXruns: meters.graphSkippedCycles, callbacks: meters.callbacks,
            latencyFrames: chain.latencyFrames + engine.guardLatencyFrames, pipeReaders: pipe?.readers, pipeFillFrames: pipe?.unreadFrames,
            gainReductionDB: chain.slots.map { $0.effect.gainReductionDB.map { max($0, -96) } },
            voiceProbability: chain.slots.map(\.effect.voiceProbability), notes: chain.slots.map(\.effect.note),
            guardReductionDB: meters.guardGain < 1 ? -gainToDecibels(max(meters.guardGain, 1e-5)) : 0,
            loudness: Telemetry.Loudness(
                momentary: meters.loudness.momentary, shortTerm: meters.loudness.shortTerm, integrated: meters.loudness.integrated,
                truePeak: meters.loudness.truePeak, truePeakMax: meters.loudness.truePeakSinceReset))
    }

    /// Calls `observer` with the new state after every change; returns what ``removeObserver(_:)`` takes.
    public func addObserver(_ observer: @escaping @Sendable (ControlState) -> Void) -> UUID {
        let id = UUID()
        observers.withLock { $0[id] = observer }
        return id
    }

    public func removeObserver(_ id: UUID) { _ = observers.withLock { $0.removeValue(forKey: id) } }

    /// Saves the session half a second after a change, and again after the changes that came meanwhile (a fader
    /// dragged saves twice a second at most); returns when the task is cancelled. Runs beside the API, for the
    /// life of the run.
    public func saveSessionAfterChanges() async {
        guard sessionFolder != nil else { return }
        for await _ in changes {
            try? await Task.sleep(for: .milliseconds(500))
            saveSession()
            if Task.isCancelled { return }
        }
    }

    /// Tells the observers (the panel, WebSocket clients) of every change of the audio side the actions did not
    /// make (a server lost or back, a source linked), as a new state; returns when the task is cancelled. Runs
    /// beside the API, for the life of the run.
    public func followAudioChanges() async {
        for await _ in host.changes().dropFirst() { tellAudioChange() }
    }

    /// Takes in what the plugin editors report — controls the user moved (kept in the chain asked for, so presets
    /// and later edits keep them), an editor closed from its window — and tells the observers; returns when the
    /// task is cancelled. Runs beside the API, for the life of the run.
    public func followEditors() async {
        for await report in editors.reports {
            switch report {
            case .changed(let effect, let values):
                _ = try? change { (dispatcher: inout Dispatcher) throws(ActionError) in _ = dispatcher.editorChanged(effect, values) }
            case .closed:
                _ = try? change { (_: inout Dispatcher) throws(ActionError) in }
            }
        }
    }

    /// A new state for an audio change, without waiting for an action under way (a restart holds the lock for
    /// a second): that action tells it when it ends.
    private func tellAudioChange() {
        guard let state = dispatcher.withLockIfAvailable({ $0.counted() }) else {
            return audioChangedDuringAction.store(true, ordering: .relaxed)
        }
        tell(state)
    }

    private func tell(_ state: ControlState) {
        for observer in observers.withLock({ Array($0.values) }) { observer(state) }
    }

    /// Completes a recording under way and saves the session (at the end of a run).
    public func shutdown() {
        editors.closeAll()
        _ = try? host.running.recorder.stop()
        saveSession()
        changed.finish()
    }

    private func saveSession() {
        guard let sessionFolder else { return }
        try? session().save(folder: sessionFolder)
    }
}
