import CDirectPipeAlsa
import CDirectPipeRealtime
import CDirectPipeShm
import CSamplerate
import DirectPipeEngine
import Foundation
import Synchronization

/// The monitor on a device with its own clock (another sound card, or any
/// device when the engine runs on a different backend): the engine writes
/// the monitor output into a lock-free ring each period; this bridge's own
/// real-time thread plays it on an ALSA device, resampled by libsamplerate
/// at a ratio a ``DriftController`` steers so the ring stays at its target
/// fill. The two clocks may drift apart for ever; the latency stays bounded.
public final class MonitorBridge: @unchecked Sendable {
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

    public let ring: SampleRing
    public let deviceName: String
    private let device: AlsaDevice
    private let channels: Int
    private let sampleRate: Int
    private let targetFrames: Int
    /// The resampler pulls input in chunks this size, so the ring's fill is measured finely.
    private let chunkFrames = 32
    private let staging: UnsafeMutablePointer<Float>
    private let output: UnsafeMutablePointer<Float>
    private var converter: OpaquePointer?
    private var thread: RealtimeThread?
    private var ringWasDry = false

    private let driftPPM = Atomic<Int>(0)
    private let fill = Atomic<Int>(0)
    private let underflows = Atomic<Int>(0)
    private let deviceUnderruns = Atomic<Int>(0)
    private let resyncs = Atomic<Int>(0)

    /// Opens the playback device now, so a wrong name is an error at once.
    public init(device name: String, format: EngineFormat, periods: Int = 3) throws(BackendError) {
        channels = format.outputChannels
        sampleRate = format.sampleRate
        deviceName = name
        dp_alsa_silence_errors()
        device = try AlsaDevice(
            name: name, capture: false, rate: format.sampleRate, channels: channels,
            periodFrames: format.periodFrames, periods: periods)
        // One engine period arriving at once while the device takes one of its periods, half the larger
        // again for scheduling jitter, and the resampler's chunk.
        targetFrames = format.periodFrames + device.periodFrames + max(format.periodFrames, device.periodFrames) / 2 + chunkFrames
        ring = SampleRing(channels: channels, minimumFrames: 16 * max(format.periodFrames, device.periodFrames))
        staging = .allocate(capacity: chunkFrames * channels)
        staging.initialize(repeating: 0, count: chunkFrames * channels)
        output = .allocate(capacity: device.periodFrames * channels)
        output.initialize(repeating: 0, count: device.periodFrames * channels)
        var error: Int32 = 0
        converter = src_callback_new({ context, data in
            Unmanaged<MonitorBridge>.fromOpaque(context!).takeUnretainedValue().pull(data!)
        }, Int32(SRC_SINC_FASTEST), Int32(channels), &error, Unmanaged.passUnretained(self).toOpaque())
        guard converter != nil else {
            throw .badInput("libsamplerate refused the monitor's converter: \(String(cString: src_strerror(error)))")
        }
    }

    deinit {
        stop()
        if let converter { src_delete(converter) }
        staging.deallocate()
        output.deallocate()
    }

    public var statistics: Statistics {
        Statistics(
            driftPPM: driftPPM.load(ordering: .relaxed), fillFrames: fill.load(ordering: .relaxed),
            targetFrames: targetFrames, latencyFrames: targetFrames + device.bufferFrames,
            underflows: underflows.load(ordering: .relaxed), deviceUnderruns: deviceUnderruns.load(ordering: .relaxed),
            resyncs: resyncs.load(ordering: .relaxed))
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

    /// The playback loop: steer the ratio from the ring's fill, resample one device period, write it
    /// (the blocking write paces the loop at the device's clock).
    private func run(_ thread: RealtimeThread) {
        var controller = DriftController(targetFrames: targetFrames, sampleRate: sampleRate)
        let period = device.periodFrames
        let resyncAbove = ring.capacity / 2
        ring.discardAll()
        var last = dp_monotonic_ns()
        var iteration = 0
        while thread.isRunning {
            let available = ring.availableFrames
            if available > resyncAbove {
                // A stall left far too much: drop to the target at once rather than play it all late.
                dropFrames(available - targetFrames)
                resyncs.add(1, ordering: .relaxed)
            }
            let now = dp_monotonic_ns()
            let ratio = controller.update(
                fill: ring.smoothedFill(nowNs: now, sampleRate: sampleRate), elapsed: Double(now &- last) / 1e9)
            last = now
            let produced = src_callback_read(converter, ratio, period, output)
            if produced > 0 {
                let written = device.write(output, frames: produced)
                if written < 0 {
                    deviceUnderruns.add(1, ordering: .relaxed)
                    _ = device.recover(written)
                }
            }
            driftPPM.store(Int(controller.driftPPM.rounded()), ordering: .relaxed)
            fill.store(ring.availableFrames, ordering: .relaxed)
            iteration += 1
            thread.noteCallback(iteration)
        }
    }

    private func dropFrames(_ count: Int) {
        var remaining = count
        while remaining > 0 {
            let got = ring.read(into: staging, maxFrames: min(remaining, chunkFrames))
            if got == 0 { break }
            remaining -= got
        }
    }

    /// libsamplerate's input callback (on the bridge's thread): the next chunk from the ring, or a
    /// chunk of silence when it is dry (counted once per dry spell).
    private func pull(_ data: UnsafeMutablePointer<UnsafeMutablePointer<Float>?>) -> Int {
        var got = ring.read(into: staging, maxFrames: chunkFrames)
        if got == 0 {
            staging.update(repeating: 0, count: chunkFrames * channels)
            got = chunkFrames
            if !ringWasDry { underflows.add(1, ordering: .relaxed) }
            ringWasDry = true
        } else {
            ringWasDry = false
        }
        data.pointee = staging
        return got
    }
}
