import DirectPipeDSP
import Foundation
import Testing

/// The filters measured with sines against their design: a Butterworth's
/// closed form |H|² = 1 / (1 + (Ω/Ωc)^±2n), Ω = tan(πf/fs) (the bilinear
/// transform), and the EQ's gains at its bands' centres.
@Suite struct FilterTests {
    let rate = 48000.0

    /// The steady-state gain of `effect` at `hertz`, in dB (after 0.5 s of settling).
    func measuredGain(_ effect: AudioEffect, at hertz: Double) -> Double {
        effect.reset()
        let frames = 48000
        let input = sine(hertz, amplitude: 0.25, frames: frames)
        let output = run(effect, [input, input])
        let settled = frames / 2
        // Whole periods only, so the RMS of a sine is exact.
        let period = rate / hertz
        let span = Int((Double(frames - settled) / period).rounded(.down) * period)
        return decibels(rms(output[0][settled..<settled + span]) / rms(input[settled..<settled + span]))
    }

    func butterworth(_ hertz: Double, corner: Double, order: Int, highPass: Bool) -> Double {
        let ratio = tan(Double.pi * hertz / rate) / tan(Double.pi * corner / rate)
        let power = pow(highPass ? 1 / ratio : ratio, Double(2 * order))
        return 10 * log10(1 / (1 + power))
    }

    @Test(arguments: [(PassFilterEffect.Response.highPass, 100.0, 24), (.highPass, 80, 12), (.lowPass, 5000, 12), (.lowPass, 8000, 48)])
    func passFiltersMatchTheButterworthDesign(response: PassFilterEffect.Response, corner: Double, slope: Int) throws {
        let filter = PassFilterEffect(response, channels: 2, sampleRate: rate, maxFrames: 64)
        try filter.set("frequency", Float(corner))
        try filter.set("slope", Float(slope))
        for hertz in [40.0, 100, 250, 1000, 3000, 5000, 8000, 12000] {
            let expected = butterworth(hertz, corner: corner, order: slope / 6, highPass: response == .highPass)
            guard expected > -60 else { continue }  // deeper than that, float noise is the measurement
            let measured = measuredGain(filter, at: hertz)
            #expect(abs(measured - expected) < 0.1, "\(response) \(corner) Hz \(slope) dB/oct at \(hertz) Hz: \(measured) dB, design \(expected) dB")
        }
    }

    @Test func equalizerBandsHitTheirGainsAndMatchTheDesignedResponse() throws {
        let eq = EqualizerEffect(channels: 2, sampleRate: rate, maxFrames: 64)
        try eq.set("b1_gain", -6)
        try eq.set("b3_freq", 1000)
        try eq.set("b3_gain", 6)
        try eq.set("b3_q", 2)
        try eq.set("b5_gain", 4)
        _ = run(eq, [[Float](repeating: 0, count: 9600), [Float](repeating: 0, count: 9600)])  // let the smoothing land
        #expect(abs(measuredGain(eq, at: 1000) - 6) < 0.1)
        for hertz in [30.0, 100, 300, 1000, 2500, 6000, 15000] {
            let designed = decibels(eq.magnitude(at: hertz))
            let measured = measuredGain(eq, at: hertz)
            #expect(abs(measured - designed) < 0.1, "at \(hertz) Hz: \(measured) dB, design \(designed) dB")
        }
        #expect(decibels(eq.magnitude(at: 20)) < -5.5)  // the low shelf's plateau
        #expect(decibels(eq.magnitude(at: 20000)) > 3.5)  // the high shelf's
    }

    @Test func aFlatEqualizerIsBitTransparent() {
        let eq = EqualizerEffect(channels: 1, sampleRate: rate, maxFrames: 64)
        let input = sine(440, frames: 4800)
        #expect(run(eq, [input])[0] == input)
    }

    @Test func aCornerSweepHasNoSteps() throws {
        let filter = PassFilterEffect(.lowPass, channels: 1, sampleRate: rate, maxFrames: 64)
        try filter.set("frequency", 8000)
        let input = sine(200, amplitude: 0.5, frames: 4800)
        var output = run(filter, [input])[0]
        try filter.set("frequency", 300)  // a big jump: the corner glides, the signal must not step
        output += run(filter, [sine(200, amplitude: 0.5, frames: 4800).map { $0 }])[0]
        let steps = zip(output.dropFirst(), output).map { abs($0 - $1) }
        let natural = Float(2 * Double.pi * 200 / rate) * 0.5  // the sine's own largest step
        #expect(steps.max()! < natural * 1.5)
    }
}
