import DirectPipeDSP
import DirectPipeEngine
import DirectPipePlugins
import Foundation

/// What the actions change and the state they are answered with: the chain asked for, the slot, the audio
/// setup chosen, the last latency measured, panic. A value, changed only inside ``ControlCenter``'s lock, one
/// action at a time; what runs it asks the ``AudioHost`` for (never a copy of its own).
struct Dispatcher {
    let host: any AudioHost
    let store: PresetStore
    /// The plugin editors open.
    let editors: PluginEditors
    /// Where recordings go (`record_start` takes a file name, never a path).
    let recordingsFolder: String
    /// The chain asked for (what a restart builds again in the new format).
    var description: ChainDescription
    var slot: String?
    /// The audio setup asked for through `configure_audio` since the session began (remembered in the session).
    var audio: RunSettings?
    /// The last latency measured, until the audio side changes.
    var latency: LatencyReport?
    /// Each output's mute before panic, restored when panic ends.
    var mutesBeforePanic: [OutputID: Bool]?
    /// Counts the changes: a client sees whether its state is the newest.
    var version = 0

    /// Performs `action` (but `measure_latency`, which ``ControlCenter`` runs outside the lock).
    mutating func apply(_ action: ControlAction) throws(ActionError) {
        let running = host.running, engine = running.engine, controls = engine.controls
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
                throw ActionError(
                    .notFound,
                    "\(effect.info.id) has no parameter '\(symbol)' (it has: \(effect.info.parameters.map(\.symbol).joined(separator: ", ")))")
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
                let lower = name.lowercased()
                guard name.count <= 64, !name.hasPrefix("."), name.unicodeScalars.allSatisfy(PresetStore.nameCharacters.contains),
                    lower.hasSuffix(".wav") || lower.hasSuffix(".flac")
                else { throw ActionError(.invalid, "'\(name)' is not a recording name (a file name ending in .wav or .flac)") }
                path = "\(recordingsFolder)/\(name)"
            } else {
                path = Recorder.defaultPath()
            }
            try running.recorder.start(path: path)
        case .stopRecording:
            guard try running.recorder.stop() != nil else { throw ActionError(.conflict, "not recording") }
        case .resetXruns:
            engine.meters.resetOverruns()
        case .setGuard(let on, let ceiling, let truePeak):
            guard on != nil || ceiling != nil || truePeak != nil else {
                throw ActionError(.invalid, "set_guard needs \"on\", \"ceiling_db\", \"true_peak\" or more of them")
            }
            var linear: Float?
            if let ceiling {
                do { linear = try GuardCeiling(ceiling).linear } catch { throw ActionError(.invalid, "guard ceiling \(error)") }
            }
            if let truePeak, truePeak != (engine.guardLatencyFrames > 0) {
                // Its lookahead is latency the engine is built with: the audio side restarts (the controls carry over),
                // before anything else changes, so that a restart refused leaves the guard as it was.
                var request = RunSettings()
                request.guardTruePeak = truePeak
                try configureAudio(request)
            }
            if let linear { controls.guardCeiling = linear }
            if let on { controls.isGuardOn = on }
        case .resetLoudness:
            controls.resetLoudness()
        case .voice(let asked):
            let target = (asked ?? slot ?? "A").uppercased()
            guard PresetStore.slots.contains(target) else {
                throw ActionError(.invalid, "'\(asked ?? "")' is not a slot (\(PresetStore.slots.joined(separator: ", ")))")
            }
            let preset = Preset(name: target, chain: VoiceChain.best().chain), previous = description
            try load(preset)
            do {
                try store.saveSlot(target, preset)
            } catch {
                try? edit(previous)  // refused: the chain that ran runs again
                throw error
            }
            slot = target
            controls.isGuardOn = true
        case .configureAudio(let request):
            try configureAudio(request)
        case .measureLatency:
            break  // in perform(_:), outside the lock
        case .openEditor(let index):
            try checkEffect(index)
            let effect = running.editor.chain.slots[index].effect
            // Titled with the effect's name and format: the same plugin may be in the chain in two formats.
            let title = "\(effect.info.name) (\(effect.info.format.rawValue.uppercased())) — DirectPipe"
            do { try editors.open(effect, title: title) } catch { throw ActionError(.conflict, "\(error)") }
        case .closeEditor(let index):
            try checkEffect(index)
            guard editors.close(running.editor.chain.slots[index].effect) else {
                throw ActionError(.conflict, "effect \(index)'s editor is not open")
            }
        }
    }

    private var inputGainDB: Double { Double(gainToDecibels(host.running.engine.controls.inputGain)) }

    /// Restarts the audio side as `request` asks. A recording stops cleanly first (its file completed): the
    /// audio is interrupted either way, and a file cannot change its rate or channels halfway.
    private mutating func configureAudio(_ request: RunSettings) throws(ActionError) {
        if let key = request.givenKeys.first(where: { !RunSettings.audioKeys.contains($0) }) {
            throw ActionError(.invalid, "'\(key)' can't be changed while running (only \(RunSettings.audioKeys.sorted().joined(separator: ", ")))")
        }
        if request.backend == .file {
            throw ActionError(
                .invalid, "backend 'file' can't be chosen here: a file plays once and ends the run (use `directpipe run --backend file`)")
        }
        let before = host.running
        _ = try? before.recorder.stop()
        // Measured on what ran before: gone once anything new runs (the request's, or what ran, started again).
        defer { if host.running !== before { latency = nil } }
        try host.restart(request, chain: description)
        audio = (audio ?? RunSettings()).overridden(by: request)
    }

    /// The session as it is now (what the next start restores).
    func session() -> SessionState {
        let controls = host.running.engine.controls
        return SessionState(
            inputGainDB: inputGainDB, inputMuted: controls.isInputMuted,
            outputs: Dictionary(
                uniqueKeysWithValues: OutputID.allCases.map { id in
                    let output = controls.output(id)
                    // Panic is not remembered: outputs come back as they were before it.
                    let muted = mutesBeforePanic?[id] ?? output.isMuted
                    return (id.rawValue, SessionState.Output(enabled: output.isEnabled, muted: muted, volume: Double(output.volume)))
                }),
            chain: EffectFactory.describe(host.running.editor.chain), slot: slot, audio: audio, guardOn: controls.isGuardOn,
            guardCeilingDB: guardCeilingDB)
    }

    /// The guard's ceiling in dBFS, to a hundredth.
    private var guardCeilingDB: Double { (Double(gainToDecibels(host.running.engine.controls.guardCeiling)) * 100).rounded() / 100 }

    private func checkEffect(_ index: Int) throws(ActionError) {
        guard description.effects.indices.contains(index) else {
            throw ActionError(.notFound, "no effect \(index) (the chain has \(description.effects.count), numbered from 0)")
        }
    }

    /// Makes the running chain `next` (built before anything changes; a failure leaves the chain alone).
    @discardableResult
    mutating func edit(_ next: ChainDescription) throws(ActionError) -> ChainEditor.Changes {
        do {
            let running = host.running, factory = running.factory
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

    private mutating func load(_ preset: Preset) throws(ActionError) {
        try edit(preset.chain)
        if let gain = preset.inputGainDB.flatMap({ try? InputGain($0) }) { host.running.engine.controls.inputGain = gain.linear }
    }

    /// Takes in what the user moved in `effect`'s editor (its values are the effect's already): the chain asked for
    /// holds them from now on, so later edits and presets keep them. False when the effect left the chain.
    mutating func editorChanged(_ effect: AudioEffect, _ values: [String: Float]) -> Bool {
        guard let index = host.running.editor.chain.slots.firstIndex(where: { $0.effect === effect }),
            description.effects.indices.contains(index)
        else { return false }
        description.effects[index].parameters.merge(values) { $1 }
        return true
    }

    /// One more change counted, and the state after it.
    mutating func counted() -> ControlState {
        version += 1
        return state()
    }

    /// The state now.
    func state() -> ControlState {
        let running = host.running, engine = running.engine, controls = engine.controls
        let chain = running.editor.chain
        let effects = chain.slots.enumerated().map { index, slot in
            ControlState.Effect(
                index: index, id: slot.effect.info.id, name: slot.effect.info.name, bypass: slot.bypass, faulted: slot.faulted,
                latencyFrames: slot.effect.latencyFrames, parameters: slot.effect.values.snapshot, note: slot.effect.note,
                editor: !PluginEditors.hasEditor(slot.effect) ? .none : editors.isOpen(slot.effect) ? .open : .closed)
        }
        return ControlState(
            input: .init(gainDB: (inputGainDB * 100).rounded() / 100, muted: controls.isInputMuted),
            outputs: Dictionary(
                uniqueKeysWithValues: OutputID.allCases.map { id in
                    let output = controls.output(id)
                    return (id.rawValue, ControlState.Output(enabled: output.isEnabled, muted: output.isMuted, volume: Double(output.volume)))
                }),
            panic: mutesBeforePanic != nil,
            chain: .init(bypass: chain.bypass, latencyFrames: chain.latencyFrames, effects: effects),
            slot: slot, slots: store.filledSlots(), presets: store.presetNames(),
            format: .init(sampleRate: engine.format.sampleRate, periodFrames: engine.format.periodFrames, channels: engine.format.outputChannels),
            audio: host.status, latency: latency, recording: running.recorder.status,
            safetyGuard: .init(
                on: controls.isGuardOn, ceilingDB: guardCeilingDB, truePeak: engine.guardLatencyFrames > 0,
                latencyFrames: engine.guardLatencyFrames), version: version)
    }
}
