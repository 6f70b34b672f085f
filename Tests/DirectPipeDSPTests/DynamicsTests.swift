import DirectPipeDSP
import Foundation
import Testing

/// Gate, compressor, limiter and de-esser against what they are designed to do.
@Suite struct DynamicsTests {
    let rate = 48000.0

    @Test func compressorFollowsItsStaticCurve() throws {
        let compressor = CompressorEffect(channels: 1, sampleRate: rate, maxFrames: 64)
        try compressor.set("threshold", -20)
        try compressor.set("ratio", 4)
        try compressor.set("knee", 0)
        try compressor.set("makeup", 3)
        try compressor.set("detector", 0)  // peak: a DC level is its own peak
        for level in stride(from: -40.0, through: 0, by: 5) {
            compressor.reset()
            let dc = [Float](repeating: Float(pow(10, level / 20)), count: 24000)
            let out = run(compressor, [dc])[0]
            let measured = decibels(Double(out.last!))
            let expected = (level > -20 ? -20 + (level + 20) / 4 : level) + 3
            #expect(abs(measured - expected) < 0.05, "input \(level) dB: \(measured) dB, curve \(expected) dB")
            // The meter shows the reduction (without the makeup gain).
            let reduction = Double(try #require(compressor.gainReductionDB))
            #expect(abs(reduction - (expected - 3 - level)) < 0.05, "input \(level) dB: meter \(reduction) dB")
        }
        // And the soft knee: its formula's value halfway into the knee.
        try compressor.set("knee", 10)
        compressor.reset()
        let out = run(compressor, [[Float](repeating: Float(pow(10, -20.0 / 20)), count: 24000)])[0]
        let expected = Double(CompressorEffect.curve(-20, threshold: -20, ratio: 4, knee: 10)) + 3
        #expect(abs(decibels(Double(out.last!)) - expected) < 0.05)
        #expect(abs(expected - (-20 + (1.0 / 4 - 1) * 25 / 20 + 3)) < 1e-4)
    }

    @Test func gateOpensBeforeTheWordAndClosesAfterHoldAndRelease() throws {
        let gate = GateEffect(channels: 1, sampleRate: rate, maxFrames: 64)
        try gate.set("threshold", -40)
        try gate.set("range", -60)
        try gate.set("attack", 0.5)
        try gate.set("hold", 50)
        try gate.set("release", 20)
        let latency = gate.latencyFrames
        #expect(latency == 144)  // 3 ms lookahead
        var noise = Noise(state: 1)
        let start = 9600, end = 19200, frames = 43200
        let input = (0..<frames).map { n -> Float in
            n >= start && n < end ? 0.3 * Float(sin(2 * Double.pi * 1000 * Double(n) / rate)) : noise.sample(0.001)  // −60 dBFS hiss
        }
        let out = run(gate, [input])[0]
        func gain(_ frame: Int) -> Double {  // the gain applied to input frame `frame`, from a 1 ms window
            rms(out[(frame + latency)..<(frame + latency + 48)]) / rms(input[frame..<frame + 48])
        }
        #expect(gain(2000) < 0.002, "closed on hiss")
        #expect(gain(start) > 0.85, "the word's first millisecond passes: \(gain(start))")
        #expect(gain(start + 4800) > 0.99)
        #expect(gain(end + 2000) > 0.9, "held open for 50 ms after the word: \(gain(end + 2000))")
        #expect(gain(end + 2400 + 4800) < 0.01, "closed 100 ms after hold ends: \(gain(end + 2400 + 4800))")
    }

    /// The lookahead is the gate's latency, set when it is prepared: open, the output is the input exactly that late.
    @Test func theGatesLookaheadIsItsLatency() throws {
        for (milliseconds, frames) in [(0, 0), (3, 144), (10, 480)] {
            let gate = GateEffect(channels: 1, sampleRate: rate, maxFrames: 64)
            try gate.set("threshold", -80)
            try gate.set("lookahead", Float(milliseconds))
            gate.prepare()
            #expect(gate.latencyFrames == frames)
            let input = sine(440, amplitude: 0.5, frames: 9600)
            let out = run(gate, [input])[0]
            let error = (4800..<9600).map { abs(out[$0] - input[$0 - frames]) }.max()!
            #expect(error < 1e-6, "\(milliseconds) ms: the output is the input \(frames) frames late (largest difference \(error))")
        }
    }

    @Test func theExpanderTurnsEachDecibelUnderTheThresholdIntoRatioDecibels() throws {
        let expander = GateEffect(channels: 1, sampleRate: rate, maxFrames: 64)
        try expander.set("threshold", -40)
        try expander.set("range", -60)
        try expander.set("hold", 0)
        try expander.set("ratio", 2)
        for (level, expected) in [(-50.0, -60.0), (-45.0, -50.0), (-35.0, -35.0)] {
            expander.reset()
            let input = sine(1000, amplitude: Float(pow(10, level / 20)), frames: 48000)
            let out = run(expander, [input])[0]
            let measured = decibels(Double(out[24000...].map(abs).max()!))
            #expect(abs(measured - expected) < 1, "\(level) dBFS in: \(measured) dBFS out, expected \(expected)")
        }
    }

    @Test func limiterNeverExceedsItsCeiling() throws {
        let limiter = LimiterEffect(channels: 2, sampleRate: rate, maxFrames: 64)
        let ceiling = Float(pow(10, -1.0 / 20))
        var noise = Noise(state: 7)
        let frames = 48000
        let signals: [[Float]] = [
            sine(100, amplitude: 4, frames: frames),  // +12 dB
            (0..<frames).map { $0 % 4800 < 2400 ? 1.5 : -1.5 },  // full-scale square beyond 0 dBFS
            (0..<frames).map { $0 % 997 == 0 ? 8 : noise.sample(0.2) },  // single-sample spikes, +18 dB
            (0..<frames).map { _ in noise.sample(3) },
        ]
        for (index, signal) in signals.enumerated() {
            limiter.reset()
            let out = run(limiter, [signal, signal.map { -$0 * 0.5 }])
            let peak = out.flatMap { $0 }.map(abs).max()!
            #expect(peak <= ceiling, "signal \(index): peak \(peak) over the ceiling \(ceiling)")
            #expect(peak > ceiling * 0.9, "signal \(index): limited, not muted")
            if index == 0 { #expect((limiter.gainReductionDB ?? 0) < -10, "the +12 dB sine: the meter shows the limiting") }
        }
        #expect(EqualizerEffect(channels: 1, sampleRate: rate, maxFrames: 64).gainReductionDB == nil, "an EQ has no such meter")
    }

    @Test func limiterLeavesQuietSignalsExactlyAlone() {
        let limiter = LimiterEffect(channels: 1, sampleRate: rate, maxFrames: 64)
        let input = sine(440, amplitude: 0.5, frames: 9600)
        let out = run(limiter, [input])[0]
        let latency = limiter.latencyFrames
        #expect(Array(out[latency...]) == Array(input[..<(input.count - latency)]))
    }

    @Test func deEsserTurnsDownSibilanceOnly() throws {
        let deEsser = DeEsserEffect(channels: 1, sampleRate: rate, maxFrames: 64)
        try deEsser.set("threshold", -30)
        try deEsser.set("reduction", 10)
        let low = sine(300, amplitude: 0.3, frames: 24000)
        #expect(run(deEsser, [low])[0].elementsEqual(low, by: { abs($0 - $1) < 1e-6 }), "a voice band below threshold passes")
        deEsser.reset()
        let hiss = sine(8000, amplitude: 0.3, frames: 24000)
        let out = run(deEsser, [hiss])[0]
        let reduction = decibels(rms(out[12000...]) / rms(hiss[12000...]))
        print("de-esser: \(reduction) dB")
        #expect(reduction < -6 && reduction > -10.5, "8 kHz sibilance at −10 dBFS turned down by \(reduction) dB")
    }

    @Test func noiseSuppressionLowersStationaryNoise() throws {
        let denoiser = try NoiseSuppressorEffect(channels: 1, sampleRate: rate, maxFrames: 64)
        try denoiser.set("suppression", -30)
        var noise = Noise(state: 3)
        let frames = 48000 * 6
        // A voice-like signal: a 150 Hz buzz with harmonics, in 400 ms syllables with 400 ms gaps, over white noise at −40 dBFS RMS.
        let voice = (0..<frames).map { n -> Float in
            guard (n / 19200) % 2 == 1 else { return 0 }
            return (1...8).reduce(Float(0)) { $0 + 0.1 / Float($1) * Float(sin(2 * Double.pi * 150 * Double($1 * n) / rate)) }
        }
        let hiss = (0..<frames).map { _ in noise.sample(0.0173) }
        let input = zip(voice, hiss).map { $0 + $1 }
        let out = run(denoiser, [input])[0]
        let latency = denoiser.latencyFrames
        #expect(latency == 480)
        // The last gap (after 5 s to let the noise estimate settle) and the syllable before it.
        let gap = (4 * 19200 * 3 + 2000)..<(4 * 19200 * 3 + 17000)
        let syllable = (4 * 19200 * 3 - 17000)..<(4 * 19200 * 3 - 2000)
        let noiseReduction = decibels(rms(out[(gap.lowerBound + latency)..<(gap.upperBound + latency)]) / rms(input[gap]))
        let voiceChange = decibels(rms(out[(syllable.lowerBound + latency)..<(syllable.upperBound + latency)]) / rms(input[syllable]))
        print("noise suppression: noise \(noiseReduction) dB, voice \(voiceChange) dB")
        #expect(noiseReduction < -12, "stationary noise lowered by \(noiseReduction) dB")
        #expect(abs(voiceChange) < 3, "the voice kept within 3 dB (\(voiceChange) dB)")
    }
}
