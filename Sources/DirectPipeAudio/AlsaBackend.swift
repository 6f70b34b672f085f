import CDirectPipeAlsa
import CDirectPipeRealtime
import CDirectPipeShm
import DirectPipeEngine
import Foundation
import Synchronization

/// ALSA direct: any PCM name (`hw:1,0`, `plughw:...`, `default`) with a chosen
/// period size and count, no sound server in between: the Linux counterpart
/// of WASAPI Exclusive. The capture device clocks the engine; an optional
/// playback device (the monitor) is written each period.
/// Unchecked Sendable: opened ALSA devices move to the audio thread; `thread`/`startReport` are set in start(); flags are Atomics.
public final class AlsaBackend: AudioBackend, @unchecked Sendable {
    public struct Options: Sendable {
        public var captureDevice: String
        /// The monitor's playback device; nil: no monitor output.
        public var playbackDevice: String?
        /// Periods in the device's buffer (2 is the lowest latency; 3 is safer).
        public var periods: Int
        /// Hears the device lost (false) and back (true), from a watcher thread, never the audio thread.
        public var onConnectionChange: (@Sendable (Bool) -> Void)?

        public init(
            captureDevice: String = "default", playbackDevice: String? = nil, periods: Int = 2,
            onConnectionChange: (@Sendable (Bool) -> Void)? = nil
        ) {
            self.captureDevice = captureDevice
            self.playbackDevice = playbackDevice
            self.periods = periods
            self.onConnectionChange = onConnectionChange
        }
    }

    public let name = "alsa"
    public let options: Options
    public private(set) var startReport: RealtimeThread.Report?
    private var thread: RealtimeThread?
    private let lost = Atomic<Bool>(false)
    private let reconnectCount = Atomic<Int>(0)
    /// Tells `onConnectionChange` what the audio loop found (the loop itself only sets `lost`): the audio thread
    /// never calls out, even while its device is gone.
    private let watcher = ServerSupervisor()

    public init(options: Options) {
        self.options = options
        dp_alsa_silence_errors()
    }

    /// Whether the PCM `name` opens for capture now (for `--backend auto`); closes it again at once.
    public static func canCapture(_ name: String) -> Bool {
        dp_alsa_silence_errors()
        var handle: OpaquePointer?
        guard snd_pcm_open(&handle, name, SND_PCM_STREAM_CAPTURE, SND_PCM_NONBLOCK) == 0, let handle else { return false }
        snd_pcm_close(handle)
        return true
    }

    public var isConnected: Bool { !lost.load(ordering: .relaxed) }
    public var reconnects: Int { reconnectCount.load(ordering: .relaxed) }
    public var countedAllocations: Int64? { thread?.countedAllocations }

    public func start(_ engine: Engine) throws(BackendError) {
        // Open here, on the caller's thread, so a bad device name is an error at once.
        let devices = try openDevices(engine.format)
        let thread = RealtimeThread { [self, engine] thread in run(engine, devices, thread) }
        self.thread = thread
        startReport = try thread.start()
        if let onChange = options.onConnectionChange {
            watcher.start(name: "directpipe-alsa-watch", watch: {}, reconnect: { false }, connected: { [self] in isConnected }, onChange: onChange)
        }
    }

    public func stop() {
        watcher.stop()
        thread?.stop()
    }

    private func openDevices(_ format: EngineFormat) throws(BackendError) -> (capture: AlsaDevice, playback: AlsaDevice?) {
        let capture = try AlsaDevice(
            name: options.captureDevice, capture: true, rate: format.sampleRate, channels: format.inputChannels,
            periodFrames: format.periodFrames, periods: options.periods)
        guard capture.periodFrames <= EngineFormat.maxPeriodFrames else {
            throw .badInput(
                "ALSA device '\(options.captureDevice)' granted \(capture.periodFrames)-frame periods, more than \(EngineFormat.maxPeriodFrames)")
        }
        let playback = try options.playbackDevice.map { (name) throws(BackendError) in
            try AlsaDevice(
                name: name, capture: false, rate: format.sampleRate, channels: format.outputChannels,
                periodFrames: capture.periodFrames, periods: options.periods)
        }
        return (capture, playback)
    }

    /// The audio loop: a blocking read of one period clocks everything. An
    /// overrun is counted and recovered; a device that fails for good is
    /// closed, reported, and re-opened once a second until it is back.
    private func run(_ engine: Engine, _ opened: (capture: AlsaDevice, playback: AlsaDevice?), _ thread: RealtimeThread) {
        var devices: (capture: AlsaDevice, playback: AlsaDevice?)? = opened
        let channels = engine.format.inputChannels
        let buffer = UnsafeMutablePointer<Float>.allocate(capacity: EngineFormat.maxPeriodFrames * channels)
        buffer.initialize(repeating: 0, count: EngineFormat.maxPeriodFrames * channels)
        defer { buffer.deallocate() }
        var iteration = 0
        // Four periods, at least half a second: no working device is that late.
        let stallMilliseconds = Int32(max(500, 4 * engine.format.periodNs / 1_000_000))
        while thread.isRunning {
            guard let (capture, playback) = devices else {
                usleep(1_000_000)  // no audio flows while the device is gone: sleeping here costs nothing
                devices = try? openDevices(engine.format)
                if devices != nil {
                    lost.store(false, ordering: .relaxed)
                    reconnectCount.add(1, ordering: .relaxed)
                    FileHandle.standardError.write(Data("directpipe: ALSA device '\(options.captureDevice)' is back\n".utf8))
                }
                continue
            }
            // Wait with a limit rather than block in the read: a device that stops delivering without an
            // error (a hung USB device, a sound server gone under a plugin) must not hang the engine.
            if capture.waitReady(milliseconds: stallMilliseconds) == 0 {
                FileHandle.standardError.write(
                    Data("directpipe: ALSA device '\(capture.name)' delivered nothing for \(stallMilliseconds) ms; re-opening it every second\n".utf8)
                )
                lost.store(true, ordering: .relaxed)
                devices = nil
                continue
            }
            let frames = capture.read(into: buffer, frames: capture.periodFrames)
            if frames < 0 {
                engine.meters.countOverrun()
                if capture.recover(frames) < 0 {
                    FileHandle.standardError.write(
                        Data("directpipe: ALSA device '\(capture.name)' failed (error \(frames)); retrying every second\n".utf8))
                    lost.store(true, ordering: .relaxed)
                    devices = nil
                }
                continue
            }
            if frames == 0 { continue }
            engine.process(input: buffer, frames: frames, captureAgeNs: engine.format.periodNs)
            if let playback {
                let monitor = engine.output(.monitor)
                let written = playback.write(monitor.baseAddress!, frames: frames)
                if written < 0 { _ = playback.recover(written) }
            }
            iteration += 1
            thread.noteCallback(iteration)
        }
    }
}
