import DirectPipeAPI
import DirectPipeAudio
import DirectPipeControl
import DirectPipeEngine
import DirectPipeHost
import DirectPipeShm
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

/// `directpipe run` as a whole: the settings layered (config file, saved session, flags), the host started, the
/// control center over it, and the run's services in one `ServiceGroup` (the run loop first, then the API);
/// SIGINT and SIGTERM end it gracefully, the API first. What it says goes to `log`; each status to `report`.
public struct RunApp: Sendable {
    /// What the command line chose beyond the audio settings.
    public struct Options: Sendable {
        /// The flags' settings (nil where a flag was not given): they win over the config file and the session.
        public var flags = RunSettings()
        /// The config file, and whether it must exist (it was named).
        public var configPath = SettingsFile.defaultPath
        public var configRequired = false
        /// The config folder: API token and address, presets, the saved session, the instance lock.
        public var folder = PresetStore.defaultFolder
        /// The API (and with it the saved session and the instance lock); its port (nil: the default, or a free one
        /// when it is taken) and address (nil: 127.0.0.1).
        public var api = true
        public var apiPort: Int?
        public var listen: String?
        /// When the run ends by itself (nil: on SIGINT or SIGTERM).
        public var seconds: Double?
        /// The file backend as fast as the machine goes, and where to write what the pipe carries.
        public var fast = false
        public var output: String?

        public init() {}
    }

    public let options: Options
    public let log: Logger
    /// Hears a status each second and, `final`, one at the end.
    public let report: @Sendable (RunReport) -> Void

    public init(_ options: Options, log: Logger, report: @escaping @Sendable (RunReport) -> Void) {
        self.options = options
        self.log = log
        self.report = report
    }

    /// Runs until the end: `seconds`, a file played through, or SIGINT/SIGTERM. Throws what stopped it otherwise.
    public func run() async throws {
        let file = try SettingsFile.load(path: options.configPath, required: options.configRequired)
        let controls = EngineControls()
        // Before the pipe names this process as its writer: `directpipe latency` may signal it from then on.
        let latencyRequests = await UnixSignalsSequence(trapping: .sigusr1)
        // With the API, the last session comes back (see RunStart); without, none is read or written.
        var session: SessionState?
        if options.api {
            do { session = try SessionState.load(folder: options.folder) } catch { log.warning("\(error)") }
        }
        let start = try RunStart(file: file, flags: options.flags, session: session, controls: controls)
        for warning in start.warnings { log.warning("\(warning)") }
        let settings = start.settings
        let plan = try SessionPlan(settings, chain: start.chain)
        for note in plan.notes { log.notice("\(note)") }
        let writer = try PipeWriter(
            name: try PipeName(settings.pipe ?? PipeName.standard.rawValue),
            format: PipeFormat(sampleRate: UInt32(plan.format.sampleRate), channels: UInt32(plan.format.outputChannels)))
        let host = try RunHost(plan, controls: controls, writer: writer, log: log, fast: options.fast, fileOutput: options.output)
        // One host per config folder: taken before the audio starts (a second one must not grab the device).
        let lock: InstanceLock?
        do { lock = options.api ? try InstanceLock(folder: options.folder) : nil } catch { throw RunError("\(error)") }
        if let source = settings.chain { log.info("chain \(ChainLoader.describe(plan.chain.chain, from: source))") }
        // The one dispatcher of changes, the API's when there is one; the session is saved only then.
        let center = ControlCenter(
            host: host, description: plan.chain.description, store: PresetStore(folder: options.folder),
            sessionFolder: options.api ? options.folder : nil, slot: start.slot, audio: start.audio)

        try host.start()
        let wakeups = RunService.Wakeups()
        let status = RunStatus(host: host, deliver: report)
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if lock != nil { services.append(.init(service: try apiService(center, host: host))) }
        let reload = settings.chain.map { source in { @Sendable [log] in Self.reloadChain(from: source, center: center, log: log) } }
        let endNs = options.seconds.map { MonotonicClock.nowNs + UInt64($0 * 1e9) }
        // The run loop first: it ends the group when the run ends by itself; on SIGINT/SIGTERM the API stops first.
        services.insert(
            .init(
                service: RunService(host: host, status: status, endNs: endNs, reload: reload, latencyRequests: latencyRequests, wakeups: wakeups),
                successTerminationBehavior: .gracefullyShutdownGroup),
            at: 0)
        var quietLog = log
        quietLog.logLevel = .error
        let group = ServiceGroup(configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: quietLog))
        var failure: (any Error)?
        do { try await group.run() } catch { failure = error }
        withExtendedLifetime(lock) {}

        center.shutdown()  // a recording under way is completed
        if lock != nil, let access = APIAccess.find(folder: options.folder), access.pid == getpid() {
            unlink(APIAccess.endpointPath(folder: options.folder))  // ctl: no API here any more
        }
        let running = host.current
        running.stop()
        running.writer.stop()
        if let failure { throw RunError("\(failure)") }
        status.report(final: true, wakeups: wakeups.value)
        if let failure = (running.backend as? FileBackend)?.outputError {
            throw RunError("could not write \(options.output ?? "the output"): \(failure)")
        }
    }

    /// SIGHUP: the chain file again. What stays keeps running; a chain that fails to load leaves the running one alone.
    private static func reloadChain(from source: String, center: ControlCenter, log: Logger) {
        do {
            let changes = try center.loadChain(try ChainLoader.description(of: source) { log.warning("\($0)") })
            log.info("chain reloaded (\(changes)): \(ChainLoader.describe(center.chain, from: source))")
        } catch {
            log.info("chain not reloaded, the running one stays: \(error)")
        }
    }

    /// The control API over `center`, in a service that serves it once the group runs (the token made on first
    /// start); its address is published for `directpipe ctl` once it listens.
    private func apiService(_ center: ControlCenter, host: RunHost) throws -> APIService {
        let folder = options.folder
        var configuration = APIServer.Configuration(token: try APIAccess.token(folder: folder))
        configuration.port = options.apiPort ?? APIServer.Configuration.defaultPort
        if let listen = options.listen {
            configuration.host = listen
            log.warning("the API listens on \(listen): other machines can reach it (the token is still required)")
        }
        let token = configuration.token
        let address = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        return APIService(center: center, configuration: configuration, fallback: options.apiPort == nil, log: log) { [log] port in
            do {
                try APIAccess.publish(APIAccess(url: "http://\(address):\(port)", pid: getpid()), folder: folder)
            } catch {
                log.warning("\(APIAccess.endpointPath(folder: folder)) not written, `directpipe ctl` will not find this API: \(error)")
            }
            log.info("API on http://\(address):\(port) (token in \(APIAccess.tokenPath(folder: folder)))")
            log.info("panel \(APIAccess.panelURL("http://\(address):\(port)", token: token))")
        }
    }
}
