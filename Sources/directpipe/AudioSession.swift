import DirectPipeAudio
import DirectPipeAudioFile
import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import DirectPipePlugins
import DirectPipeShm
import Foundation

/// One start of the audio side of `directpipe run`: the backend, the engine in its format, the chain, and
/// the bridges to outputs on other clocks. `configure_audio` replaces the whole session; the pipe writer and
/// the engine's controls outlive it.
final class AudioSession {
    /// What a session will be, worked out before anything stops: the backend chosen (and why), the engine's
    /// format, the chain built in that format. A plan that fails leaves the running session alone.
    struct Plan {
        var settings: RunSettings
        var kind: BackendKind
        var reason: String
        var format: EngineFormat
        var chain: (description: ChainDescription, chain: EffectChain)?
        var factory: EffectFactory

        /// `chain`: what the engine runs (nil: no chain at all, the engine passes its input through).
        init(_ settings: RunSettings, chain: ChainDescription?) throws {
            self.settings = settings
            (kind, reason) = try Self.chooseBackend(settings)
            let channelMode: ChannelMode = (settings.channels ?? 2) == 1 ? .mono : .stereo
            switch kind {
            case .clock(let clockInput):
                format = try EngineFormat(
                    sampleRate: settings.rate ?? 48000, periodFrames: settings.period ?? 128,
                    inputChannels: try Self.inputChannels(of: clockInput), channelMode: channelMode)
            case .jack(let serverRate, let serverPeriod):
                if let rate = settings.rate, rate != serverRate {
                    printError("directpipe run: note: the JACK server runs at \(serverRate) Hz, not \(rate)")
                }
                if let period = settings.period, period != serverPeriod {
                    printError("directpipe run: note: the JACK server's period is \(serverPeriod) frames, not \(period)")
                }
                format = try EngineFormat(
                    sampleRate: serverRate, periodFrames: serverPeriod, inputChannels: settings.inputChannels ?? 2, channelMode: channelMode)
            case .file(let path):
                let info: (sampleRate: Int, channels: Int)
                do { info = try AudioFileInfo.format(of: path) } catch { throw RunError(error.description) }  // the header only
                if let rate = settings.rate, rate != info.sampleRate {
                    throw RunError("\(path) is \(info.sampleRate) Hz, not \(rate) (leave --rate out to run at the file's rate)")
                }
                format = try EngineFormat(
                    sampleRate: info.sampleRate, periodFrames: settings.period ?? 128, inputChannels: info.channels, channelMode: channelMode)
            case .pipewire, .alsa:
                format = try EngineFormat(
                    sampleRate: settings.rate ?? 48000, periodFrames: settings.period ?? 128,
                    inputChannels: settings.inputChannels ?? 2, channelMode: channelMode)
            }
            factory = ChainLoader.factory(format)
            do {
                self.chain = try chain.map { [factory] in ($0, try factory.chain($0)) }
            } catch {
                throw RunError("chain \(settings.chain ?? ""): \(error)")
            }
        }

        /// Which backend the settings mean, and why (for the start line).
        private static func chooseBackend(_ settings: RunSettings) throws -> (kind: BackendKind, reason: String) {
            func clock(_ reason: String) throws -> (kind: BackendKind, reason: String) {
                (.clock(try ClockInput(settings.input ?? "tone:440")), reason)
            }
            func jack() -> BackendKind? {
                JackBackend.serverFormat(serverName: settings.jackServer).map { .jack(sampleRate: $0.sampleRate, period: $0.bufferSize) }
            }
            let name = settings.backend ?? "auto"
            switch name {
            case "clock":
                return try clock("as asked")
            case "jack":
                guard let found = jack() else {
                    let server = settings.jackServer ?? ProcessInfo.processInfo.environment["JACK_DEFAULT_SERVER"] ?? "default"
                    throw RunError("no JACK server '\(server)' is running (start jackd, or use --backend clock)")
                }
                return (found, "as asked")
            case "pipewire":
                guard PipeWireBackend.isAvailable else {
                    throw RunError("no PipeWire daemon answers (is pipewire running, and XDG_RUNTIME_DIR set?); or use --backend jack, alsa or clock")
                }
                return (.pipewire, "as asked")
            case "auto":
                if PipeWireBackend.isAvailable { return (.pipewire, "auto: a PipeWire daemon answers") }
                if let found = jack() { return (found, "auto: no PipeWire; a JACK server is running") }
                if AlsaBackend.canCapture(settings.input ?? "default") {
                    return (.alsa, "auto: no PipeWire or JACK; ALSA's '\(settings.input ?? "default")' device opens")
                }
                return try clock("auto: no PipeWire, no JACK server, no ALSA capture device")
            case "alsa":
                return (.alsa, "as asked")
            case "file":
                guard let path = settings.input else { throw RunError("backend 'file' needs --input FILE (a WAV or FLAC file)") }
                return (.file(path: path), "as asked")
            default:
                throw RunError("unknown backend '\(name)': expected auto, pipewire, jack, alsa, clock or file")
            }
        }

        /// Tones and silence are stereo, like most USB microphones; a file has its own channel count.
        private static func inputChannels(of input: ClockInput) throws -> Int {
            guard case .file(let path) = input else { return 2 }
            return try AudioFileInfo.channels(of: path)
        }
    }

    enum BackendKind {
        case pipewire
        case file(path: String)
        case clock(ClockInput)
        case jack(sampleRate: Int, period: Int)
        case alsa
    }

    let plan: Plan
    let backend: any AudioBackend
    let engine: Engine
    let writer: PipeWriter
    /// The monitor's bridge when its device runs on another clock.
    let monitorBridge: AlsaBridge?
    /// The virtual mic in a PipeWire graph when the engine runs elsewhere.
    let micBridge: PipeWireMicBridge?
    /// The virtual mic on an ALSA device (`--mic-to alsa:PCM`).
    let micAlsaBridge: AlsaBridge?
    var format: EngineFormat { plan.format }

    /// Builds the session `plan` describes (opening the bridges' devices); `start()` sets it going.
    /// `fileOutput`: with a file played as fast as possible, where what the pipe carries is written.
    init(_ plan: Plan, controls: EngineControls, writer: PipeWriter, fast: Bool = false, fileOutput: String? = nil) throws {
        self.plan = plan
        self.writer = writer
        let settings = plan.settings, format = plan.format
        // A monitor on another clock goes through the bridge; the backend's own monitor then stays off.
        let bridgedMonitor = Self.bridgedMonitor(plan.kind, settings)
        let backendMonitor = bridgedMonitor == nil ? settings.monitor : nil
        switch plan.kind {
        case .clock(let clockInput):
            // A stand-in for a drifting device clock, for testing the monitor's drift compensation.
            let drift = ProcessInfo.processInfo.environment["DIRECTPIPE_CLOCK_DRIFT_PPM"].flatMap(Double.init) ?? 0
            backend = ClockBackend(input: clockInput, driftPPM: drift)
        case .jack:
            var options = JackBackend.Options(serverName: settings.jackServer)
            options.captureSources = settings.input.map { $0 == "none" ? [] : Self.list($0) }
            options.micTargets = settings.micTo.map { $0.hasPrefix("alsa:") ? [] : Self.list($0) } ?? []
            options.monitorTargets = backendMonitor.map(Self.list) ?? []
            backend = JackBackend(options: options)
        case .pipewire:
            var options = PipeWireBackend.Options()
            options.capture = settings.input
            options.monitor = backendMonitor
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
            backend = AlsaBackend(options: AlsaBackend.Options(
                captureDevice: settings.input ?? "default",
                playbackDevice: backendMonitor.map { $0.hasPrefix("alsa:") ? String($0.dropFirst(5)) : $0 },
                periods: settings.periods ?? 2))
        }
        monitorBridge = try bridgedMonitor.map { (device) throws(BackendError) in try AlsaBridge(device: device, format: format) }
        // The virtual mic on an ALSA device (snd-aloop's, say) when asked, else in PipeWire when the engine runs elsewhere.
        let micDevice = settings.micTo.flatMap { $0.hasPrefix("alsa:") ? String($0.dropFirst(5)) : nil }
        micAlsaBridge = try micDevice.map { (device) throws(BackendError) in try AlsaBridge(device: device, format: format) }
        micBridge = micAlsaBridge == nil ? try Self.micBridge(plan.kind, settings, format) : nil
        engine = try Engine(
            format: format, controls: controls, pipe: writer, monitorRing: monitorBridge?.ring,
            micRing: micAlsaBridge?.ring ?? micBridge?.ring, chain: plan.chain?.chain)
    }

    /// Starts the backend, then the bridges (each line of what happened goes to standard error). On failure
    /// whatever started is stopped again.
    func start() throws {
        do {
            try backend.start(engine)
            printError("directpipe run: backend \(backend.name) (\(plan.reason)), \(format), pipe \(writer.name)")
            for warning in backend.startReport?.warnings ?? [] { printError("directpipe run: warning: \(warning)") }
            if let micBridge {
                try micBridge.start()
                printError("directpipe run: virtual mic '\(micBridge.mic.description)' in the PipeWire graph, resampled to follow the \(backend.name) engine's clock")
            }
            if let micAlsaBridge {
                let report = try micAlsaBridge.start()
                printError("directpipe run: virtual mic on ALSA '\(micAlsaBridge.deviceName)', its own clock: resampled to follow the drift")
                for warning in report.warnings { printError("directpipe run: warning: virtual mic: \(warning)") }
            }
            if let monitorBridge {
                let report = try monitorBridge.start()
                printError("directpipe run: monitor on ALSA '\(monitorBridge.deviceName)', its own clock: resampled to follow the drift")
                for warning in report.warnings { printError("directpipe run: warning: monitor: \(warning)") }
            }
        } catch {
            stop()
            throw error
        }
    }

    /// Stops the bridges first (a bridge outliving the engine would run dry and count it), then the backend.
    func stop() {
        monitorBridge?.stop()
        micBridge?.stop()
        micAlsaBridge?.stop()
        backend.stop()
    }

    /// What runs, as the control state shows it.
    var status: AudioStatus {
        AudioStatus(
            backend: backend.name, reason: plan.reason, input: plan.settings.input, monitor: plan.settings.monitor,
            connected: backend.isConnected)
    }

    /// The virtual mic in a PipeWire graph when the engine runs elsewhere (JACK, ALSA, a file, the clock)
    /// and a PipeWire daemon answers; on PipeWire the backend makes its own.
    private static func micBridge(_ kind: BackendKind, _ settings: RunSettings, _ format: EngineFormat) throws -> PipeWireMicBridge? {
        if case .pipewire = kind { return nil }
        guard settings.virtualMic ?? true, PipeWireBackend.isAvailable else { return nil }
        return try PipeWireMicBridge(format: format, mic: PipeWireBackend.VirtualMic(makeDefault: settings.micDefault ?? false))
    }

    /// The ALSA device of a monitor on another clock than the engine's, if any: every monitor of the
    /// clock backend, `alsa:PCM` on PipeWire and JACK, and on ALSA another device than the capture one
    /// (unless --monitor-clock says it shares the capture card's clock).
    private static func bridgedMonitor(_ kind: BackendKind, _ settings: RunSettings) -> String? {
        guard let monitor = settings.monitor else { return nil }
        let device = monitor.hasPrefix("alsa:") ? String(monitor.dropFirst(5)) : nil
        switch kind {
        case .clock, .file: return device ?? monitor
        case .jack, .pipewire: return device
        case .alsa:
            switch settings.monitorClock ?? "auto" {
            case "shared": return nil
            case "own": return device ?? monitor
            default: return (device ?? monitor) == (settings.input ?? "default") ? nil : device ?? monitor
            }
        }
    }

    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }
}
