import CDirectPipeAlsa
import CDirectPipeRealtime
import CDirectPipeShm
import DirectPipeEngine
import Foundation
import Synchronization

/// An engine output on an ALSA device with its own clock: the monitor on
/// another sound card, or the virtual mic into `snd-aloop` (or any output when
/// the engine runs on a different backend). The engine writes the output into
/// a lock-free ring each period; this bridge's own real-time thread plays it
/// on the device through a ``DriftFollower``, so the two clocks may drift
/// apart for ever while the latency stays bounded.
/// Unchecked Sendable: the PCM, `output` and the follower's reading side are its playback thread's; `thread` is set by start/stop.
public final class AlsaBridge: @unchecked Sendable {
    /// What the bridge has seen, for the status line.
    public struct Statistics: Sendable, Equatable {
        /// How much faster the engine's clock runs than the device's, in ppm (the resampler's correction).
        public var driftPPM: Int
        public var fillFrames: Int
        public var targetFrames: Int
        /// Frames of latency the bridge adds: the ring's target plus the device's buffer.
        public var latencyFrames: Int
        /// Times the ring ran dry (silence played) and the device ran out (ALSA underruns).
        public var underflows: Int
        public var deviceUnderruns: Int
        /// Times the ring held far too much (after a stall) and was cut back to its target.
        public var resyncs: Int
    }

    public var ring: SampleRing { follower.ring }
    public let deviceName: String
    private let device: AlsaDevice
    private let follower: DriftFollower
    private let output: UnsafeMutablePointer<Float>
    private var thread: RealtimeThread?
    private let deviceUnderruns = Atomic<Int>(0)

    /// Opens the playback device now, so a wrong name is an error at once.
    public init(device name: String, format: EngineFormat, periods: Int = 3) throws(BackendError) {
        deviceName = name
        dp_alsa_silence_errors()
        device = try AlsaDevice(
            name: name, capture: false, rate: format.sampleRate, channels: format.outputChannels,
            periodFrames: format.periodFrames, periods: periods)
        follower = try DriftFollower(
            channels: format.outputChannels, sampleRate: format.sampleRate, producerPeriod: format.periodFrames,
            consumerPeriod: device.periodFrames)
        output = .allocate(capacity: device.periodFrames * format.outputChannels)
        output.initialize(repeating: 0, count: device.periodFrames * format.outputChannels)
    }

    deinit {
        stop()
        output.deallocate()
    }

    public var statistics: Statistics {
        Statistics(
            driftPPM: follower.driftPartsPerMillion, fillFrames: follower.fillFrames, targetFrames: follower.targetFrames,
            latencyFrames: follower.targetFrames + device.bufferFrames, underflows: follower.underflowCount,
            deviceUnderruns: deviceUnderruns.load(ordering: .relaxed), resyncs: follower.resyncCount)
    }

    /// Starts the playback thread.
    public func start() throws(BackendError) -> RealtimeThread.Report {
        let thread = RealtimeThread { [self] thread in run(thread) }
        self.thread = thread
        return try thread.start()
    }

    public func stop() {
        thread?.stop()
    }

    /// The playback thread's allocations after warm-up, when the counter library is preloaded (tests); after stop.
    public var countedAllocations: Int64? { thread?.countedAllocations }

    /// The playback loop: resample one device period from the ring and write it (the blocking write
    /// paces the loop at the device's clock).
    private func run(_ thread: RealtimeThread) {
        let period = device.periodFrames
        follower.begin(nowNs: dp_monotonic_ns())
        var iteration = 0
        while thread.isRunning {
            let produced = follower.produce(into: output, frames: period, nowNs: dp_monotonic_ns())
            if produced > 0 {
                let written = device.write(output, frames: produced)
                if written < 0 {
                    deviceUnderruns.add(1, ordering: .relaxed)
                    follower.consumerUnderran()
                    _ = device.recover(written)
                }
            }
            iteration += 1
            thread.noteCallback(iteration)
        }
    }
}
