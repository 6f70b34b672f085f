import DirectPipeControl
import DirectPipeDSP
@testable import DirectPipeHost
import Testing

/// Backend choice as a function of the settings and what answers on the machine (a probe the test gives).
@Suite struct SessionPlanTests {
    /// A machine where the given things answer, and nothing else.
    private func machine(pipeWire: Bool = false, jack: (sampleRate: Int, period: Int)? = nil, alsa: Bool = false) -> BackendProbe {
        BackendProbe(pipeWireAnswers: { pipeWire }, jackServer: { _ in jack }, alsaCaptureOpens: { _ in alsa })
    }

    private func settings(_ backend: String? = nil, _ change: (inout RunSettings) -> Void = { _ in }) -> RunSettings {
        var settings = RunSettings()
        settings.backend = backend
        change(&settings)
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
        let plan = try SessionPlan(settings("jack") { $0.rate = 44100; $0.period = 64 }, chain: nil, probe: machine(jack: (48000, 256)))
        #expect(plan.format.sampleRate == 48000 && plan.format.periodFrames == 256)
        #expect(plan.notes == ["the JACK server runs at 48000 Hz, not 44100", "the JACK server's period is 256 frames, not 64"])
    }

    @Test func aBackendAskedForThatDoesNotAnswerIsOneClearError() {
        #expect(throws: RunError.self) { try SessionPlan(settings("jack"), chain: nil, probe: machine(pipeWire: true)) }
        do {
            _ = try SessionPlan(settings("pipewire"), chain: nil, probe: machine(jack: (48000, 128)))
            Issue.record("planned PipeWire with no daemon")
        } catch {
            #expect("\(error)".hasPrefix("no PipeWire daemon answers"), "\(error)")
        }
        do {
            _ = try SessionPlan(settings("pulse"), chain: nil, probe: machine())
            Issue.record("planned an unknown backend")
        } catch {
            #expect("\(error)" == "unknown backend 'pulse': expected auto, pipewire, jack, alsa, clock or file")
        }
    }

    /// The virtual mic goes into PipeWire through a bridge only when the engine runs elsewhere and a daemon answers.
    @Test func theVirtualMicBridgeIsPlannedOnlyWhereItCanWork() throws {
        #expect(try SessionPlan(settings("clock"), chain: nil, probe: machine(pipeWire: true)).virtualMicBridge)
        #expect(try !SessionPlan(settings("clock"), chain: nil, probe: machine()).virtualMicBridge)
        #expect(try !SessionPlan(settings("clock") { $0.virtualMic = false }, chain: nil, probe: machine(pipeWire: true)).virtualMicBridge)
        #expect(try !SessionPlan(settings("pipewire"), chain: nil, probe: machine(pipeWire: true)).virtualMicBridge)
    }

    @Test func theChainIsBuiltInThePlansFormat() throws {
        let plan = try SessionPlan(settings("clock") { $0.channels = 1; $0.rate = 44100 }, chain: .voice, probe: machine())
        let chain = try #require(plan.chain)
        #expect(plan.format.outputChannels == 1 && plan.format.sampleRate == 44100)
        #expect(chain.chain.slots.count == ChainDescription.voice.effects.count)
    }
}
