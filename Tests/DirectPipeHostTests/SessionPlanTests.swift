import DirectPipeControl
import DirectPipeDSP
import Testing

@testable import DirectPipeHost

/// Backend choice as a function of the settings and what answers on the machine (a probe the test gives).
@Suite struct SessionPlanTests {
    /// A machine where the given things answer, and nothing else.
    private func machine(pipeWire: Bool = false, jack: (sampleRate: Int, period: Int)? = nil, alsa: Bool = false) -> BackendProbe {
        BackendProbe(pipeWireAnswers: { pipeWire }, jackServer: { _ in jack }, alsaCaptureOpens: { _ in alsa })
    }

    private func settings(_ backend: BackendChoice? = nil, _ change: (inout RunSettings) throws -> Void = { _ in }) rethrows -> RunSettings {
        var settings = RunSettings()
        settings.backend = backend
        try change(&settings)
        return settings
    }

    @Test func autoTakesPipeWireThenJackThenAlsaThenTheClock() throws {
        let everything = try SessionPlan(settings(), chain: nil, probe: machine(pipeWire: true, jack: (48000, 256), alsa: true))
        #expect(everything.kind.isPipeWire && everything.reason == "auto: a PipeWire daemon answers")
        let jack = try SessionPlan(settings(), chain: nil, probe: machine(jack: (44100, 256), alsa: true))
        guard case .jack(44100, 256) = jack.kind else { Issue.record("\(jack.kind)"); return }
        #expect(jack.reason == "auto: no PipeWire; a JACK server is running")
        let alsa = try SessionPlan(settings(), chain: nil, probe: machine(alsa: true))
        guard case .alsa = alsa.kind else { Issue.record("\(alsa.kind)"); return }
        #expect(alsa.reason == "auto: no PipeWire or JACK; ALSA's 'default' device opens")
        let clock = try SessionPlan(settings(), chain: nil, probe: machine())
        guard case .clock = clock.kind else { Issue.record("\(clock.kind)"); return }
        #expect(clock.reason == "auto: no PipeWire, no JACK server, no ALSA capture device")
    }

    @Test func theJackServerDecidesRateAndPeriodAndThePlanSaysSo() throws {
        let plan = try SessionPlan(
            settings(.jack) {
                $0.rate = try SampleRate(44100); $0.period = try PeriodFrames(64)
            }, chain: nil, probe: machine(jack: (48000, 256)))
        #expect(plan.format.sampleRate == 48000 && plan.format.periodFrames == 256)
        #expect(plan.notes == ["the JACK server runs at 48000 Hz, not 44100", "the JACK server's period is 256 frames, not 64"])
    }

    @Test func aBackendAskedForThatDoesNotAnswerIsOneClearError() {
        #expect(throws: RunError.self) { try SessionPlan(settings(.jack), chain: nil, probe: machine(pipeWire: true)) }
        do {
            _ = try SessionPlan(settings(.pipewire), chain: nil, probe: machine(jack: (48000, 128)))
            Issue.record("planned PipeWire with no daemon")
        } catch {
            #expect("\(error)".hasPrefix("no PipeWire daemon answers"), "\(error)")
        }
    }

    /// Each backend reads an endpoint in its own terms; one it cannot use is refused before anything starts.
    @Test func endpointsMeanWhatTheBackendCanUse() throws {
        let silent = try SessionPlan(settings(.clock) { $0.input = Endpoint.none }, chain: nil, probe: machine())
        guard case .clock(.silence) = silent.kind else { Issue.record("\(silent.kind)"); return }
        let tone = try SessionPlan(settings(.clock), chain: nil, probe: machine())
        guard case .clock(.tone(440)) = tone.kind else { Issue.record("\(tone.kind)"); return }
        #expect(throws: RunError.self) { try SessionPlan(settings(.clock) { $0.input = .alsa(pcm: "hw:1") }, chain: nil, probe: machine()) }
        #expect(throws: RunError.self) { try SessionPlan(settings(.alsa) { $0.input = Endpoint.none }, chain: nil, probe: machine()) }
        #expect(throws: RunError.self) { try SessionPlan(settings(.file), chain: nil, probe: machine()) }
        #expect(try SessionPlan.alsaCapture(.alsa(pcm: "hw:2,0")) == "hw:2,0" && SessionPlan.alsaCapture(nil) == "default")
        // auto looks for ALSA's capture device where the input says.
        let alsa = try SessionPlan(settings { $0.input = .named("hw:3,0") }, chain: nil, probe: machine(alsa: true))
        #expect(alsa.reason == "auto: no PipeWire or JACK; ALSA's 'hw:3,0' device opens")
        #expect(try !SessionPlan(settings(.clock) { $0.monitor = Endpoint.none }, chain: nil, probe: machine()).settings.monitorIsOn)
        #expect(try SessionPlan(settings(.clock) { $0.monitor = .default }, chain: nil, probe: machine()).settings.monitorIsOn)
    }

    /// The virtual mic goes into PipeWire through a bridge only when the engine runs elsewhere and a daemon answers.
    @Test func theVirtualMicBridgeIsPlannedOnlyWhereItCanWork() throws {
        #expect(try SessionPlan(settings(.clock), chain: nil, probe: machine(pipeWire: true)).virtualMicBridge)
        #expect(try !SessionPlan(settings(.clock), chain: nil, probe: machine()).virtualMicBridge)
        #expect(try !SessionPlan(settings(.clock) { $0.virtualMic = false }, chain: nil, probe: machine(pipeWire: true)).virtualMicBridge)
        #expect(try !SessionPlan(settings(.pipewire), chain: nil, probe: machine(pipeWire: true)).virtualMicBridge)
    }

    @Test func theChainIsBuiltInThePlansFormat() throws {
        let plan = try SessionPlan(
            settings(.clock) {
                $0.channels = try OutputChannels(1); $0.rate = try SampleRate(44100)
            }, chain: .voice, probe: machine())
        let chain = try #require(plan.chain)
        #expect(plan.format.outputChannels == 1 && plan.format.sampleRate == 44100)
        #expect(chain.chain.slots.count == ChainDescription.voice.effects.count)
    }
}
