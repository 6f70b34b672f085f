import CDirectPipeShm
import DirectPipeAudio
import DirectPipeEngine
import Foundation
import Testing

@Suite struct ClockBackendTests {
    /// The internal clock keeps real time: over 10 s its callbacks are within 1 % of rate/period
    /// (deadlines come from the frame count, so there is no drift to accumulate).
    @Test func pacedWithinOnePercentOverTenSeconds() throws {
        let engine = try Engine(format: EngineFormat(sampleRate: 48000, periodFrames: 128), pipe: nil)
        let clock = ClockBackend(input: .silence)
        let start = dp_monotonic_ns()
        try clock.start(engine)
        Thread.sleep(forTimeInterval: 10)
        clock.stop()
        let elapsed = Double(dp_monotonic_ns() - start) / 1e9
        let callbacks = Double(engine.meters.snapshot(inputChannels: 2, outputChannels: 2).callbacks)
        let expected = elapsed * 48000 / 128
        print("clock backend: \(Int(callbacks)) callbacks in \(elapsed) s, expected \(Int(expected))")
        #expect(abs(callbacks - expected) / expected < 0.01)
    }

    @Test func feedsATone() throws {
        let engine = try Engine(format: EngineFormat(periodFrames: 480), pipe: nil)
        let clock = ClockBackend(input: .tone(hertz: 1000))
        try clock.start(engine)
        Thread.sleep(forTimeInterval: 0.3)
        clock.stop()
        let meters = engine.meters.snapshot(inputChannels: 2, outputChannels: 2)
        #expect(abs(meters.outputPeak[0] - 0.5) < 0.01, "a -6 dBFS tone")
        #expect(clock.startReport != nil)
    }

    @Test func badInputsAreClearErrors() throws {
        #expect(throws: BackendError.badInput("'tone:abc': expected tone:HZ with HZ a positive number")) { try ClockInput("tone:abc") }
        let engine = try Engine(format: EngineFormat(), pipe: nil)
        #expect(throws: BackendError.self) { try ClockBackend(input: .file(path: "/nonexistent.wav")).start(engine) }
    }
}
