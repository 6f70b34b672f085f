import Testing

@testable import DirectPipeAudio

@Suite struct DriftFollowerTests {
    /// Two clocks in simulated time, both 128-frame periods at 48 kHz, the producer (the engine) stalling once:
    /// the ring runs dry, silence plays, then the late periods arrive in one burst.
    private struct Simulation {
        let follower: DriftFollower
        let block = [Float](repeating: 0.25, count: 128)
        let output = UnsafeMutablePointer<Float>.allocate(capacity: 512)
        var nowNs: UInt64 = 1_000_000_000
        let periodNs: UInt64 = 128 * 1_000_000_000 / 48000

        init() throws {
            follower = try DriftFollower(channels: 1, sampleRate: 48000, producerPeriod: 128, consumerPeriod: 128)
            follower.begin(nowNs: nowNs)
        }

        /// One period: the producer writes `periods` periods (0 while stalled), the consumer takes one (or,
        /// when its graph skips the cycle, none, and is told so the next time unless `toldOfSkip` is false:
        /// a stalled thread in front of a device).
        mutating func step(producing periods: Int = 1, consuming: Bool = true, toldOfSkip: Bool = true) {
            for _ in 0..<periods {
                block.withUnsafeBufferPointer { follower.ring.write($0, frames: 128, timeNs: nowNs) }
            }
            nowNs += periodNs / 2
            if consuming {
                _ = follower.produce(into: output, frames: 128, nowNs: nowNs)
            } else if toldOfSkip {
                follower.skipped(frames: 128)
            }
            nowNs += periodNs - periodNs / 2
        }

        /// The worst drift estimate and fill over `periods` ordinary periods.
        mutating func worst(over periods: Int) -> (driftPPM: Int, fill: Int) {
            var worst = (driftPPM: 0, fill: 0)
            for _ in 0..<periods {
                step()
                worst = (max(worst.driftPPM, abs(follower.driftPartsPerMillion)), max(worst.fill, follower.fillFrames))
            }
            return worst
        }
    }

    @Test func aStalledProducerCostsADropoutButNoLatencyAndNoPitchBend() throws {
        var simulation = try Simulation()
        defer { simulation.output.deallocate() }
        for _ in 0..<3000 { simulation.step() }  // 8 s: primed and settled on no drift
        let target = simulation.follower.targetFrames
        #expect(abs(simulation.follower.driftPartsPerMillion) < 50)

        for _ in 0..<6 { simulation.step(producing: 0) }  // a 16 ms stall: the ring runs dry
        simulation.step(producing: 7)  // the late periods at once, and this one
        #expect(simulation.follower.underflowCount == 1)
        #expect(simulation.follower.resyncCount == 0, "a stall this short is not a resync")
        let (worstDrift, worstFill) = simulation.worst(over: 750)  // 2 s
        // Without dropping the late frames the fill would sit ~440 frames high and the controller would bend
        // the pitch by several thousand ppm for seconds to drain it.
        #expect(worstFill <= target + 128, "fill back at its target (\(target)) at once: \(worstFill)")
        #expect(worstDrift < 300, "\(worstDrift) ppm")
    }

    /// The consumer's graph skipping two cycles (an xrun on its side) leaves two periods too many in the ring:
    /// they are dropped, not drained by bending the pitch.
    @Test func aSkippedConsumerCycleCostsNoPitchBend() throws {
        var simulation = try Simulation()
        defer { simulation.output.deallocate() }
        for _ in 0..<3000 { simulation.step() }
        let target = simulation.follower.targetFrames
        simulation.step(consuming: false)
        simulation.step(consuming: false)
        let (worstDrift, worstFill) = simulation.worst(over: 750)
        #expect(worstFill <= target + 128, "fill back at its target (\(target)) at once: \(worstFill)")
        #expect(worstDrift < 100, "\(worstDrift) ppm")
        #expect(simulation.follower.underflowCount == 0 && simulation.follower.resyncCount == 0)
    }

    /// The ALSA bridge's thread stalling in front of its device: the device underruns, the ring fills four
    /// periods above its target, and the bridge learns of it only when its next write fails. That excess is
    /// dropped, not drained by bending the pitch (which took seconds at thousands of ppm).
    @Test func aDeviceUnderrunCostsNoPitchBend() throws {
        var simulation = try Simulation()
        defer { simulation.output.deallocate() }
        for _ in 0..<3000 { simulation.step() }
        let target = simulation.follower.targetFrames
        for _ in 0..<4 { simulation.step(consuming: false, toldOfSkip: false) }
        simulation.step()  // the period whose write fails
        simulation.follower.consumerUnderran()
        let (worstDrift, worstFill) = simulation.worst(over: 750)
        #expect(worstFill <= target + 128, "fill back at its target (\(target)) at once: \(worstFill)")
        #expect(worstDrift < 100, "\(worstDrift) ppm")
        #expect(simulation.follower.underflowCount == 0 && simulation.follower.resyncCount == 0)
    }
}
