import DirectPipeDSP
import Foundation
import Testing

/// A model's fixed 48 kHz frames inside a chain at any rate: nothing runs dry whatever the block sizes, an impulse
/// comes out exactly `latencyFrames` later, and a tone keeps its level through both resamplers.
@Suite struct ModelFrameStreamTests {
    /// Runs `input` through `stream` with an identity model, in blocks of random sizes up to `maxFrames`.
    func passThrough(_ stream: ModelFrameStream, _ input: [Float], maxFrames: Int, seed: UInt64) -> (output: [Float], frames: Int) {
        var noise = Noise(state: seed)
        var output: [Float] = [], modelFrames = 0, start = 0
        let block = UnsafeMutablePointer<Float>.allocate(capacity: maxFrames)
        defer { block.deallocate() }
        while start < input.count {
            let count = min(Int.random(in: 1...maxFrames, using: &noise), input.count - start)
            for index in 0..<count { block[index] = input[start + index] }
            stream.process(block, frames: count) { _ in modelFrames += 1 }
            output += UnsafeBufferPointer(start: block, count: count)
            start += count
        }
        return (output, modelFrames)
    }

    @Test(arguments: [48000.0, 44100, 96000, 16000, 22050, 192000])
    func anImpulseComesOutAfterTheLatencyAndNothingRunsDry(rate: Double) throws {
        let stream = try ModelFrameStream(chainRate: rate, modelRate: 48000, frameSize: 480, maxFrames: 512)
        var input = [Float](repeating: 0, count: Int(rate))
        input[Int(rate) / 3] = 1
        let (output, frames) = passThrough(stream, input, maxFrames: 512, seed: 7)
        #expect(stream.underruns == 0)
        let peak = try #require(output.indices.max { abs(output[$0]) < abs(output[$1]) })
        #expect(abs(peak - Int(rate) / 3 - stream.latencyFrames) <= 1, "peak at \(peak), latency \(stream.latencyFrames)")
        // Every sample reached the model: a second at 48 kHz is 100 frames, less those still gathering or held back.
        #expect(frames >= 100 - 1 - (stream.latencyFrames * 48000 / Int(rate)) / 480 - 1 && frames <= 100, "\(frames) frames")
    }

    @Test(arguments: [48000.0, 44100, 96000, 16000])
    func aToneKeepsItsLevel(rate: Double) throws {
        let stream = try ModelFrameStream(chainRate: rate, modelRate: 48000, frameSize: 480, maxFrames: 256)
        let input = sine(997, amplitude: 0.5, frames: Int(rate), sampleRate: rate)
        let (output, _) = passThrough(stream, input, maxFrames: 256, seed: 3)
        let settled = output.count / 2
        let change = decibels(rms(output[settled...]) / rms(input[settled...]))
        #expect(abs(change) < 0.1, "\(change) dB at \(rate) Hz")
        // And it is the same tone, delayed: the residual after lining it up is far below it.
        let delay = stream.latencyFrames
        let residual = zip(output[settled...], input[(settled - delay)...]).map { $0 - $1 }
        #expect(decibels(rms(residual[...]) / rms(input[settled...])) < -30, "residual at \(rate) Hz")
    }
}
