import DirectPipeAudio
import Testing

@Suite struct DriftControllerTests {
    /// A simulated pair of clocks: the producer delivers `drift` faster than the consumer takes
    /// (both in 128-frame periods); the controller steers the consumer's ratio from the fill.
    private func simulate(drift: Double, seconds: Double) -> (controller: DriftController, fill: Double, minimum: Double) {
        var controller = DriftController(targetFrames: 288, sampleRate: 48000)
        var fill = 288.0
        var minimum = Double.infinity
        let step = 128.0 / 48000
        for index in 0..<Int(seconds / step) {
            fill += 128 * (1 + drift)  // a producer period arrives
            let ratio = controller.update(fill: fill - 64, elapsed: step)  // measured half a period later
            fill -= 128 / ratio  // the consumer takes one period of output
            if Double(index) * step > seconds / 2 { minimum = min(minimum, fill) }
        }
        return (controller, fill, minimum)
    }

    @Test(arguments: [0.0, 100e-6, -100e-6, 0.005, -0.005])
    func settlesOnTheDriftWithTheFillBackAtItsTarget(drift: Double) {
        let result = simulate(drift: drift, seconds: 60)
        #expect(abs(result.controller.drift - drift) < 5e-6, "estimated \(result.controller.driftPPM) ppm")
        #expect(abs(result.fill - 288) < 140, "fill \(result.fill)")
        #expect(result.minimum > 0, "never ran dry once settled")
    }

    @Test func aWildStartIsBounded() {
        var controller = DriftController(targetFrames: 100, sampleRate: 48000)
        _ = controller.update(fill: 1_000_000, elapsed: 10)
        #expect(controller.drift <= 0.02 && controller.ratio >= 1 / 1.02)
    }

    /// A producer that was late and caught up (a burst of periods at once) is not drift.
    @Test func aBurstDoesNotWindUpTheEstimate() {
        var controller = DriftController(targetFrames: 288, sampleRate: 48000)
        for _ in 0..<2000 { _ = controller.update(fill: 288, elapsed: 128.0 / 48000) }
        _ = controller.update(fill: 288 + 1024, elapsed: 128.0 / 48000)
        #expect(abs(controller.driftPPM) < 200, "\(controller.driftPPM) ppm after one burst")
    }
}
