import CDirectPipeShm
import CSamplerate
import DirectPipeEngine
import Synchronization

/// Plays what the engine writes into a ``SampleRing`` on its clock at the pace
/// of another clock (a sound card, a PipeWire graph): libsamplerate
/// (SINC_FASTEST) resamples at a ratio a ``DriftController`` steers from the
/// ring's fill, so the clocks may drift apart for ever while the latency stays
/// put. One consumer thread calls ``produce(into:frames:nowNs:)``; it
/// allocates nothing, so it may run in a real-time callback.
/// Unchecked Sendable: the libsamplerate converter, `staging` and controller are the one consumer thread's; statistics are Atomics.
final class DriftFollower: @unchecked Sendable {
    let ring: SampleRing
    let channels: Int
    let targetFrames: Int
    /// The resampler pulls input in chunks this size. Small, because what it holds is not in the ring's
    /// fill: with 32-frame chunks that unseen part wobbled the ratio by about ±300 ppm, with 8, ±80.
    private let chunkFrames = 8
    private let sampleRate: Int
    private let staging: UnsafeMutablePointer<Float>
    private var converter: OpaquePointer?
    // The consumer thread's own state.
    private var controller: DriftController
    /// The controller before its latest update, and how late (in frames) that update came compared with one
    /// consumer period: an underrun found after it takes the update back and drops that many frames.
    private var controllerBeforeUpdate: DriftController
    private var lateFrames = 0
    private var lastNs: UInt64 = 0
    private var ringWasDry = false
    /// Frames of silence played while the ring was dry: the frames they stood in for arrive late, in a
    /// burst, and are dropped then, so a late producer costs a dropout but never latency or a pitch bend.
    private var silenceOwed = 0
    /// False until the ring first holds its target: silence until then, so the controller starts with
    /// no error to correct (a start from empty would bend the pitch for seconds).
    private var primed = false

    private let driftPPM = Atomic<Int>(0)
    private let fill = Atomic<Int>(0)
    private let underflows = Atomic<Int>(0)
    private let resyncs = Atomic<Int>(0)

    /// `producerPeriod` frames arrive at once; the consumer takes `consumerPeriod` at a time.
    init(channels: Int, sampleRate: Int, producerPeriod: Int, consumerPeriod: Int) throws(BackendError) {
        self.channels = channels
        self.sampleRate = sampleRate
        // One producer period arriving at once while the consumer takes one of its own, half the larger
        // again for scheduling jitter, and the resampler's chunk.
        targetFrames = producerPeriod + consumerPeriod + max(producerPeriod, consumerPeriod) / 2 + chunkFrames
        ring = SampleRing(channels: channels, minimumFrames: 16 * max(producerPeriod, consumerPeriod))
        controller = DriftController(targetFrames: targetFrames, sampleRate: sampleRate)
        controllerBeforeUpdate = controller
        staging = .allocate(capacity: chunkFrames * channels)
        staging.initialize(repeating: 0, count: chunkFrames * channels)
        var error: Int32 = 0
        converter = src_callback_new(
            { context, data in
                Unmanaged<DriftFollower>.fromOpaque(context!)._withUnsafeGuaranteedRef { $0.pull(data!) }
            }, Int32(SRC_SINC_FASTEST), Int32(channels), &error, Unmanaged.passUnretained(self).toOpaque())
        guard converter != nil else {
            throw .badInput("libsamplerate refused a converter: \(String(cString: src_strerror(error)))")
        }
    }

    deinit {
        if let converter { src_delete(converter) }
        staging.deallocate()
    }

    var driftPartsPerMillion: Int { driftPPM.load(ordering: .relaxed) }
    var fillFrames: Int { fill.load(ordering: .relaxed) }
    var underflowCount: Int { underflows.load(ordering: .relaxed) }
    var resyncCount: Int { resyncs.load(ordering: .relaxed) }

    /// Before the first ``produce(into:frames:nowNs:)``: start at the newest frames.
    func begin(nowNs: UInt64) {
        ring.discardAll()
        lastNs = nowNs
        primed = false
        silenceOwed = 0
    }

    /// The consumer: `frames` resampled frames into `output` (interleaved); returns how many were made.
    func produce(into output: UnsafeMutablePointer<Float>, frames: Int, nowNs: UInt64) -> Int {
        let available = ring.availableFrames
        if !primed {
            lastNs = nowNs
            output.update(repeating: 0, count: frames * channels)
            guard available >= targetFrames else { return frames }
            dropFrames(available - targetFrames)
            controller.reset()
            silenceOwed = 0
            primed = true
            return frames
        }
        if available > ring.capacity / 2 {
            // A stall left far too much: drop to the target at once rather than play it all late.
            dropFrames(available - targetFrames)
            resyncs.add(1, ordering: .relaxed)
            silenceOwed = 0
        } else if silenceOwed > 0, available > targetFrames {
            // The late frames the silence stood in for: not drift, so the controller never sees them.
            let dropped = min(silenceOwed, available - targetFrames)
            dropFrames(dropped)
            silenceOwed -= dropped
        }
        let elapsed = Double(nowNs &- lastNs) / 1e9
        controllerBeforeUpdate = controller
        lateFrames = max(0, Int(elapsed * Double(sampleRate)) - frames)
        let ratio = controller.update(fill: ring.smoothedFill(nowNs: nowNs, sampleRate: sampleRate), elapsed: elapsed)
        lastNs = nowNs
        let produced = Int(src_callback_read(converter, ratio, frames, output))
        driftPPM.store(Int(controller.driftPPM.rounded()), ordering: .relaxed)
        fill.store(ring.availableFrames, ordering: .relaxed)
        return produced
    }

    /// The consumer's clock moved `frames` frames on without taking any (its graph skipped a cycle, its
    /// device underran): those frames are dropped as soon as the ring holds more than its target, like the
    /// late ones after a dry spell, so the gap already heard is not followed by a pitch bend to drain them.
    func skipped(frames: Int) {
        silenceOwed = min(silenceOwed + frames, ring.capacity)
    }

    /// The consumer's device ran dry and started over (an ALSA underrun, found when the write after a
    /// ``produce(into:frames:nowNs:)`` fails): the frames that piled up in the ring while the consumer was late
    /// for that call are dropped like skipped ones (the gap has been heard already), and the controller
    /// forgets the update that took the pile-up for drift.
    func consumerUnderran() {
        skipped(frames: lateFrames)
        controller = controllerBeforeUpdate
    }

    private func dropFrames(_ count: Int) {
        var remaining = count
        while remaining > 0 {
            let got = ring.read(into: staging, maxFrames: min(remaining, chunkFrames))
            if got == 0 { break }
            remaining -= got
        }
    }

    /// libsamplerate's input callback (on the consumer's thread): the next chunk from the ring, or a
    /// chunk of silence when it is dry (counted once per dry spell).
    private func pull(_ data: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>) -> Int {
        var got = ring.read(into: staging, maxFrames: chunkFrames)
        if got == 0 {
            staging.update(repeating: 0, count: chunkFrames * channels)
            got = chunkFrames
            silenceOwed = min(silenceOwed + chunkFrames, ring.capacity)
            if !ringWasDry { underflows.add(1, ordering: .relaxed) }
            ringWasDry = true
        } else {
            ringWasDry = false
        }
        data.pointee = staging
        return got
    }
}
