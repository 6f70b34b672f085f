import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import Foundation
import Testing

/// The one settings model: every source decodes into it, one merge layers it, its types hold the limits.
@Suite struct RunSettingsTests {
    private func decode(_ json: String) throws -> RunSettings {
        try JSONDecoder().decode(RunSettings.self, from: Data(json.utf8))
    }

    @Test func endpointsAreTypedFromTheirText() throws {
        #expect(try Endpoint(argument: "default") == .default)
        #expect(try Endpoint(argument: "none") == .none)
        #expect(try Endpoint(argument: "alsa:hw:Loopback,0") == .alsa(pcm: "hw:Loopback,0"))
        #expect(try Endpoint(argument: "hw:1,0") == .named("hw:1,0"))
        #expect(try Endpoint(argument: "system:capture_1, system:capture_2").names == ["system:capture_1", "system:capture_2"])
        #expect(throws: SettingProblem.self) { try Endpoint(argument: "") }
        #expect(throws: SettingProblem.self) { try Endpoint(argument: "alsa:") }
        for text in ["default", "none", "alsa:hw:1", "tone:440"] { #expect(try Endpoint(argument: text).description == text) }
    }

    @Test func limitsAreHeldByTheTypes() throws {
        #expect(try SampleRate(argument: "44100").value == 44100)
        #expect(throws: SettingProblem("7999 is outside 8000–384000 Hz")) { try SampleRate(7999) }
        #expect(throws: SettingProblem("8 is outside 16–8192 frames")) { try PeriodFrames(argument: "8") }
        #expect(throws: SettingProblem("must be a whole number of Hz, not 'fast'")) { try SampleRate(argument: "fast") }
        #expect(throws: SettingProblem("25 is outside -60–24 dB")) { try InputGain(25) }
        #expect(try InputGain(-6).linear == Float(pow(10, -6.0 / 20)))
        #expect(InputGain(clamping: 99).value == 24 && InputGain(clamping: .nan).value == 0)
        #expect(try OutputChannels(1).channelMode == .mono)
        #expect(throws: SettingProblem("3 is outside -24–0 dBFS")) { try GuardCeiling(3) }
        #expect(try decode(#"{"guard": true, "guard_ceiling_db": -3}"#).guardCeiling?.linear == Float(pow(10, -3.0 / 20)))
        #expect(throws: SettingProblem("'asio' is not one of auto, pipewire, jack, alsa, file, clock")) { try BackendChoice(argument: "asio") }
    }

    /// What is encoded decodes to the same settings (the saved session's "audio" and `configure_audio` depend on it).
    @Test func settingsSurviveJSON() throws {
        let settings = try decode(
            #"{"backend": "jack", "input": "none", "monitor": "alsa:hw:2", "rate": 44100, "gain_db": -3.5, "virtual_mic": false, "mic_to": "a:b,c:d"}"#
        )
        let again = try decode(String(decoding: try JSONEncoder().encode(settings), as: UTF8.self))
        #expect(again == settings)
        #expect(settings.monitor == .alsa(pcm: "hw:2") && settings.input == Endpoint.none && settings.micTo?.names == ["a:b", "c:d"])
        #expect(settings.givenKeys == ["backend", "input", "rate", "gain_db", "mic_to", "monitor", "virtual_mic"])
        #expect(try decode(#"{"rate": null}"#) == RunSettings(), "null is as absent")
    }

    @Test func oneMergeLayersEverySource() throws {
        let file = try decode(#"{"backend": "alsa", "input": "hw:1", "rate": 44100, "monitor": "hw:1"}"#)
        let session = try decode(#"{"monitor": "none", "period": 64}"#)
        let flags = try decode(#"{"rate": 96000}"#)
        let merged = file.overridden(by: session).overridden(by: flags)
        #expect(merged.backend == .alsa && merged.input == .named("hw:1") && merged.monitor == Endpoint.none)
        #expect(merged.rate?.value == 96000 && merged.period?.value == 64)
        #expect(file.overridden(by: RunSettings()) == file)
    }

    /// `configure_audio` takes the audio keys only, beside its "action", with the same checks and words.
    @Test func anAudioRequestTakesOnlyTheAudioKeys() throws {
        let good = try JSONDecoder().decode(ControlAction.self, from: Data(#"{"action": "configure_audio", "rate": 44100, "monitor": "none"}"#.utf8))
        guard case .configureAudio(let request) = good else { Issue.record("\(good)"); return }
        #expect(request.rate?.value == 44100 && request.monitor == Endpoint.none && request.givenKeys == ["rate", "monitor"])
        let encoded = String(decoding: try JSONEncoder().encode(good), as: UTF8.self)
        #expect(try JSONDecoder().decode(ControlAction.self, from: Data(encoded.utf8)) == good, "\(encoded)")
        for (json, expected) in [
            (#"{"action": "configure_audio", "rate": 5}"#, "rate 5 is outside 8000–384000 Hz"),
            (#"{"action": "configure_audio", "pipe": "x"}"#, "pipe can't be set here"),
            (#"{"action": "configure_audio", "chanels": 1}"#, "chanels is not a setting (did you mean 'channels'?)"),
            (#"{"action": "configure_audio", "backend": "sndio"}"#, "backend 'sndio' is not one of"),
        ] {
            do {
                _ = try JSONDecoder().decode(ControlAction.self, from: Data(json.utf8))
                Issue.record("accepted \(json)")
            } catch {
                #expect(JSONProblem.describe(error, in: Data(json.utf8)).contains(expected), "\(error)")
            }
        }
    }
}
