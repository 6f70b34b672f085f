import CDirectPipeShm
import DirectPipeAudioFile
import DirectPipeEngine
import DirectPipeShm
import Foundation
import Testing

/// The engine's processing, period by period, in one process.
@Suite struct EngineTests {
    /// Controls with the safety guard off: these tests check routing and gains sample for sample, with signals up
    /// to full scale; the guard has tests of its own (here and in SafetyGuardTests).
    private static func unguarded() -> EngineControls {
        let controls = EngineControls()
        controls.isGuardOn = false
        return controls
    }

    /// Runs `input` (interleaved, `channels` per frame) through the engine in periods; returns the pipe output.
    private func process(_ engine: Engine, _ input: [Float], channels: Int) -> [Float] {
        var output: [Float] = []
        let period = engine.format.periodFrames
        input.withUnsafeBufferPointer { samples in
            var frame = 0
            while frame + period <= samples.count / channels {
                engine.process(input: samples.baseAddress! + frame * channels, frames: period, captureTimeNs: dp_monotonic_ns())
                output += engine.output(.pipe)
                frame += period
            }
        }
        return output
    }

    private func noise(_ count: Int) -> [Float] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in Float.random(in: -0.9...0.9, using: &generator) }
    }

    @Test func theGraphsXrunsAreCountedApartFromTheEnginesOwnAndResetTogether() {
        let meters = EngineMeters()
        meters.countOverrun()
        meters.countGraphSkips(7)
        let counted = meters.snapshot(inputChannels: 1, outputChannels: 1)
        #expect(counted.overruns == 1 && counted.graphSkippedCycles == 7)
        meters.resetOverruns()
        let reset = meters.snapshot(inputChannels: 1, outputChannels: 1)
        #expect(reset.overruns == 0 && reset.graphSkippedCycles == 0)
    }

    /// The safety guard keeps every output within the ceiling, after the chain and after each output's volume:
    /// a -6 dBFS tone made +6 dBFS by the chain's gain, and louder again by the monitor's volume.
    @Test func theSafetyGuardKeepsEveryOutputAndTheRecordingUnderTheCeiling() throws {
        let controls = EngineControls()
        controls.chainGain = 4
        controls.monitor.isEnabled = true
        controls.monitor.volume = 4
        controls.virtualMic.volume = 0.5
        controls.isRecording = true
        let engine = try Engine(format: EngineFormat(periodFrames: 128, inputChannels: 2, channelMode: .stereo), controls: controls, pipe: nil)
        let tone = (0..<48000).flatMap { n in [Float](repeating: 0.5 * Float(sin(2 * Double.pi * 440 * Double(n) / 48000)), count: 2) }
        var peaks: [OutputID: Float] = [:]
        tone.withUnsafeBufferPointer { samples in
            for period in 0..<(48000 / 128) {
                engine.process(input: samples.baseAddress! + period * 256, frames: 128, captureTimeNs: dp_monotonic_ns())
                for id in OutputID.allCases { peaks[id] = max(peaks[id] ?? 0, engine.output(id).map(abs).max() ?? 0) }
            }
        }
        let ceiling = EngineControls.defaultGuardCeiling
        for id in OutputID.allCases { #expect((peaks[id] ?? .infinity) <= ceiling, "\(id): \(peaks[id] ?? 0)") }
        #expect((peaks[.pipe] ?? 0) > 0.95 * ceiling, "turned down to the ceiling, not to silence")
        #expect((peaks[.virtualMic] ?? 0) <= 0.5 * ceiling + 1e-6, "a volume below 1 follows the guard")
        var recorded = [Float](repeating: 0, count: 48000 * 2)
        let frames = engine.recordRing.read(into: &recorded, maxFrames: 48000)
        #expect(frames > 40000 && recorded.prefix(frames * 2).allSatisfy { abs($0) <= ceiling }, "the recording too")
        let meters = engine.meters.snapshot(inputChannels: 2, outputChannels: 2)
        #expect(meters.guardGain < 0.5, "the reduction is metered: ×\(meters.guardGain)")

        // Off, the chain's +6 dBFS reaches the pipe (what the guard is for).
        controls.isGuardOn = false
        tone.withUnsafeBufferPointer { engine.process(input: $0.baseAddress! + 4800 * 2, frames: 128, captureTimeNs: dp_monotonic_ns()) }
        #expect((engine.output(.pipe).map(abs).max() ?? 0) > 1.5)
    }

    /// In its true-peak mode the guard after the chain keeps the output's true peak (the engine's own meter's reading)
    /// under the ceiling where the sample mode lets it 3 dB over: a tone at a quarter of the rate whose samples are at
    /// the ceiling. Every output is its lookahead later, whether the guard is on or off.
    @Test func theTruePeakGuardKeepsInterSamplePeaksUnderTheCeilingOneMillisecondLate() throws {
        let ceiling = EngineControls.defaultGuardCeiling
        let tone = (0..<48000).flatMap { n in
            [Float](repeating: ceiling / 0.7071 * Float(sin(Double.pi / 2 * Double(n) + Double.pi / 4)), count: 2)
        }
        for truePeak in [false, true] {
            let engine = try Engine(
                format: EngineFormat(periodFrames: 128, inputChannels: 2, channelMode: .stereo), pipe: nil, truePeakGuard: truePeak)
            #expect(engine.guardLatencyFrames == (truePeak ? 48 : 0))
            _ = process(engine, tone, channels: 2)
            let peak = try #require(engine.meters.snapshot(inputChannels: 2, outputChannels: 2).loudness.truePeakSinceReset)
            if truePeak {
                #expect(peak <= -1, "true-peak mode: \(peak) dBTP")
            } else {
                #expect(peak > -1 + 2.5, "sample mode: \(peak) dBTP")
            }
        }
        let controls = EngineControls()
        controls.isGuardOn = false
        let engine = try Engine(
            format: EngineFormat(periodFrames: 64, inputChannels: 1, channelMode: .mono), controls: controls, pipe: nil, truePeakGuard: true)
        var impulse = [Float](repeating: 0, count: 64)
        impulse[10] = 0.5
        var heard: [Float] = []
        for period in 0..<3 {
            let input = period == 0 ? impulse : [Float](repeating: 0, count: 64)
            input.withUnsafeBufferPointer { engine.process(input: $0.baseAddress!, frames: 64, captureTimeNs: dp_monotonic_ns()) }
            let output = engine.output(.pipe), channels = engine.format.outputChannels
            heard += stride(from: 0, to: output.count, by: channels).map { output[$0] }
        }
        #expect(heard.firstIndex { $0 != 0 } == 10 + 48 && heard[58] == 0.5, "off, the guard still delays by its lookahead and nothing else")
    }

    /// The output's loudness (EBU R 128) in the meters: a −23 dBFS 1 kHz stereo sine reads −23 LUFS momentary,
    /// short-term and integrated and −23 dBTP; a reset starts the integrated reading again from what follows.
    @Test func theOutputsLoudnessIsMeteredAndResets() throws {
        let controls = EngineControls()
        let engine = try Engine(format: EngineFormat(periodFrames: 128, inputChannels: 2, channelMode: .stereo), controls: controls, pipe: nil)
        func tone(_ level: Double, seconds: Double) -> [Float] {
            let amplitude = pow(10, level / 20)
            return (0..<Int(seconds * 48000)).flatMap { n in
                [Float](repeating: Float(amplitude * sin(2 * Double.pi * 1000 * Double(n) / 48000)), count: 2)
            }
        }
        _ = process(engine, tone(-23, seconds: 4), channels: 2)
        let loud = engine.meters.snapshot(inputChannels: 2, outputChannels: 2).loudness
        for value in [loud.momentary, loud.shortTerm, loud.integrated] { #expect(value.map { abs($0 + 23) <= 0.1 } == true, "\(loud)") }
        #expect(loud.truePeak.map { abs($0 + 23) <= 0.2 } == true && loud.truePeakSinceReset.map { abs($0 + 23) <= 0.2 } == true, "\(loud)")
        #expect(engine.meters.snapshot(inputChannels: 2, outputChannels: 2).loudness.truePeak == nil, "the held true peak is cleared by reading")

        _ = process(engine, tone(-200, seconds: 0.1), channels: 2)  // a pause: the true-peak filter's memory empties
        controls.resetLoudness()
        _ = process(engine, tone(-33, seconds: 0.2), channels: 2)
        #expect(engine.meters.snapshot(inputChannels: 2, outputChannels: 2).loudness.integrated == nil, "nothing since the reset yet")
        _ = process(engine, tone(-33, seconds: 2), channels: 2)
        let after = engine.meters.snapshot(inputChannels: 2, outputChannels: 2).loudness
        #expect(after.integrated.map { abs($0 + 33) <= 0.1 } == true, "only what came after the reset: \(after)")
        #expect(after.truePeakSinceReset.map { abs($0 + 33) <= 0.2 } == true, "\(after)")
    }

    @Test func aFileProcessedOfflineIsTheInputTimesTheGain() throws {
        // Through a real WAV file, as the file input will read it.
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dp-engine-\(UUID().uuidString).wav").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let original = noise(48000 * 2)
        let writer = try AudioFileWriter(path: path, sampleRate: 48000, channels: 2)
        try original.withUnsafeBufferPointer { try writer.write($0) }
        try writer.finish()
        let file = try AudioFileContents(path: path)

        let controls = Self.unguarded()
        controls.inputGain = 0.5
        let engine = try Engine(format: EngineFormat(periodFrames: 64, inputChannels: 2, channelMode: .stereo), controls: controls, pipe: nil)
        let output = process(engine, file.samples, channels: 2)
        #expect(output.count == file.samples.count)
        #expect(output == file.samples.map { $0 * 0.5 }, "bit-exact: x × 0.5")
    }

    /// `directpipe latency` on the clock, files and ALSA: the impulse pattern replaces the processed signal (exact
    /// silence for `latencyImpulseSilence` frames, the impulse, as much silence again) across periods shorter than
    /// that, then the signal again (here the input through its gain). Once per request.
    @Test func aLatencyImpulseReplacesTheInputOncePerRequest() throws {
        let controls = Self.unguarded()
        controls.inputGain = 0.5
        let engine = try Engine(format: EngineFormat(periodFrames: 64, inputChannels: 2, channelMode: .stereo), controls: controls, pipe: nil)
        let input = [Float](repeating: 0.25, count: 64 * 2 * 10)
        _ = process(engine, Array(input.prefix(64 * 2)), channels: 2)
        controls.requestLatencyImpulse()
        let output = process(engine, input, channels: 2)
        let silence = Engine.latencyImpulseSilence
        #expect(output[..<(silence * 2)].allSatisfy { $0 == 0 }, "exact silence before, across periods")
        #expect(output[silence * 2] == Engine.latencyImpulseLevel && output[silence * 2 + 1] == Engine.latencyImpulseLevel)
        #expect(output[((silence + 1) * 2)..<((2 * silence + 1) * 2)].allSatisfy { $0 == 0 }, "and after")
        #expect(output[((2 * silence + 1) * 2)...].allSatisfy { $0 == 0.125 }, "then the input again, and no second impulse")
    }

    @Test func monoAveragesTheInputsAndStereoDuplicatesAMonoInput() throws {
        let stereoIn: [Float] = (0..<256).flatMap { [Float($0) / 256, -Float($0) / 512] }
        let mono = try Engine(format: EngineFormat(periodFrames: 128, inputChannels: 2, channelMode: .mono), controls: Self.unguarded(), pipe: nil)
        let averages: [Float] = (0..<256).map { frame in
            let left = Float(frame) / 256, right = -Float(frame) / 512
            return (left + right) * 0.5
        }
        #expect(process(mono, stereoIn, channels: 2) == averages)

        let monoIn: [Float] = (0..<256).map { Float($0) / 256 }
        let stereo = try Engine(
            format: EngineFormat(periodFrames: 128, inputChannels: 1, channelMode: .stereo), controls: Self.unguarded(), pipe: nil)
        #expect(process(stereo, monoIn, channels: 1) == monoIn.flatMap { [$0, $0] })
    }

    @Test func nanAndInfinityNeverReachAnOutput() throws {
        var input = noise(128 * 2 * 4)
        input[10] = .nan
        input[300] = .infinity
        input[700] = -.infinity
        let engine = try Engine(format: EngineFormat(), controls: Self.unguarded(), pipe: nil)
        let output = process(engine, input, channels: 2)
        #expect(output.allSatisfy { $0.isFinite })
        #expect(output[10] == 0 && output[300] == 0 && output[700] == 0)
        let meters = engine.meters.snapshot(inputChannels: 2, outputChannels: 2)
        #expect(meters.nonFiniteSamples == 3)
    }

    @Test func gainChangesRampWithoutAJumpAndMutesReachSilence() throws {
        let controls = Self.unguarded()
        let engine = try Engine(format: EngineFormat(periodFrames: 128), controls: controls, pipe: nil)
        let ones = [Float](repeating: 1, count: 128 * 2)
        #expect(process(engine, ones, channels: 2) == ones)
        controls.pipe.volume = 0.25
        let ramp = process(engine, ones, channels: 2)
        let steps = zip(ramp.dropFirst(2), ramp).map { abs($0 - $1) }
        #expect(steps.max()! < 0.01, "a ramp over the period, not a jump")
        #expect(abs(ramp.last! - 0.25) < 1e-6)
        controls.pipe.isMuted = true
        _ = process(engine, ones, channels: 2)
        #expect(process(engine, ones, channels: 2).allSatisfy { $0 == 0 })
        // The other outputs keep their own settings.
        controls.virtualMic.volume = 2
        _ = process(engine, ones, channels: 2)  // the ramp
        _ = process(engine, ones, channels: 2)
        #expect(engine.output(.virtualMic).allSatisfy { $0 == 2 })
    }

    /// A JACK server may change its buffer size while running: the engine's buffers, laid out for the period's
    /// length, follow it; an output at unity gain shares the processed signal while the others keep their own.
    @Test func periodsOfChangingLengthThroughTheEnginesInputBufferKeepEachOutputsSettings() throws {
        let controls = Self.unguarded()
        controls.virtualMic.isMuted = true
        controls.monitor.isEnabled = true
        controls.monitor.volume = 0.5
        let engine = try Engine(format: EngineFormat(periodFrames: 64), controls: controls, pipe: nil)
        for frames in [64, 64, 256, 7, 8192, 64] {  // the first two let the monitor's gain settle
            let input = engine.inputBuffer(frames: frames)
            let samples = noise(frames * 2)
            input.update(from: samples, count: samples.count)
            engine.process(input: input, frames: frames, captureAgeNs: 1_333_333)
            #expect(engine.output(.pipe).elementsEqual(samples), "\(frames) frames: the pipe at unity gain")
            #expect(engine.output(.virtualMic).allSatisfy { $0 == 0 }, "\(frames) frames: the muted mic")
            if frames != 64 {
                #expect(engine.output(.monitor).elementsEqual(samples.map { $0 * 0.5 }), "\(frames) frames: the monitor at half")
            }
        }
        #expect(engine.meters.snapshot(inputChannels: 2, outputChannels: 2).callbacks == 6)
    }

    @Test func metersReportPeakRMSAndClipping() throws {
        let engine = try Engine(format: EngineFormat(periodFrames: 480), controls: Self.unguarded(), pipe: nil)
        let tone = (0..<4800).flatMap { frame -> [Float] in
            let value = Float(0.5 * sin(2 * Double.pi * 1000 * Double(frame) / 48000))
            return [value, value]
        }
        _ = process(engine, tone, channels: 2)
        var meters = engine.meters.snapshot(inputChannels: 2, outputChannels: 2)
        #expect(abs(meters.outputPeak[0] - 0.5) < 0.001)
        let expectedRMS = Float(0.5) / Float(2).squareRoot()
        #expect(abs(meters.outputRMS[0] - expectedRMS) < 0.001)
        #expect(!meters.outputClipped)
        #expect(meters.callbacks == 10)
        _ = process(engine, [Float](repeating: 1.2, count: 960), channels: 2)
        meters = engine.meters.snapshot(inputChannels: 2, outputChannels: 2)
        #expect(meters.inputClipped && meters.outputClipped)
        #expect(!engine.meters.snapshot(inputChannels: 2, outputChannels: 2).outputClipped, "the clip hold clears once read")
    }

    /// The meters sum four frames at a time: a period whose length is not a multiple of four must count its last
    /// frames too, and a NaN at the input must not hide the input's peak (the output never sees it).
    @Test func metersCountEveryFrameOfAnOddPeriodAndIgnoreNaN() throws {
        let engine = try Engine(format: EngineFormat(periodFrames: 64, inputChannels: 1, channelMode: .mono), controls: Self.unguarded(), pipe: nil)
        let input = engine.inputBuffer(frames: 7)
        let samples: [Float] = [0.1, -0.2, .nan, 0.1, 0.1, 0.1, -0.9]  // the peak in the last frame, past the groups of four
        input.update(from: samples, count: 7)
        engine.process(input: input, frames: 7, captureAgeNs: 0)
        let meters = engine.meters.snapshot(inputChannels: 1, outputChannels: 1)
        #expect(meters.inputPeak[0] == 0.9)
        #expect(meters.outputPeak[0] == 0.9)
        let squares = samples.filter { !$0.isNaN }.map { Double($0) * Double($0) }.reduce(0, +)
        #expect(abs(Double(meters.outputRMS[0]) - (squares / 7).squareRoot()) < 1e-6, "the NaN frame counts as silence")
        #expect(meters.nonFiniteSamples == 1)
    }

    @Test func thePipeCarriesTheProcessedOutput() throws {
        let name = try PipeName("t\(getpid())-engine")
        defer { try? PipeWriter.remove(name) }
        let writer = try PipeWriter(name: name, format: PipeFormat(sampleRate: 48000, channels: 1))
        let reader = try PipeReader(name: name)
        let controls = Self.unguarded()
        controls.inputGain = 2
        let engine = try Engine(format: EngineFormat(periodFrames: 128, inputChannels: 1, channelMode: .mono), controls: controls, pipe: writer)
        let input = noise(128 * 4).map { $0 / 4 }
        _ = process(engine, input, channels: 1)
        var received = [Float](repeating: 0, count: 4096)
        let block = try #require(received.withUnsafeMutableBufferPointer { reader.read(into: $0) })
        #expect(block.frames == 512)
        #expect(Array(received[..<512]) == input.map { $0 * 2 })
    }

    @Test func aPipeOfAnotherFormatIsRefusedByName() throws {
        let name = try PipeName("t\(getpid())-mismatch")
        defer { try? PipeWriter.remove(name) }
        let writer = try PipeWriter(name: name, format: PipeFormat(channels: 2))
        #expect(throws: EngineError.self) {
            try Engine(format: EngineFormat(channelMode: .mono), controls: Self.unguarded(), pipe: writer)
        }
        #expect(throws: EngineError.badSetting("period", "8 is outside 16–8192 frames")) { try EngineFormat(periodFrames: 8) }
    }
}
