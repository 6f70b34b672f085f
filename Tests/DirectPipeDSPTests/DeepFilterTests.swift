import DirectPipeDSP
import Foundation
import Testing

/// DeepFilterNet 3 on the runtime the project's scripts install: noise removed offline and live; live, the model
/// runs on its worker and the output is the offline output a slack later; a worker slower than real time hands over
/// to the stand-in without a gap or a step; a missing runtime is named.
@Suite(.serialized) struct DeepFilterTests {
    func library() throws -> DeepFilterLibrary {
        switch DeepFilterLibrary.shared {
        case .success(let library): return library
        case .failure(let missing): throw missing  // scripts/install-deps.sh installs it: a test machine must have it
        }
    }

    /// Runs `input` (on every channel) through a live effect in blocks of `block` frames, calling `after` between
    /// blocks (to pace the test); returns each channel's output.
    func runLive(_ effect: DeepFilterEffect, _ input: [Float], block: Int = 480, after: () -> Void) -> [[Float]] {
        let buffer = PlanarBuffer(channels: effect.channels, capacity: block)
        var output = [[Float]](repeating: [], count: effect.channels)
        for start in stride(from: 0, to: input.count - block + 1, by: block) {
            for channel in 0..<effect.channels {
                for index in 0..<block { buffer[channel][index] = input[start + index] }
            }
            effect.process(buffer.pointers, frames: block)
            for channel in 0..<effect.channels { output[channel] += UnsafeBufferPointer(start: buffer[channel], count: block) }
            after()
        }
        return output
    }

    func hiss(_ frames: Int) -> [Float] {
        var noise = Noise(state: 21)
        return (0..<frames).map { _ in noise.sample(0.05) }
    }

    @Test func offlineItRemovesHissAndTheVoiceComesOutWhereTheLatencySays() throws {
        let effect = try DeepFilterEffect(library: try library(), rnnoise: nil, channels: 1, sampleRate: 48000, maxFrames: 128, live: false)
        #expect(effect.latencyFrames == 480 + 3 * 480)
        let noise = hiss(96000)
        let cleaned = run(effect, [noise], block: 128)[0]
        let reduction = decibels(rms(cleaned[48000...]) / rms(noise[48000...]))
        #expect(reduction < -20, "\(reduction) dB")
        print("DeepFilterNet: white noise down \(String(format: "%.1f", -reduction)) dB")
        // A voice-like glide of harmonics in syllables (never periodic for long) comes out where the latency says.
        var phase = 0.0
        let voice = (0..<48000 * 2).map { n -> Float in
            let t = Double(n) / 48000
            phase += 2 * Double.pi * (140 + 40 * sin(2 * Double.pi * 0.7 * t) + 20 * sin(2 * Double.pi * 3.1 * t)) / 48000
            return Float((1...12).reduce(0.0) { $0 + sin(Double($1) * phase) / Double($1) } * 0.12 * max(0, sin(2 * Double.pi * 2.5 * t)))
        }
        let fresh = try DeepFilterEffect(library: try library(), rnnoise: nil, channels: 1, sampleRate: 48000, maxFrames: 128, live: false)
        let best = bestLag(voice, run(fresh, [voice], block: 128)[0], around: fresh.latencyFrames, from: 24000, count: 12000)
        #expect(best.map { abs($0 - fresh.latencyFrames) <= 3 } == true, "voice at \(best ?? -1), latency \(fresh.latencyFrames)")
    }

    /// Live and caught up (the test waits for the workers after each period): never a hand-over, and each channel's
    /// output is the offline output a slack later, bit for bit, in periods of one frame and of two frames and more.
    @Test(arguments: [480, 1024])
    func liveOnTimeItIsTheOfflineOutputASlackLater(period: Int) throws {
        let offline = try DeepFilterEffect(library: try library(), rnnoise: nil, channels: 1, sampleRate: 48000, maxFrames: 480, live: false)
        let live = try DeepFilterEffect(
            library: try library(), rnnoise: try RNNoiseLibrary.shared.get(), channels: 2, sampleRate: 48000, maxFrames: period, live: true,
            periodFrames: period)
        #expect(live.slack == (period == 480 ? 2 : 4) && live.latencyFrames == offline.latencyFrames + live.slack * 480)
        let input = hiss(48000 * 2).enumerated().map { n, x in x * 0.3 + 0.2 * Float(sin(Double(n) * 0.02)) * Float(n % 9600 < 4800 ? 1 : 0) }
        let reference = run(offline, [input], block: 480)[0]
        let outputs = runLive(live, input, block: period) {
            var waited = 0
            while !live.workersCaughtUp, waited < 10_000 {  // a guard against a hang, not a measure
                usleep(200)
                waited += 1
            }
        }
        #expect(live.handovers == 0 && !live.isStandingIn)
        let slack = live.slack * 480
        for output in outputs {
            let differing = zip(output[slack...], reference).filter { $0 != $1 }.count
            #expect(differing == 0, "\(differing) samples differ from the offline output")
        }
    }

    /// A worker 15 ms late on every 10 ms frame: the effect hands over (to the dry signal here, so the two differ) and
    /// the output never stops and never steps: on a 200 Hz tone, no sample-to-sample step beyond the tone's own.
    @Test func aSlowWorkerHandsOverWithoutAGapOrAStep() throws {
        let effect = try DeepFilterEffect(
            library: try library(), rnnoise: nil, channels: 1, sampleRate: 48000, maxFrames: 480, live: true, workerDelay: .milliseconds(15))
        let tone = (0..<48000 * 2).map { 0.3 * Float(sin(2 * Double.pi * 200 * Double($0) / 48000)) }
        let output = runLive(effect, tone) { usleep(10_000) }[0]  // about real time; the worker is slower whatever the machine does
        #expect(effect.handovers >= 1 && effect.isStandingIn, "handovers \(effect.handovers)")
        let settled = output[(effect.latencyFrames + 4800)...]
        let natural = Float(2 * Double.pi * 200 / 48000) * 0.3
        let steps = zip(settled.dropFirst(), settled).map { abs($0 - $1) }
        #expect((steps.max() ?? 1) <= natural * 1.2, "largest step \(steps.max() ?? 1), the tone's own \(natural)")
        var longestSilence = 0, run = 0
        for sample in settled {
            run = abs(sample) < 1e-4 ? run + 1 : 0
            longestSilence = max(longestSilence, run)
        }
        #expect(longestSilence < 48, "a gap of \(longestSilence) samples")
        print("DeepFilterNet with a slow worker: \(effect.handovers) hand-over(s) to \(effect.standInName), largest step \(steps.max() ?? 0)")
    }

    @Test func aMissingRuntimeIsNamedWithHowToGetIt() {
        guard case .failure(let missing) = DeepFilterLibrary.load(environment: ["DIRECTPIPE_DEEPFILTER": "/nonexistent"]) else {
            Issue.record("a missing folder loaded")
            return
        }
        #expect(missing.tried == ["/nonexistent/DeepFilterNet3_onnx.tar.gz: not found"])
        #expect(missing.description.contains("scripts/fetch-deepfilter.sh"))
    }
}
