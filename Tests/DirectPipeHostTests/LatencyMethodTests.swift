import DirectPipeControl
import Testing

@testable import DirectPipeHost

/// How `directpipe latency` measures from outside: in the graph the host runs in, or by the engine's own impulse.
@Suite struct LatencyMethodTests {
    @Test func autoMeasuresInTheGraphThatAnswersElseByTheEngine() {
        let pipeWire = BackendProbe(pipeWireAnswers: { true }, jackServer: { _ in (48000, 128) }, alsaCaptureOpens: { _ in true })
        let jackOnly = BackendProbe(pipeWireAnswers: { false }, jackServer: { _ in (48000, 128) }, alsaCaptureOpens: { _ in true })
        #expect(LatencyMeasurement.Method(.auto, jackServer: nil, probe: pipeWire) == .pipewire)
        #expect(LatencyMeasurement.Method(.auto, jackServer: nil, probe: jackOnly) == .jack)
        #expect(LatencyMeasurement.Method(.auto, jackServer: nil, probe: clockOnly) == .engine)
        for backend in [BackendChoice.clock, .file, .alsa] {
            #expect(LatencyMeasurement.Method(backend, jackServer: nil, probe: pipeWire) == .engine, "\(backend): said so, the engine")
        }
        #expect(LatencyMeasurement.Method(.jack, jackServer: nil, probe: pipeWire) == .jack)
    }
}
