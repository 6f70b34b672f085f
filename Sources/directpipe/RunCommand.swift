import ArgumentParser
import DirectPipeAPI
import DirectPipeAudio
import DirectPipeAudioFile
import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import DirectPipeHost
import DirectPipePlugins
import DirectPipeShm
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `directpipe run`: the engine on a backend, feeding the OBS pipe and the backend's outputs.
struct RunCommand: AsyncParsableCommand {
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

    @OptionGroup var audio: AudioOptions

    @Option(help: "Pipe name: /DirectPipeAudio (default), /DirectPipeAudio-NAME, or just NAME.")
    var pipe: String?

    @Option(help: "ALSA: periods in the device buffer, 2-16 (default 2, the lowest latency).", transform: BufferPeriods.init(argument:))
    var periods: BufferPeriods?

    @Option(help: "Input channels on PipeWire, JACK and ALSA, 1-8 (default 2).", transform: InputChannels.init(argument:))
    var inputChannels: InputChannels?

    @Option(help: "Input gain in dB (-60 to +24; default 0).", transform: InputGain.init(argument:))
    var gain: InputGain?

    @Option(help: "JACK server name (default: $JACK_DEFAULT_SERVER or 'default').")
    var jackServer: String?

    @Option(help: "The effects chain: a chain file (JSON; SIGHUP reloads it) or 'voice' for the built-in voice chain.")
    var chain: String?

    @Flag(inversion: .prefixedNo, help: """
        The HTTP/WebSocket control API (what `directpipe ctl` and the web panel talk to), on 127.0.0.1 unless \
        --listen says otherwise. On by default (off with --fast); --no-api for a second DirectPipe beside a first \
        one with the same config folder.
        """)
    var api: Bool?

    @Option(help: "The API's port (default 7480, or a free one when 7480 is taken; 0 picks a free one).")
    var apiPort: Int?

    @Option(help: "Listen on this address instead of 127.0.0.1 (other machines can then reach the API; the token is still required).")
    var listen: String?

    @Option(help: """
        Where else the virtual mic goes: on JACK, ports to connect mic_out_N to (comma-separated); anywhere, \
        alsa:PCM for an ALSA device on its own clock (e.g. alsa:hw:Loopback,0 for snd-aloop), drift-compensated.
        """, transform: Endpoint.init(argument:))
    var micTo: Endpoint?

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
        """, transform: MonitorClock.init(argument:))
    var monitorClock: MonitorClock?

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
        if let seconds, !(seconds > 0 && seconds.isFinite) { throw ValidationError("--seconds must be a positive number") }
        if output != nil, !fast { throw ValidationError("--output needs --fast (a real-time run records through the control API)") }
    }

    func run() async throws {
        let api = self.api ?? !fast
        let file = try SettingsFile.load(path: config ?? SettingsFile.defaultPath, required: config != nil)
        let controls = EngineControls()
        // Before the pipe names this process as its writer: `directpipe latency` may signal it from then on.
        let latencyRequests = await UnixSignalsSequence(trapping: .sigusr1)
        // With the API, the last session comes back (see RunStart); without, none is read or written.
        var session: SessionState?
        if api {
            do { session = try SessionState.load(folder: PresetStore.defaultFolder) } catch { printError("directpipe run: warning: \(error)") }
        }
        let start = try RunStart(file: file, flags: flagSettings(), session: session, controls: controls)
        let settings = start.settings, chainDescription = start.chain
        let log = ConsoleLog.logger("directpipe run")
        let plan = try SessionPlan(settings, chain: chainDescription)
        for note in plan.notes { log.notice("\(note)") }
        let writer = try PipeWriter(
            name: try PipeName(settings.pipe ?? PipeName.standard.rawValue),
            format: PipeFormat(sampleRate: UInt32(plan.format.sampleRate), channels: UInt32(plan.format.outputChannels)))
        let host = try RunHost(plan, controls: controls, writer: writer, log: log, fast: fast, fileOutput: output)
        // One host per config folder: taken before the audio starts (a second one must not grab the device).
        let lock: InstanceLock?
        do { lock = api ? try InstanceLock(folder: PresetStore.defaultFolder) : nil } catch { throw RunError("\(error)") }
        if let source = settings.chain {
            printError("directpipe run: chain \(ChainLoader.describe(plan.chain.chain, from: source))")
        }
        // The one dispatcher of changes, the API's when there is one; the session is saved only then.
        let center = ControlCenter(
            host: host, description: plan.chain.description, sessionFolder: api ? PresetStore.defaultFolder : nil,
            slot: start.slot, audio: start.audio)

        try host.start()
        let wakeups = RunService.Wakeups()
        let status = RunStatus(host: host, json: json, quiet: quiet)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if lock != nil { services.append(.init(service: try apiService(center, host: host, log: log))) }
        let reload = settings.chain.map { source in { @Sendable in Self.reloadChain(from: source, center: center) } }
        let endNs = seconds.map { MonotonicClock.nowNs + UInt64($0 * 1e9) }
        // The run loop first: it ends the group when the run ends by itself; on SIGINT/SIGTERM the API stops first.
        services.insert(
            .init(service: RunService(host: host, status: status, endNs: endNs, reload: reload, latencyRequests: latencyRequests, wakeups: wakeups),
                  successTerminationBehavior: .gracefullyShutdownGroup),
            at: 0)
        var quietLog = log
        quietLog.logLevel = .error
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: quietLog))
        var failure: (any Error)?
        do { try await group.run() } catch { failure = error }
        withExtendedLifetime(lock) {}

        center.shutdown()  // a recording under way is completed
        if lock != nil, let access = APIAccess.find(folder: PresetStore.defaultFolder), access.pid == getpid() {
            unlink(APIAccess.endpointPath(folder: PresetStore.defaultFolder))  // ctl: no API here any more
        }
        let running = host.current
        running.stop()
        running.writer.stop()
        if let failure { throw RunError("\(failure)") }
        status.report(final: true, wakeups: wakeups.value)
        if let failure = (running.backend as? FileBackend)?.outputError { throw RunError("could not write \(output ?? "the output"): \(failure)") }
    }

    /// SIGHUP: the chain file again. What stays keeps running; a chain that fails to load leaves the running one alone.
    private static func reloadChain(from source: String, center: ControlCenter) {
        do {
            let changes = try center.loadChain(try ChainLoader.description(of: source))
            printError("directpipe run: chain reloaded (\(changes)): \(ChainLoader.describe(center.chain, from: source))")
        } catch {
            printError("directpipe run: chain not reloaded, the running one stays: \(error)")
        }
    }

    /// The control API over `center`, in a service that serves it once the group runs (the token made on first
    /// start); its address is published for `directpipe ctl` once it listens.
    private func apiService(_ center: ControlCenter, host: RunHost, log: Logger) throws -> APIService {
        let folder = PresetStore.defaultFolder
        let running = host.current
        var configuration = APIServer.Configuration(token: try APIAccess.token(folder: folder))
        configuration.port = apiPort ?? APIServer.Configuration.defaultPort
        configuration.jackServer = running.plan.settings.jackServer
        if let listen {
            configuration.host = listen
            log.warning("the API listens on \(listen): other machines can reach it (the token is still required)")
        }
        let token = configuration.token
        let address = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return APIService(center: center, configuration: configuration, fallback: apiPort == nil, log: log) { port in
            do {
                try APIAccess.publish(APIAccess(url: "http://\(address):\(port)", pid: getpid()), folder: folder)
            } catch {
                log.warning("\(APIAccess.endpointPath(folder: folder)) not written, `directpipe ctl` will not find this API: \(error)")
            }
            log.info("API on http://\(address):\(port) (token in \(APIAccess.tokenPath(folder: folder)))")
            log.info("panel \(APIAccess.panelURL("http://\(address):\(port)", token: token))")
        }
    }

    /// What the flags given set (nil where a flag was not given).
    private func flagSettings() -> RunSettings {
        var flags = audio.settings
        flags.pipe = pipe
        flags.periods = periods
        flags.inputChannels = inputChannels
        flags.gainDB = gain
        flags.jackServer = jackServer
        flags.micTo = micTo
        flags.monitorClock = monitorClock
        flags.virtualMic = virtualMic
        flags.micDefault = micDefault
        flags.chain = chain
        return flags
    }

}
