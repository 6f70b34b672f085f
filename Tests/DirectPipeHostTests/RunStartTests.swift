import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import Foundation
import Testing

@testable import DirectPipeHost

/// How a run starts from the config file, the saved session and the flags, in process: which wins for the
/// settings, the controls and the chain.
@Suite struct RunStartTests {
    private func settings(_ json: String) throws -> RunSettings {
        try JSONDecoder().decode(RunSettings.self, from: Data(json.utf8))
    }

    /// A saved session as `session.json` holds it.
    private func session(gainDB: Double = -6, audio: String? = nil, chain: ChainDescription = ChainDescription(effects: [])) throws -> SessionState {
        let chainJSON = String(decoding: try JSONEncoder().encode(chain), as: UTF8.self)
        let json = """
            {"format": 1, "input_gain_db": \(gainDB), "input_muted": true, "slot": "B", "chain": \(chainJSON),
             "outputs": {"monitor": {"enabled": true, "muted": false, "volume": 0.5}, "pipe": {"enabled": true, "muted": true, "volume": 1}}
             \(audio.map { ", \"audio\": \($0)" } ?? "")}
            """
        return try JSONDecoder().decode(SessionState.self, from: Data(json.utf8))
    }

    @Test func theFileThenTheSessionsAudioThenTheFlags() throws {
        let controls = EngineControls()
        let start = try RunStart(
            file: try settings(#"{"backend": "alsa", "rate": 44100, "period": 128, "monitor": "hw:1"}"#),
            flags: try settings(#"{"period": 256}"#),
            session: try session(audio: #"{"period": 64, "monitor": "none", "input": "hw:2"}"#), controls: controls)
        #expect(start.settings.backend == .alsa && start.settings.rate?.value == 44100, "the file's, where nothing later says")
        #expect(start.settings.monitor == Endpoint.none && start.settings.input == .named("hw:2"), "the session's audio over the file")
        #expect(start.settings.period?.value == 256, "the flags over everything")
        #expect(start.slot == "B" && start.audio?.period?.value == 64)
    }

    @Test func theControlsComeBackAsTheSessionLeftThemUnlessGivenNow() throws {
        let restored = EngineControls()
        _ = try RunStart(file: nil, flags: RunSettings(), session: try session(), controls: restored)
        #expect(restored.inputGain == Float(pow(10, -6.0 / 20)) && restored.isInputMuted)
        #expect(restored.monitor.isEnabled && restored.monitor.volume == 0.5 && restored.output(.pipe).isMuted)

        let given = EngineControls()
        _ = try RunStart(
            file: try settings(#"{"gain_db": 3}"#), flags: try settings(#"{"monitor": "none"}"#), session: try session(), controls: given)
        #expect(given.inputGain == Float(pow(10, 3.0 / 20)), "a gain in the file wins over the session's")
        #expect(!given.monitor.isEnabled, "monitor none given now wins over the session's monitor")

        let fresh = EngineControls()
        _ = try RunStart(file: try settings(#"{"monitor": "default"}"#), flags: RunSettings(), session: nil, controls: fresh)
        #expect(fresh.monitor.isEnabled && fresh.inputGain == 1, "no session: the settings alone")
    }

    @Test func theChainSettingWinsOverTheSessionsChainAndABadOneIsOneError() throws {
        let saved = ChainDescription(effects: [.init(id: "gain", parameters: ["gain": -3])])
        let fromSession = try RunStart(file: nil, flags: RunSettings(), session: try session(chain: saved), controls: EngineControls())
        #expect(fromSession.chain == saved)
        let voice = try RunStart(
            file: nil, flags: try settings(#"{"chain": "voice"}"#), session: try session(chain: saved), controls: EngineControls())
        #expect(voice.chain == .voice)
        #expect(try RunStart(file: nil, flags: RunSettings(), session: nil, controls: EngineControls()).chain == nil)
        do {
            _ = try RunStart(file: nil, flags: try settings(#"{"chain": "/no/such/chain.json"}"#), session: nil, controls: EngineControls())
            Issue.record("a missing chain file was taken")
        } catch {
            #expect("\(error)".hasPrefix("chain /no/such/chain.json: "), "\(error)")
        }
    }
}
