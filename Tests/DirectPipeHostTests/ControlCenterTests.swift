import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import DirectPipeShm
import Foundation
import Synchronization
import Testing

@testable import DirectPipeHost

/// The dispatcher in process, over a real host on the internal clock: actions reach the engine that runs now,
/// a restart leaves one owner of what runs (the host) with the chain carried over, refusals change nothing.
@Suite(.serialized) struct ControlCenterTests {
    private func perform(_ center: ControlCenter, _ json: String) throws -> ControlState {
        try center.perform(try JSONDecoder().decode(ControlAction.self, from: Data(json.utf8)))
    }

    /// The error `json` is refused with (nil: it was performed).
    private func refusal(_ center: ControlCenter, _ json: String) throws -> ActionError? {
        let action = try JSONDecoder().decode(ControlAction.self, from: Data(json.utf8))
        do { try center.perform(action) } catch { return error }
        return nil
    }

    @Test func actionsReachTheRunningEngineAndRefusalsChangeNothing() throws {
        let (host, name) = try runningHost(LogLines())
        defer { stop(host, name) }
        let center = ControlCenter(host: host, description: ChainDescription(effects: []))
        let states = Mutex<[Int]>([])
        let id = center.addObserver { state in states.withLock { $0.append(state.version) } }
        defer { center.removeObserver(id) }

        let gained = try perform(center, #"{"action": "set_input_gain", "decibels": -6}"#)
        #expect(host.running.engine.controls.inputGain == Float(pow(10, -6.0 / 20)) && gained.input.gainDB == -6)
        let added = try perform(center, #"{"action": "add_effect", "id": "gain", "parameters": {"gain": -20}}"#)
        #expect(added.chain.effects.map(\.id) == ["gain"] && host.running.editor.chain.slots.count == 1)

        let before = center.state()
        #expect(try refusal(center, #"{"action": "set_input_gain", "decibels": 30}"#)?.message == "input gain 30 is outside -60–24 dB")
        #expect(try refusal(center, #"{"action": "configure_audio", "backend": "file"}"#)?.kind == .invalid)
        #expect(try refusal(center, #"{"action": "remove_effect", "effect": 5}"#)?.kind == .notFound)
        #expect(center.state() == before, "a refusal changes nothing, not even the version")
        #expect(states.withLock { $0 } == [1, 2], "observers hear each change once, in order")
    }

    /// configure_audio restarts the host; the chain is built again in the new engine, the dispatcher works on it
    /// at once (nothing of the old engine kept anywhere), and the request is remembered for the session.
    @Test func aRestartLeavesOneOwnerAndCarriesTheChain() throws {
        let (host, name) = try runningHost(LogLines())
        defer { stop(host, name) }
        let center = ControlCenter(host: host, description: ChainDescription(effects: []))
        _ = try perform(center, #"{"action": "add_effect", "id": "gain", "parameters": {"gain": -20}}"#)
        let oldEngine = host.running.engine

        let changed = try perform(center, #"{"action": "configure_audio", "period": 256, "channels": 1}"#)
        #expect(changed.format.periodFrames == 256 && changed.format.channels == 1)
        #expect(center.engine === host.running.engine && center.engine !== oldEngine)
        #expect(changed.chain.effects.map(\.id) == ["gain"] && center.chain.slots.first?.effect.values.snapshot["gain"] == -20)
        #expect(callbacks(of: host, reach: 10), "the new engine runs")
        _ = try perform(center, #"{"action": "set_parameter", "effect": 0, "symbol": "gain", "value": -10}"#)
        #expect(host.running.editor.chain.slots.first?.effect.values.snapshot["gain"] == -10, "edits reach the new chain")
        #expect(center.session().audio == (try request(#"{"period": 256, "channels": 1}"#)))

        // A restart that fails puts back what ran: same format, same chain, refused as a conflict.
        let failed = try refusal(center, #"{"action": "configure_audio", "monitor": "no_such_card"}"#)
        #expect(failed?.kind == .conflict && failed?.message.hasSuffix("(what ran before runs again)") == true, "\(String(describing: failed))")
        let after = center.state()
        #expect(after.format.periodFrames == 256 && after.chain.effects.map(\.id) == ["gain"])
        #expect(center.session().audio?.monitor == nil, "what failed is not remembered")
    }

    /// measure_latency on the clock: the engine puts the impulse after its input, the host finds it in its own pipe
    /// and times it; the report is in the state until the audio side changes. (A period is the least it can be:
    /// the engine gets a period once it is complete; nothing here is compared with the wall clock.)
    @Test func latencyIsMeasuredThroughTheRunningPipeAndForgottenOnRestart() throws {
        let (host, name) = try runningHost(LogLines())
        defer { stop(host, name) }
        let center = ControlCenter(host: host, description: ChainDescription(effects: []))
        #expect(callbacks(of: host, reach: 10))
        let measured = try perform(center, #"{"action": "measure_latency"}"#)
        let latency = try #require(measured.latency)
        #expect(latency.backend == "engine" && latency.periodFrames == 128 && latency.writerPid == getpid(), "\(latency)")
        #expect((latency.pipeReadableMs ?? 0) >= 128_000.0 / 48000, "at least the period: \(latency)")
        _ = try perform(center, #"{"action": "configure_audio", "period": 64}"#)
        #expect(center.state().latency == nil, "measured on what ran before")
    }

    /// The session is written after a change by the saver that runs beside the API, and once more at shutdown.
    /// set_guard moves the ceiling and switch the engine uses, shows them in the state, and refuses a ceiling out
    /// of range by name; reset_loudness reaches the engine; the telemetry carries the loudness and guard figures.
    @Test func theGuardIsSetAndTheLoudnessResetThroughActions() throws {
        let (host, name) = try runningHost(LogLines())
        defer { stop(host, name) }
        let center = ControlCenter(host: host, description: ChainDescription(effects: []))
        let set = try perform(center, #"{"action": "set_guard", "ceiling_db": -3}"#)
        #expect(set.safetyGuard.on && set.safetyGuard.ceilingDB == -3)
        #expect(abs(host.running.engine.controls.guardCeiling - Float(pow(10, -3.0 / 20))) < 1e-6)
        #expect(center.session().guardCeilingDB == -3 && center.session().guardOn == true)
        let off = try perform(center, #"{"action": "set_guard", "on": false}"#)
        #expect(off.safetyGuard.on == false && !host.running.engine.controls.isGuardOn && off.safetyGuard.ceilingDB == -3)
        #expect(try refusal(center, #"{"action": "set_guard", "ceiling_db": -30}"#)?.message == "guard ceiling -30 is outside -24–0 dBFS")
        #expect(try refusal(center, #"{"action": "set_guard"}"#)?.kind == .invalid)

        let resets = host.running.engine.controls.loudnessResets
        _ = try perform(center, #"{"action": "reset_loudness"}"#)
        #expect(host.running.engine.controls.loudnessResets == resets + 1)
        let telemetry = try JSONSerialization.jsonObject(with: JSONEncoder().encode(center.telemetry())) as? [String: Any]
        #expect(telemetry?["loudness"] is [String: Any] && telemetry?["guard_reduction_db"] as? Double == 0, "\(telemetry ?? [:])")
        #expect(telemetry?["voice_probability"] as? [Any] != nil, "\(telemetry ?? [:])")
    }

    /// DeepFilterNet falling behind real time says so in the telemetry while it happens (the state's note, live):
    /// a worker made slower than real time (an injected pause per frame) in the chain the engine runs on the clock.
    @Test func aNoteShowsInTheTelemetryWhileItHolds() throws {
        guard case .success(let library) = DeepFilterLibrary.shared else {
            Issue.record("DeepFilterNet is missing (scripts/install-deps.sh installs it)")
            return
        }
        let (host, name) = try runningHost(LogLines())
        defer { stop(host, name) }
        let center = ControlCenter(host: host, description: ChainDescription(effects: []))
        #expect(center.telemetry().notes == [])
        let format = host.running.engine.format
        try host.running.editor.apply(ChainDescription(effects: [.init(id: "gain"), .init(id: "deepfilter")])) { entry in
            entry.id == "gain"
                ? try BuiltinEffects.make("gain", channels: 2, sampleRate: 48000, maxFrames: EngineFormat.maxPeriodFrames)
                : try DeepFilterEffect(
                    library: library, rnnoise: nil, channels: 2, sampleRate: 48000, maxFrames: EngineFormat.maxPeriodFrames, live: true,
                    periodFrames: format.periodFrames, workerDelay: .milliseconds(15))
        }
        var notes = center.telemetry().notes, polls = 0
        while notes.last??.contains("stands in") != true, polls < 400 {  // up to 20 s: a guard against a hang
            usleep(50_000)
            polls += 1
            notes = center.telemetry().notes
        }
        #expect(notes.count == 2 && notes[0] == nil, "\(notes)")
        #expect(notes.last??.hasPrefix("behind real time: the dry signal stands in (handed over") == true, "\(notes)")
        let telemetry = try JSONSerialization.jsonObject(with: JSONEncoder().encode(center.telemetry())) as? [String: Any]
        #expect((telemetry?["notes"] as? [Any])?.count == 2, "\(telemetry ?? [:])")
    }

    /// set_guard's true_peak restarts the engine with the guard in that mode (its lookahead is latency the engine is
    /// built with), the switch and ceiling carried over; the state and the telemetry's latency say so; asking the mode
    /// it is in restarts nothing.
    @Test func theGuardsTruePeakModeRestartsTheEngineAndAddsItsLookahead() throws {
        let (host, name) = try runningHost(LogLines())
        defer { stop(host, name) }
        let center = ControlCenter(host: host, description: ChainDescription(effects: []))
        _ = try perform(center, #"{"action": "add_effect", "id": "gate"}"#)
        let before = host.running.engine
        let changed = try perform(center, #"{"action": "set_guard", "true_peak": true, "ceiling_db": -2}"#)
        let set = changed.safetyGuard
        #expect(set.on && set.ceilingDB == -2 && set.truePeak && set.latencyFrames == 48, "\(set)")
        #expect(host.running.engine !== before && host.running.engine.guardLatencyFrames == 48)
        #expect(center.telemetry().latencyFrames == 144 + 48, "the gate's lookahead and the guard's")
        #expect(center.session().audio?.guardTruePeak == true, "remembered for the next start")
        let engine = host.running.engine
        let refused = try refusal(center, #"{"action": "set_guard", "true_peak": false, "ceiling_db": -40}"#)
        #expect(refused?.kind == .invalid && host.running.engine === engine, "a ceiling out of range: refused before any restart")
        _ = try perform(center, #"{"action": "set_guard", "true_peak": true, "on": false}"#)
        #expect(host.running.engine === engine && !engine.controls.isGuardOn, "the mode it is in: no restart")
        let back = try perform(center, #"{"action": "set_guard", "true_peak": false}"#)
        let unset = back.safetyGuard
        #expect(!unset.on && unset.ceilingDB == -2 && !unset.truePeak && unset.latencyFrames == 0, "\(unset)")
        #expect(center.telemetry().latencyFrames == 144)
    }

    /// One-click voice: the ready voice chain (DeepFilterNet here: scripts/install-deps.sh installs it) into the current
    /// slot, switched to, the guard on; edited, then pressed again, it is the voice chain again; a wrong slot is refused.
    @Test func oneClickVoicePutsTheVoiceChainInASlotAndRestoresIt() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dp-voice-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (host, name) = try runningHost(LogLines())
        defer { stop(host, name) }
        let center = ControlCenter(host: host, description: ChainDescription(effects: []), store: PresetStore(folder: folder))
        _ = try perform(center, #"{"action": "set_guard", "on": false}"#)
        let voice = try perform(center, #"{"action": "voice", "slot": "B"}"#)
        let ids = VoiceChain.best().chain.effects.map(\.id)
        #expect(ids.contains("deepfilter") && ids.contains("autogain"))
        #expect(voice.chain.effects.map(\.id) == ids && voice.slot == "B" && voice.slots == ["B"] && voice.safetyGuard.on, "\(voice)")
        _ = try perform(center, #"{"action": "remove_effect", "effect": 1}"#)
        #expect(center.state().chain.effects.count == ids.count - 1)
        #expect(try perform(center, #"{"action": "voice"}"#).chain.effects.map(\.id) == ids, "pressed again (the current slot): restored")
        #expect(try refusal(center, #"{"action": "voice", "slot": "Z"}"#)?.kind == .invalid)
    }

    @Test func theSessionIsSavedAfterChanges() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dp-center-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let (host, name) = try runningHost(LogLines())
        defer { stop(host, name) }
        let center = ControlCenter(host: host, description: ChainDescription(effects: []), sessionFolder: folder)
        let saver = Task { await center.saveSessionAfterChanges() }
        defer { saver.cancel() }

        _ = try perform(center, #"{"action": "mute_input", "on": true}"#)
        var saved: SessionState?
        for _ in 0..<200 where saved?.inputMuted != true {  // waits for the state, at most 10 s
            try await Task.sleep(for: .milliseconds(50))
            saved = try SessionState.load(folder: folder)
        }
        #expect(saved?.inputMuted == true)
        _ = try perform(center, #"{"action": "set_output_volume", "output": "pipe", "volume": 0.5}"#)
        center.shutdown()
        #expect(try SessionState.load(folder: folder)?.outputs["pipe"]?.volume == 0.5, "written at shutdown without waiting")
    }
}
