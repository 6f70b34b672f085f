import ArgumentParser
import DirectPipeAPI
import DirectPipeAudio
import DirectPipeAudioFile
import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import DirectPipePlugins
import DirectPipeShm
import Foundation

/// `directpipe run`: the engine on a backend, feeding the OBS pipe and the backend's outputs.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the audio engine: capture, process, and feed the OBS pipe, the virtual mic and the monitor.",
        discussion: """
            Backends: 'pipewire' (a node 'directpipe' in the PipeWire graph: ports input_FL/FR linked \
            to --input or the default source, monitor_FL/FR linked to --monitor), 'jack' (a JACK client \
            on jackd or PipeWire's JACK layer: ports in_N, mic_out_N, monitor_out_N), 'alsa' (a PCM \
            device directly, no sound server: --input hw:1,0), 'file' (a WAV/FLAC file played once, in real \
            time or with --fast as fast as possible), 'clock' (no audio server: a real-time \
            thread paced by the monotonic clock, fed by a tone, silence or a WAV/FLAC file). 'auto' \
            picks PipeWire, then JACK, then ALSA's default device, then the clock, and says why. \
            Settings come from the configuration file (see --config); flags override it.
            """
    )

    @Option(help: "auto, pipewire, jack, alsa, file or clock. Default auto.")
    var backend: String?

    @Option(help: """
        What to capture. clock: tone:HZ, silence, or a WAV/FLAC file (looped); default tone:440. \
        pipewire: a source node's name or id, or 'none'; default the default source. \
        jack: capture ports, comma-separated, or 'none'; default the physical capture ports. \
        alsa: a PCM name (hw:1,0, plughw:1,0, default); default 'default'. file: the WAV/FLAC file.
        """)
    var input: String?

    @Option(help: "Pipe name: /DirectPipeAudio (default), /DirectPipeAudio-NAME, or just NAME.")
    var pipe: String?

    @Option(help: "Sample rate in Hz (default 48000; on JACK the server decides).")
    var rate: Int?

    @Option(help: "Frames per period, 16-8192 (default 128; on PipeWire the quantum asked for; on JACK the server decides).")
    var period: Int?

    @Option(help: "ALSA: periods in the device buffer, 2-16 (default 2, the lowest latency).")
    var periods: Int?

    @Option(help: "Output channels: 1 (mono, the average of the inputs) or 2 (stereo, default).")
    var channels: Int?

    @Option(help: "Input channels on PipeWire, JACK and ALSA (default 2).")
    var inputChannels: Int?

    @Option(help: "Input gain in dB (-60 to +24; default 0).")
    var gain: Double?

    @Option(help: "JACK server name (default: $JACK_DEFAULT_SERVER or 'default').")
    var jackServer: String?

    @Option(help: "The effects chain: a chain file (JSON; SIGHUP reloads it) or 'voice' for the built-in voice chain.")
    var chain: String?

    @Flag(help: "Serve the HTTP/WebSocket control API (and `directpipe ctl`), on 127.0.0.1 unless --listen says otherwise.")
    var api = false

    @Option(help: "The API's port (default 7480; 0 picks a free one).")
    var apiPort = 7480

    @Option(help: "Listen on this address instead of 127.0.0.1 (other machines can then reach the API; the token is still required).")
    var listen: String?

    @Option(help: """
        Where else the virtual mic goes: on JACK, ports to connect mic_out_N to (comma-separated); anywhere, \
        alsa:PCM for an ALSA device on its own clock (e.g. alsa:hw:Loopback,0 for snd-aloop), drift-compensated.
        """)
    var micTo: String?

    @Option(help: """
        Turn monitoring on: on PipeWire, the sink node (or 'default'); on JACK, the playback ports for \
        monitor_out_N (comma-separated); on ALSA and the clock, the playback PCM; anywhere, alsa:PCM for an \
        ALSA device on its own clock (drift-compensated).
        """)
    var monitor: String?

    @Flag(inversion: .prefixedNo, help: """
        PipeWire: the "DirectPipe Virtual Mic" (node directpipe_mic), a source every app can record from, fed in \
        the same graph cycle (default on).
        """)
    var virtualMic: Bool?

    @Flag(inversion: .prefixedNo, help: "PipeWire: make the virtual mic the default input while DirectPipe runs (default off).")
    var micDefault: Bool?

    @Option(help: """
        Whose clock an ALSA monitor runs on: 'shared' (the capture card's: written in lockstep), 'own' (another \
        card: through a ring, resampled to follow the drift), or 'auto' (shared when --monitor is the capture \
        device, else own). On the clock backend, and with --monitor alsa:PCM on PipeWire or JACK, it is always own.
        """)
    var monitorClock: String?

    @Option(help: "Configuration file (default: $XDG_CONFIG_HOME/directpipe/config.json, if it exists).")
    var config: String?

    @Option(help: "Stop after this many seconds (default: until Ctrl-C).")
    var seconds: Double?

    @Flag(help: "file: process as fast as the machine goes instead of in real time.")
    var fast = false

    @Option(help: "file, with --fast: write what the OBS pipe carries to this WAV/FLAC file (replaced only when complete).")
    var output: String?

    @Flag(help: "No status line (for services); warnings and errors still go to standard error.")
    var quiet = false

    @Flag(help: "Print one JSON status object per second and one at the end, on standard output.")
    var json = false

    func validate() throws {
        if let channels, !(1...2).contains(channels) { throw ValidationError("--channels must be 1 or 2") }
        if let inputChannels, !(1...8).contains(inputChannels) { throw ValidationError("--input-channels must be 1-8") }
        if let periods, !(2...16).contains(periods) { throw ValidationError("--periods must be 2-16") }
        if let gain, !(-60...24).contains(gain) { throw ValidationError("--gain must be between -60 and +24 dB") }
        if let seconds, !(seconds > 0 && seconds.isFinite) { throw ValidationError("--seconds must be a positive number") }
        if output != nil, !fast { throw ValidationError("--output needs --fast (a real-time run records through the control API)") }
        if let monitorClock, !["auto", "shared", "own"].contains(monitorClock) {
            throw ValidationError("--monitor-clock must be auto, shared or own")
        }
    }

    func run() throws {
        let settings = try effectiveSettings()
        let channels = settings.channels ?? 2
        let channelMode: ChannelMode = channels == 1 ? .mono : .stereo
        let choice = try chooseBackend(settings)
        let backend: any AudioBackend
        let format: EngineFormat
        // A monitor on another clock goes through the bridge; the backend's own monitor then stays off.
        let bridgedMonitor = Self.bridgedMonitor(choice.kind, settings)
        let backendMonitor = bridgedMonitor == nil ? settings.monitor : nil
        switch choice.kind {
        case .clock(let clockInput):
            format = try EngineFormat(
                sampleRate: settings.rate ?? 48000, periodFrames: settings.period ?? 128,
                inputChannels: try Self.inputChannels(of: clockInput), channelMode: channelMode)
            // A stand-in for a drifting device clock, for testing the monitor's drift compensation.
            let drift = ProcessInfo.processInfo.environment["DIRECTPIPE_CLOCK_DRIFT_PPM"].flatMap(Double.init) ?? 0
            backend = ClockBackend(input: clockInput, driftPPM: drift)
        case .jack(let serverRate, let serverPeriod):
            if let rate = settings.rate, rate != serverRate {
                printError("directpipe run: note: the JACK server runs at \(serverRate) Hz, not \(rate)")
            }
            if let period = settings.period, period != serverPeriod {
                printError("directpipe run: note: the JACK server's period is \(serverPeriod) frames, not \(period)")
            }
            format = try EngineFormat(
                sampleRate: serverRate, periodFrames: serverPeriod, inputChannels: settings.inputChannels ?? 2, channelMode: channelMode)
            var options = JackBackend.Options(serverName: settings.jackServer)
            options.captureSources = settings.input.map { $0 == "none" ? [] : Self.list($0) }
            options.micTargets = settings.micTo.map { $0.hasPrefix("alsa:") ? [] : Self.list($0) } ?? []
            options.monitorTargets = backendMonitor.map(Self.list) ?? []
            backend = JackBackend(options: options)
        case .pipewire:
            format = try EngineFormat(
                sampleRate: settings.rate ?? 48000, periodFrames: settings.period ?? 128,
                inputChannels: settings.inputChannels ?? 2, channelMode: channelMode)
            var options = PipeWireBackend.Options()
            options.capture = settings.input
            options.monitor = backendMonitor
            if settings.virtualMic ?? true {
                options.virtualMic = PipeWireBackend.VirtualMic(makeDefault: settings.micDefault ?? false)
            }
            backend = PipeWireBackend(options: options)
        case .file(let path):
            let info: (sampleRate: Int, channels: Int)
            do { info = try AudioFileInfo.format(of: path) } catch { throw RunError(error.description) }  // the header only
            if let rate = settings.rate, rate != info.sampleRate {
                throw RunError("\(path) is \(info.sampleRate) Hz, not \(rate) (leave --rate out to run at the file's rate)")
            }
            format = try EngineFormat(
                sampleRate: info.sampleRate, periodFrames: settings.period ?? 128, inputChannels: info.channels, channelMode: channelMode)
            let writer = try output.map { (path) throws(AudioFileError) in
                try AudioFileWriter(path: path, sampleRate: info.sampleRate, channels: format.outputChannels)
            }
            backend = FileBackend(path: path, pacing: fast ? .asFastAsPossible : .realTime, output: writer)
        case .alsa:
            format = try EngineFormat(
                sampleRate: settings.rate ?? 48000, periodFrames: settings.period ?? 128,
                inputChannels: settings.inputChannels ?? 2, channelMode: channelMode)
            backend = AlsaBackend(options: AlsaBackend.Options(
                captureDevice: settings.input ?? "default",
                playbackDevice: backendMonitor.map { $0.hasPrefix("alsa:") ? String($0.dropFirst(5)) : $0 },
                periods: settings.periods ?? 2))
        }
        let controls = EngineControls()
        // Before the pipe names this process as its writer: `directpipe latency` may signal it from then on.
        LatencyRequest.install(for: controls)
        let writer = try PipeWriter(
            name: try PipeName(settings.pipe ?? PipeName.standard.rawValue),
            format: PipeFormat(sampleRate: UInt32(format.sampleRate), channels: UInt32(channels)))
        controls.inputGain = Float(pow(10, (settings.gainDB ?? 0) / 20))
        controls.monitor.isEnabled = settings.monitor != nil
        let bridge = try bridgedMonitor.map { (device) throws(BackendError) in try AlsaBridge(device: device, format: format) }
        // The virtual mic on an ALSA device (snd-aloop's, say) when asked, else in PipeWire when the engine runs elsewhere.
        let micDevice = settings.micTo.flatMap { $0.hasPrefix("alsa:") ? String($0.dropFirst(5)) : nil }
        let micAlsaBridge = try micDevice.map { (device) throws(BackendError) in try AlsaBridge(device: device, format: format) }
        let micBridge = micAlsaBridge == nil ? try Self.micBridge(choice.kind, settings, format) : nil
        let chainLoader = settings.chain.map { ChainLoader(source: $0, format: format) }
        let chainFactory = ChainLoader.factory(format)
        // The API edits the chain: it gets one (empty) even when none is given.
        // With the API, the last session comes back (outputs, volumes, the chain unless --chain gives one).
        var session: SessionState?
        if api {
            do { session = try SessionState.load(folder: PresetStore.defaultFolder) } catch { printError("directpipe run: warning: \(error)") }
            session?.apply(to: controls)
            // Flags given now win over what was saved.
            if let gain = settings.gainDB { controls.inputGain = Float(pow(10, gain / 20)) }
            if settings.monitor != nil { controls.monitor.isEnabled = true }
        }
        let chainStart: (description: ChainDescription, chain: EffectChain)?
        do {
            let description = try chainLoader?.description() ?? (api ? session?.chain ?? ChainDescription(effects: []) : nil)
            chainStart = try description.map { ($0, try chainFactory.chain($0)) }
        } catch {
            throw RunError("chain \(settings.chain ?? ""): \(error)")
        }
        let engine = try Engine(
            format: format, controls: controls, pipe: writer, monitorRing: bridge?.ring, micRing: micAlsaBridge?.ring ?? micBridge?.ring,
            chain: chainStart?.chain)
        let center = try api ? startAPI(engine: engine, chain: chainStart!, factory: chainFactory, slot: session?.slot) : nil
        let chainEditor = center == nil ? chainStart.map { ChainEditor(engine: engine, chain: $0.chain, description: $0.description) } : nil
        if let chainLoader, let chain = chainStart?.chain { printError("directpipe run: chain \(chainLoader.describe(chain))") }

        StopRequest.installHandlers()
        if chainLoader != nil { ReloadRequest.installHandler() }
        try backend.start(engine)
        printError("directpipe run: backend \(backend.name) (\(choice.reason)), \(format), pipe \(writer.name)")
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
        if let bridge {
            let report = try bridge.start()
            printError("directpipe run: monitor on ALSA '\(bridge.deviceName)', its own clock: resampled to follow the drift")
            for warning in report.warnings { printError("directpipe run: warning: monitor: \(warning)") }
        }

        let status = RunStatus(
            engine: engine, writer: writer, backend: backend, monitorBridge: bridge, micBridge: micBridge, micAlsaBridge: micAlsaBridge,
            json: json, quiet: quiet)
        let endNs = seconds.map { MonotonicClock.nowNs + UInt64($0 * 1e9) }
        var nextReport = MonotonicClock.nowNs + 1_000_000_000
        // A file ends by itself: look for that every 50 ms. Nothing else is polled: every needless
        // wake-up is a context switch beside the audio thread.
        let finishCheckNs: UInt64 = backend is FileBackend ? 50_000_000 : .max
        while !StopRequest.isRequested, !backend.hasFinished, endNs.map({ MonotonicClock.nowNs < $0 }) ?? true {
            // Sleep until the next report or the end; SIGINT/SIGTERM cut the sleep short.
            MonotonicClock.sleep(untilNs: min(nextReport, endNs ?? .max, MonotonicClock.nowNs &+ finishCheckNs))
            if ReloadRequest.take(), let chainLoader {
                // What stays keeps running; a chain that fails to load leaves the running one alone.
                do {
                    if let center {
                        let state = try center.loadChain(try chainLoader.description())
                        printError("directpipe run: chain reloaded: \(state.chain.effects.map(\.id).joined(separator: " → "))")
                    } else if let chainEditor {
                        let changes = try chainEditor.apply(try chainLoader.description()) { try chainLoader.factory.effect($0) }
                        printError("directpipe run: chain reloaded (\(changes)): \(chainLoader.describe(chainEditor.chain))")
                    }
                } catch {
                    printError("directpipe run: chain not reloaded, the running one stays: \(error)")
                }
            }
            engine.collectRetiredChains()
            if MonotonicClock.nowNs >= nextReport {
                nextReport += 1_000_000_000
                status.report(final: false)
            }
        }
        center?.shutdown()  // a recording under way is completed
        if center != nil, let access = APIAccess.find(folder: PresetStore.defaultFolder), access.pid == getpid() {
            unlink(APIAccess.endpointPath(folder: PresetStore.defaultFolder))  // ctl: no API here any more
        }
        bridge?.stop()  // first: a bridge outliving the engine would run dry and count it
        micBridge?.stop()
        micAlsaBridge?.stop()
        backend.stop()
        writer.stop()
        status.report(final: true)
        if let failure = (backend as? FileBackend)?.outputError { throw RunError("could not write \(output ?? "the output"): \(failure)") }
    }

    /// Starts the control API for `engine`: one host per config folder (a lock), the token made on first
    /// start, the address published for `directpipe ctl`. Returns the dispatcher every action goes through.
    private func startAPI(
        engine: Engine, chain: (description: ChainDescription, chain: EffectChain), factory: EffectFactory, slot: String?
    ) throws -> ControlCenter {
        let folder = PresetStore.defaultFolder
        let lock: InstanceLock
        do { lock = try InstanceLock(folder: folder) } catch { throw RunError("\(error)") }
        let center = ControlCenter(
            engine: engine, chain: chain.chain, description: chain.description, factory: factory, sessionFolder: folder, slot: slot)
        var configuration = APIServer.Configuration(token: try APIAccess.token(folder: folder))
        configuration.port = apiPort
        if let listen {
            configuration.host = listen
            printError("directpipe run: warning: the API listens on \(listen): other machines can reach it (the token is still required)")
        }
        let server = APIServer(center: center, configuration: configuration)
        let started = APIStart()
        Task.detached {
            do {
                try await server.run { port in started.finish(port: port, error: nil) }
            } catch {
                started.finish(port: nil, error: error)
            }
            _ = lock  // held for as long as the server runs: the life of the process
        }
        guard let port = started.wait(seconds: 15) else {
            throw RunError("the API could not start on \(configuration.host):\(apiPort): \(started.error.map { "\($0)" } ?? "no answer")")
        }
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        try APIAccess.publish(APIAccess(url: "http://\(host):\(port)", pid: getpid()), folder: folder)
        printError("directpipe run: API on http://\(host):\(port) (token in \(APIAccess.tokenPath(folder: folder)))")
        return center
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

    /// The configuration file's settings with the flags given on top.
    private func effectiveSettings() throws -> RunSettings {
        var flags = RunSettings()
        flags.backend = backend
        flags.input = input
        flags.pipe = pipe
        flags.rate = rate
        flags.period = period
        flags.periods = periods
        flags.channels = channels
        flags.inputChannels = inputChannels
        flags.gainDB = gain
        flags.jackServer = jackServer
        flags.micTo = micTo
        flags.monitor = monitor
        flags.monitorClock = monitorClock
        flags.virtualMic = virtualMic
        flags.micDefault = micDefault
        flags.chain = chain
        let file = try SettingsFile.load(path: config ?? SettingsFile.defaultPath, required: config != nil)
        return (file ?? RunSettings()).overridden(by: flags)
    }

    private enum BackendKind {
        case pipewire
        case file(path: String)
        case clock(ClockInput)
        case jack(sampleRate: Int, period: Int)
        case alsa
    }

    /// Which backend the settings mean, and why (for the start line).
    private func chooseBackend(_ settings: RunSettings) throws -> (kind: BackendKind, reason: String) {
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

    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Tones and silence are stereo, like most USB microphones; a file has its own channel count.
    private static func inputChannels(of input: ClockInput) throws -> Int {
        guard case .file(let path) = input else { return 2 }
        return try AudioFileInfo.channels(of: path)
    }
}

/// A condition found while running (not a mistake in the arguments): one line, no usage text.
struct RunError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
