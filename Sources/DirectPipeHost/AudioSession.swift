import DirectPipeAudio
import DirectPipeAudioFile
import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import DirectPipePlugins
import DirectPipeShm
import Foundation
import Logging

/// One start of the audio side of `directpipe run`: the backend, the engine in its format, the chain, and
/// the bridges to outputs on other clocks. `configure_audio` replaces the whole session; the pipe writer and
/// the engine's controls outlive it.
public final class AudioSession: Sendable {
    public let plan: SessionPlan
    public let backend: any AudioBackend
    /// The engine with its chain editor and recorder: what the control side works on.
    public let audio: RunningAudio
    public var engine: Engine { audio.engine }
    public let writer: PipeWriter
    /// The monitor's bridge when its device runs on another clock.
    public let monitorBridge: AlsaBridge?
    /// The virtual mic in a PipeWire graph when the engine runs elsewhere.
    public let micBridge: PipeWireMicBridge?
    /// The virtual mic on an ALSA device (`--mic-to alsa:PCM`).
    public let micAlsaBridge: AlsaBridge?
    public var format: EngineFormat { plan.format }

    /// Builds the session `plan` describes (opening the bridges' devices); `start()` sets it going.
    /// `fileOutput`: with a file played as fast as possible, where what the pipe carries is written.
    /// `onConnectionChange`: hears the backend (PipeWire, JACK, ALSA) lose or get back its server or device.
    public init(
        _ plan: SessionPlan, controls: EngineControls, writer: PipeWriter, fast: Bool = false, fileOutput: String? = nil,
        onConnectionChange: (@Sendable (Bool) -> Void)? = nil
    ) throws {
        self.plan = plan
        self.writer = writer
        let settings = plan.settings, format = plan.format
        // A monitor on another clock goes through the bridge; the backend's own monitor then stays off.
        let bridgedMonitor = Self.bridgedMonitor(plan.kind, settings)
        let backendMonitor = bridgedMonitor == nil ? settings.monitor ?? .none : .none
        switch plan.kind {
        case .clock(let clockInput):
            // A stand-in for a drifting device clock, for testing the monitor's drift compensation.
            let drift = ProcessInfo.processInfo.environment["DIRECTPIPE_CLOCK_DRIFT_PPM"].flatMap(Double.init) ?? 0
            backend = ClockBackend(input: clockInput, driftPPM: drift)
        case .jack:
            var options = JackBackend.Options(serverName: settings.jackServer)
            options.onConnectionChange = onConnectionChange
            switch settings.input ?? .default {
            case .default: options.captureSources = nil
            case .none: options.captureSources = []
            case .named: options.captureSources = settings.input?.names
            case .alsa: throw RunError("JACK captures from ports, not from an ALSA device (`directpipe devices` lists the ports)")
            }
            options.micTargets = settings.micTo?.names ?? []
            options.monitorTargets = backendMonitor == .default ? nil : backendMonitor.names
            backend = JackBackend(options: options)
        case .pipewire:
            var options = PipeWireBackend.Options()
            options.onConnectionChange = onConnectionChange
            options.capture = try Self.pipeWireTarget(settings.input ?? .default)
            options.monitor = try Self.pipeWireTarget(backendMonitor)
            if settings.virtualMic ?? true {
                options.virtualMic = PipeWireBackend.VirtualMic(makeDefault: settings.micDefault ?? false)
            }
            backend = PipeWireBackend(options: options)
        case .file(let path):
            let writer = try fileOutput.map { (path) throws(AudioFileError) in
                try AudioFileWriter(path: path, sampleRate: format.sampleRate, channels: format.outputChannels)
            }
            backend = FileBackend(path: path, pacing: fast ? .asFastAsPossible : .realTime, output: writer)
        case .alsa:
            backend = AlsaBackend(
                options: AlsaBackend.Options(
                    captureDevice: try SessionPlan.alsaCapture(settings.input),
                    playbackDevice: backendMonitor.pcm,
                    periods: settings.periods?.value ?? 2, onConnectionChange: onConnectionChange))
        }
        monitorBridge = try bridgedMonitor.map { (device) throws(BackendError) in try AlsaBridge(device: device, format: format) }
        // The virtual mic on an ALSA device (snd-aloop's, say) when asked, else in PipeWire when the engine runs elsewhere.
        let micDevice = settings.micTo?.alsaDevice
        micAlsaBridge = try micDevice.map { (device) throws(BackendError) in try AlsaBridge(device: device, format: format) }
        micBridge =
            micAlsaBridge == nil && plan.virtualMicBridge
            ? try PipeWireMicBridge(format: format, mic: PipeWireBackend.VirtualMic(makeDefault: settings.micDefault ?? false)) : nil
        let engine = try Engine(
            format: format, controls: controls, pipe: writer, monitorRing: monitorBridge?.ring,
            micRing: micAlsaBridge?.ring ?? micBridge?.ring, chain: plan.chain.chain, truePeakGuard: settings.guardTruePeak ?? false)
        audio = RunningAudio(engine: engine, chain: plan.chain.chain, description: plan.chain.description, factory: plan.factory)
    }

    /// Starts the backend, then the bridges (each thing that happened is one line in `log`). On failure
    /// whatever started is stopped again.
    public func start(log: Logger) throws {
        do {
            try backend.start(engine)
            log.info("backend \(backend.name) (\(plan.reason)), \(format), pipe \(writer.name)")
            for warning in backend.startReport?.warnings ?? [] { log.warning("\(warning)") }
            if engine.guardLatencyFrames > 0 {
                log.info("safety guard in its true-peak mode: every output \(engine.guardLatencyFrames) frames later")
            }
            if let micBridge {
                try micBridge.start()
                log.info("virtual mic '\(micBridge.mic.description)' in the PipeWire graph, resampled to follow the \(backend.name) engine's clock")
            }
            if let micAlsaBridge {
                let report = try micAlsaBridge.start()
                log.info("virtual mic on ALSA '\(micAlsaBridge.deviceName)', its own clock: resampled to follow the drift")
                for warning in report.warnings { log.warning("virtual mic: \(warning)") }
            }
            if let monitorBridge {
                let report = try monitorBridge.start()
                log.info("monitor on ALSA '\(monitorBridge.deviceName)', its own clock: resampled to follow the drift")
                for warning in report.warnings { log.warning("monitor: \(warning)") }
            }
        } catch {
            stop()
            throw error
        }
    }

    /// Stops the bridges first (a bridge outliving the engine would run dry and count it), then the backend.
    public func stop() {
        monitorBridge?.stop()
        micBridge?.stop()
        micAlsaBridge?.stop()
        backend.stop()
    }

    /// What runs, as the control state shows it.
    public var status: AudioStatus {
        AudioStatus(
            backend: backend.name, reason: plan.reason, input: plan.settings.input?.description,
            monitor: plan.settings.monitorIsOn ? plan.settings.monitor?.description : nil, connected: backend.isConnected)
    }

    /// The ALSA device of a monitor on another clock than the engine's, if any: every monitor of the
    /// clock backend, `alsa:PCM` on PipeWire and JACK, and on ALSA another device than the capture one
    /// (unless --monitor-clock says it shares the capture card's clock).
    private static func bridgedMonitor(_ kind: BackendKind, _ settings: RunSettings) -> String? {
        guard let monitor = settings.monitor, let device = monitor.pcm else { return nil }
        switch kind {
        case .clock, .file: return device
        case .jack, .pipewire: return monitor.alsaDevice
        case .alsa:
            switch settings.monitorClock ?? .auto {
            case .shared: return nil
            case .own: return device
            case .auto: return device == (try? SessionPlan.alsaCapture(settings.input)) ? nil : device
            }
        }
    }

    private static func pipeWireTarget(_ endpoint: Endpoint) throws -> PipeWireBackend.Target {
        switch endpoint {
        case .default: return .defaultNode
        case .none: return .none
        case .named(let name): return .node(name)
        case .alsa: throw RunError("an ALSA device is not a PipeWire node: here only the monitor and --mic-to take alsa:PCM")
        }
    }
}
