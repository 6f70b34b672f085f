import DirectPipeEngine
import Testing

@Suite struct SampleRingTests {
    @Test func framesComeOutInOrderAcrossTheWrap() {
        let ring = SampleRing(channels: 2, minimumFrames: 6)  // 8 frames
        #expect(ring.capacity == 8)
        var next: Float = 0
        var expected: Float = 0
        let out = UnsafeMutablePointer<Float>.allocate(capacity: 16)
        defer { out.deallocate() }
        for _ in 0..<20 {  // 5 frames in, 5 out, many times round
            var samples: [Float] = []
            for _ in 0..<5 { samples += [next, -next]; next += 1 }
            samples.withUnsafeBufferPointer { ring.write($0, frames: 5, timeNs: 0) }
            #expect(ring.read(into: out, maxFrames: 8) == 5)
            for frame in 0..<5 {
                #expect(out[frame * 2] == expected && out[frame * 2 + 1] == -expected)
                expected += 1
            }
        }
        #expect(ring.dropped == 0)
    }

    @Test func aFullRingDropsNewFramesAndCountsThem() {
        let ring = SampleRing(channels: 1, minimumFrames: 4)
        [Float](repeating: 1, count: 3).withUnsafeBufferPointer { ring.write($0, frames: 3, timeNs: 0) }
        [Float](repeating: 2, count: 3).withUnsafeBufferPointer { ring.write($0, frames: 3, timeNs: 0) }
        #expect(ring.availableFrames == 4)
        #expect(ring.dropped == 2)
        let out = UnsafeMutablePointer<Float>.allocate(capacity: 4)
        defer { out.deallocate() }
        #expect(ring.read(into: out, maxFrames: 4) == 4)
        #expect([out[0], out[1], out[2], out[3]] == [1, 1, 1, 2], "the oldest kept, never torn")
    }

    /// Right after a period arrives the smoothed fill counts none of it; a period later, all of it.
    @Test func theSmoothedFillSpreadsEachBlockOverItsPeriod() {
        let ring = SampleRing(channels: 1, minimumFrames: 1024)
        [Float](repeating: 0, count: 480).withUnsafeBufferPointer { ring.write($0, frames: 480, timeNs: 1_000_000_000) }
        #expect(ring.smoothedFill(nowNs: 1_000_000_000, sampleRate: 48000) == 0)
        #expect(ring.smoothedFill(nowNs: 1_005_000_000, sampleRate: 48000) == 240)
        #expect(ring.smoothedFill(nowNs: 1_050_000_000, sampleRate: 48000) == 480)
    }
}
