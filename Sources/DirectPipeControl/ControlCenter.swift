import DirectPipeDSP
import DirectPipeEngine
import DirectPipePlugins
import Foundation

/// The one action dispatcher: every control source (the HTTP/WebSocket API, `directpipe ctl`, the web
/// panel) performs its actions here, one at a time, and gets the new state or a precise error back.
/// Chain changes go through the ``ChainEditor`` (no click, what stays keeps running); a slot or preset
/// that cannot be loaded leaves the running chain as it is.
public final class ControlCenter: @unchecked Sendable {
    /// The engine now (another one after `configure_audio`).
    public var engine: Engine { live.engine }
    /// The recorder of the engine now.
    public var recorder: Recorder { live.recorder }
    public let store: PresetStore
    /// Where recordings go (`record_start` takes a file name, never a path).
    public let recordingsFolder: String
    /// The program running the audio side, for changing it and measuring latency (nil: the engine is all there is).
    private let host: (any AudioHost)?
    /// What one engine comes with: swapped whole when the audio side restarts.
    private struct Running {
        var engine: Engine
        var editor: ChainEditor
        var recorder: Recorder
        var factory: EffectFactory

        init(_ engine: Engine, chain: EffectChain, description: ChainDescription, factory: EffectFactory) {
            self.engine = engine
            self.factory = factory
            editor = ChainEditor(engine: engine, chain: chain, description: description)
            recorder = Recorder(engine: engine)
        }
    }
    /// Changed under `lock` and `runningLock`; read under either (telemetry takes only the short one, so a
    /// restart or a latency measurement never holds it up).
    private var running: Running
    private let runningLock = NSLock()
    private var live: Running { runningLock.withLock { running } }
    /// Serialises the actions.
    private let lock = NSLock()
    private var description: ChainDescription
    private var slot: String?
    /// The audio setup asked for through `configure_audio` since the session began (remembered in the session).
    private var audio: RunSettings?
    /// The last latency measured, until the audio side changes.
    private var latency: LatencyReport?
    /// Each output's mute before panic, restored when panic ends.
    private var mutesBeforePanic: [OutputID: Bool]?
    private var version = 0
    private var observers: [UUID: @Sendable (ControlState) -> Void] = [:]
    /// Saves the session half a second after the last change (see ``SessionState``); nil: not saved.
    private let sessionFolder: String?
    private let saving = DispatchQueue(label: "directpipe.session")
    private var changesToSave = 0

    /// `chain` runs in `engine` (an empty chain when there is none: the editor needs one to edit). `audio` is
    /// what the saved session asked for, to be remembered again.
    public init(
        engine: Engine, chain: EffectChain, description: ChainDescription, factory: EffectFactory, store: PresetStore = PresetStore(),
        sessionFolder: String? = nil, slot: String? = nil, audio: RunSettings? = nil, host: (any AudioHost)? = nil
    ) {
        running = Running(engine, chain: chain, description: description, factory: factory)
        self.sessionFolder = sessionFolder
        self.slot = slot
        self.audio = audio
        self.host = host
        self.store = store
        self.description = description
        recordingsFolder = (Recorder.defaultPath() as NSString).deletingLastPathComponent
    }

    /// Completes a recording under way and saves the session (at the end of a run).
    public func shutdown() {
        _ = try? recorder.stop()
        saveSession()
    }

    /// The session as it is now (what the next start restores).
    public func session() -> SessionState {
        lock.withLock {
            let controls = engine.controls
            return SessionState(
                inputGainDB: inputGainDB, inputMuted: controls.isInputMuted,
                outputs: Dictionary(uniqueKeysWithValues: OutputID.allCases.map { id in
                    let output = controls.output(id)
                    // Panic is not remembered: outputs come back as they were before it.
                    let muted = mutesBeforePanic?[id] ?? output.isMuted
                    return (id.rawValue, SessionState.Output(enabled: output.isEnabled, muted: muted, volume: Double(output.volume)))
                }),
                chain: EffectFactory.describe(running.editor.chain), slot: slot, audio: audio)
        }
    }

    private func saveSession() {
        guard let sessionFolder else { return }
        try? session().save(folder: sessionFolder)
    }

    /// Saves half a second after the last of a burst of changes (a fader dragged saves once).
    private func scheduleSave() {
        guard sessionFolder != nil else { return }
        let ticket = lock.withLock { changesToSave += 1; return changesToSave }
        saving.asyncAfter(deadline: .now() + 0.5) { [weak self] in
            guard let self, self.lock.withLock({ self.changesToSave == ticket }) else { return }
            self.saveSession()
        }
    }

    /// Performs `action`; the state after it, or why it was refused (nothing changed then).
    @discardableResult
    public func perform(_ action: ControlAction) throws(ActionError) -> ControlState {
        if action == .measureLatency {
            // Outside the lock: an impulse takes a moment to come round, and other actions need not wait for it.
            guard let host else { throw ActionError(.conflict, "there is no audio host here to measure") }
            let report = try host.measureLatency(chainLatencyFrames: live.editor.chain.latencyFrames)
            return try change { latency = report }
        }
        return try change { () throws(ActionError) in try apply(action) }
    }

    /// Makes the running chain `chain` (a reloaded chain file): what stays keeps running, the rest fades.
    /// Returns what changed, for the log.
    @discardableResult
    public func loadChain(_ chain: ChainDescription) throws(ActionError) -> ChainEditor.Changes {
        var changes: ChainEditor.Changes?
        _ = try change { () throws(ActionError) in changes = try edit(chain) }
        return changes!
    }

    /// The chain running now.
    public var chain: EffectChain { live.editor.chain }

    /// Runs one change under the lock, counts it, and tells the observers the new state.
    private func change(_ body: () throws(ActionError) -> Void) throws(ActionError) -> ControlState {
        lock.lock()
        let state: ControlState
        do {
            defer { lock.unlock() }
            try body()
            version += 1
            state = currentState()
        }
        for observer in lock.withLock({ Array(observers.values) }) { observer(state) }
        scheduleSave()
        return state
    }

    /// The state now.
    public func state() -> ControlState { lock.withLock { currentState() } }

    /// Meters, CPU, xruns and latency now.
    public func telemetry() -> Telemetry {
        let live = self.live, engine = live.engine
        let format = engine.format
        let meters = engine.meters.snapshot(inputChannels: format.inputChannels, outputChannels: format.outputChannels)
        let pipe = host?.pipeStatus()
        return Telemetry(
            inputPeak: meters.inputPeak, outputPeak: meters.outputPeak, outputRMS: meters.outputRMS, clipped: meters.outputClipped,
            cpuLoad: meters.cpuLoad, xruns: meters.overruns, graphXruns: meters.graphSkippedCycles, callbacks: meters.callbacks, latencyFrames: live.editor.chain.latencyFrames,
            pipeReaders: pipe?.readers, pipeFillFrames: pipe?.unreadFrames,
            gainReductionDB: live.editor.chain.slots.map { $0.effect.gainReductionDB.map { max($0, -96) } })
    }

    /// Calls `observer` with the new state after every change; returns what ``removeObserver(_:)`` takes.
    public func addObserver(_ observer: @escaping @Sendable (ControlState) -> Void) -> UUID {
        let id = UUID()
        lock.withLock { observers[id] = observer }
        return id
    }

    public func removeObserver(_ id: UUID) { _ = lock.withLock { observers.removeValue(forKey: id) } }

    // MARK: The actions

    private func apply(_ action: ControlAction) throws(ActionError) {
        let engine = running.engine, controls = engine.controls
        switch action {
        case .setInputGain(let decibels):
            do { controls.inputGain = try InputGain(decibels).linear } catch { throw ActionError(.invalid, "input gain \(error)") }
        case .muteInput(let on):
            controls.isInputMuted = on ?? !controls.isInputMuted
        case .muteOutput(let id, let on):
            let output = controls.output(id)
            output.isMuted = on ?? !output.isMuted
            if mutesBeforePanic != nil { mutesBeforePanic?[id] = output.isMuted }
        case .setOutputVolume(let id, let volume):
            guard (0...4).contains(volume) else { throw ActionError(.invalid, "volume \(volume) is outside 0…4 (linear; 1 is unity)") }
            controls.output(id).volume = Float(volume)
        case .enableOutput(let id, let on):
            controls.output(id).isEnabled = on
        case .panic(let on):
            let engage = on ?? (mutesBeforePanic == nil)
            if engage, mutesBeforePanic == nil {
                mutesBeforePanic = Dictionary(uniqueKeysWithValues: OutputID.allCases.map { ($0, controls.output($0).isMuted) })
                for id in OutputID.allCases { controls.output(id).isMuted = true }
            } else if !engage, let saved = mutesBeforePanic {
                for (id, muted) in saved { controls.output(id).isMuted = muted }
                mutesBeforePanic = nil
            }
        case .bypassEffect(let index, let on):
            try checkEffect(index)
            var next = description
            next.effects[index].bypass = on ?? !next.effects[index].bypass
            try edit(next)
        case .masterBypass(let on):
            var next = description
            next.bypass = on ?? !next.bypass
            try edit(next)
        case .setParameter(let index, let symbol, let value):
            try checkEffect(index)
            let effect = running.editor.chain.slots[index].effect
            guard let parameter = effect.info.parameters.first(where: { $0.symbol == symbol }) else {
                throw ActionError(.notFound, "\(effect.info.id) has no parameter '\(symbol)' (it has: \(effect.info.parameters.map(\.symbol).joined(separator: ", ")))")
            }
            let low = min(parameter.minimum, parameter.maximum), high = max(parameter.minimum, parameter.maximum)
            guard value.isFinite, (low...high).contains(value) else {
                throw ActionError(.invalid, "\(symbol) = \(value) is outside \(low)…\(high)\(parameter.unit.isEmpty ? "" : " \(parameter.unit)")")
            }
            var next = description
            next.effects[index].parameters[symbol] = value
            try edit(next)
        case .addEffect(let id, let at, let parameters):
            let position = at ?? description.effects.count
            guard (0...description.effects.count).contains(position) else {
                throw ActionError(.notFound, "position \(position) is outside 0…\(description.effects.count)")
            }
            var next = description
            next.effects.insert(.init(id: id, parameters: parameters), at: position)
            try edit(next)
        case .removeEffect(let index):
            try checkEffect(index)
            var next = description
            next.effects.remove(at: index)
            try edit(next)
        case .moveEffect(let from, let to):
            try checkEffect(from)
            try checkEffect(to)
            var next = description
            next.effects.insert(next.effects.remove(at: from), at: to)
            try edit(next)
        case .switchSlot(let name):
            let preset = try store.loadSlot(name.uppercased())
            try load(preset)
            slot = name.uppercased()
        case .nextSlot, .previousSlot:
            let filled = store.filledSlots()
            guard !filled.isEmpty else { throw ActionError(.conflict, "no slot holds a preset yet (save one with save_preset to a slot name A–E)") }
            let step = action == .nextSlot ? 1 : -1
            let current = slot.flatMap { filled.firstIndex(of: $0) } ?? (step > 0 ? -1 : filled.count)
            let target = filled[((current + step) % filled.count + filled.count) % filled.count]
            try load(try store.loadSlot(target))
            slot = target
        case .loadPreset(let name):
            try load(try store.loadPreset(name))
        case .savePreset(let name):
            let preset = Preset(name: name, chain: EffectFactory.describe(running.editor.chain), inputGainDB: inputGainDB)
            if PresetStore.slots.contains(name.uppercased()) && name.count == 1 {
                try store.saveSlot(name.uppercased(), preset)
            } else {
                try store.savePreset(preset)
            }
        case .renamePreset(let name, let newName):
            try store.renamePreset(name, to: newName)
        case .deletePreset(let name):
            try store.deletePreset(name)
        case .startRecording(let name):
            let path: String
            if let name {
                let allowed = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: " ._-"))
                let lower = name.lowercased()
                guard name.count <= 64, !name.hasPrefix("."), name.unicodeScalars.allSatisfy(allowed.contains),
                      lower.hasSuffix(".wav") || lower.hasSuffix(".flac")
                else { throw ActionError(.invalid, "'\(name)' is not a recording name (a file name ending in .wav or .flac)") }
                path = "\(recordingsFolder)/\(name)"
            } else {
                path = Recorder.defaultPath()
            }
            try recorder.start(path: path)
        case .stopRecording:
            guard try recorder.stop() != nil else { throw ActionError(.conflict, "not recording") }
        case .resetXruns:
            engine.meters.resetOverruns()
        case .configureAudio(let request):
            try configureAudio(request)
        case .measureLatency:
            break  // in perform(_:), outside the lock
        }
    }

    private var inputGainDB: Double { Double(gainToDecibels(running.engine.controls.inputGain)) }

    /// Restarts the audio side as `request` asks. A recording stops cleanly first (its file completed): the
    /// audio is interrupted either way, and a file cannot change its rate or channels halfway.
    private func configureAudio(_ request: RunSettings) throws(ActionError) {
        if let key = request.givenKeys.first(where: { !RunSettings.audioKeys.contains($0) }) {
            throw ActionError(.invalid, "'\(key)' can't be changed while running (only \(RunSettings.audioKeys.sorted().joined(separator: ", ")))")
        }
        if request.backend == .file {
            throw ActionError(.invalid, "backend 'file' can't be chosen here: a file plays once and ends the run (use `directpipe run --backend file`)")
        }
        guard let host else { throw ActionError(.conflict, "there is no audio host here to reconfigure") }
        _ = try? running.recorder.stop()
        do {
            install(try host.restart(request, chain: description))
        } catch {
            if let restarted = error.restarted { install(restarted) }
            throw error.error
        }
        audio = (audio ?? RunSettings()).overridden(by: request)
    }

    /// Makes `started` the audio side the actions work on.
    private func install(_ started: AudioRunning) {
        runningLock.withLock {
            running = Running(started.engine, chain: started.chain, description: description, factory: started.factory)
        }
        latency = nil  // measured on what ran before
    }

    private func checkEffect(_ index: Int) throws(ActionError) {
        guard description.effects.indices.contains(index) else {
            throw ActionError(.notFound, "no effect \(index) (the chain has \(description.effects.count), numbered from 0)")
        }
    }

    /// Makes the running chain `next` (built before anything changes; a failure leaves the chain alone).
    @discardableResult
    private func edit(_ next: ChainDescription) throws(ActionError) -> ChainEditor.Changes {
        do {
            let factory = running.factory
            let changes = try running.editor.apply(next) { try factory.effect($0) }
            description = next
            return changes
        } catch let error as EffectError {
            switch error {
            case .unknownEffect, .unknownParameter: throw ActionError(.notFound, "\(error)")
            default: throw ActionError(.conflict, "\(error)")
            }
        } catch {
            throw ActionError(.conflict, "\(error)")
        }
    }

    private func load(_ preset: Preset) throws(ActionError) {
        try edit(preset.chain)
        if let gain = preset.inputGainDB.flatMap({ try? InputGain($0) }) { running.engine.controls.inputGain = gain.linear }
    }

    private func currentState() -> ControlState {
        let engine = running.engine, controls = engine.controls
        let chain = running.editor.chain
        let effects = chain.slots.enumerated().map { index, slot in
            ControlState.Effect(
                index: index, id: slot.effect.info.id, name: slot.effect.info.name, bypass: slot.bypass, faulted: slot.faulted,
                latencyFrames: slot.effect.latencyFrames, parameters: slot.effect.values.snapshot)
        }
        return ControlState(
            input: .init(gainDB: (inputGainDB * 100).rounded() / 100, muted: controls.isInputMuted),
            outputs: Dictionary(uniqueKeysWithValues: OutputID.allCases.map { id in
                let output = controls.output(id)
                return (id.rawValue, ControlState.Output(enabled: output.isEnabled, muted: output.isMuted, volume: Double(output.volume)))
            }),
            panic: mutesBeforePanic != nil,
            chain: .init(bypass: chain.bypass, latencyFrames: chain.latencyFrames, effects: effects),
            slot: slot, slots: store.filledSlots(), presets: store.presetNames(),
            format: .init(sampleRate: engine.format.sampleRate, periodFrames: engine.format.periodFrames, channels: engine.format.outputChannels),
            audio: host?.status, latency: latency, recording: running.recorder.status, version: version)
    }
}
