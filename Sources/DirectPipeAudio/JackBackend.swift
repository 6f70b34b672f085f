import CDirectPipeJack
import CDirectPipeRealtime
import CDirectPipeShm
import DirectPipeEngine
import Foundation

/// DirectPipe as a JACK client (on jackd, or on PipeWire's JACK layer): input
/// ports `in_N` connected to the chosen capture ports, the engine in JACK's
/// process callback, and output ports `mic_out_N` (the virtual microphone on
/// JACK) and `monitor_out_N`. Survives the server going away: it reconnects,
/// re-registers and re-connects its ports when the server is back.
/// Unchecked Sendable: JACK handles and port tables change only while the client is inactive (start, reconnect, stop); callbacks read.
public final class JackBackend: AudioBackend, @unchecked Sendable {
    public struct Options: Sendable {
        /// nil: $JACK_DEFAULT_SERVER or "default".
        public var serverName: String?
        public var clientName = "directpipe"
        /// Ports our inputs connect to, in order; nil: the server's physical capture ports.
        public var captureSources: [String]?
        /// Ports the virtual-mic outputs connect to.
        public var micTargets: [String] = []
        /// Ports the monitor outputs connect to; nil: the server's physical playback ports.
        public var monitorTargets: [String]? = []
        /// Hears the connection to the server go and come back (on the backend's supervisor thread).
        public var onConnectionChange: (@Sendable (Bool) -> Void)?

        public init(serverName: String? = nil) { self.serverName = serverName }
    }

    public let name = "jack"
    public let options: Options
    public private(set) var startReport: RealtimeThread.Report?

    private var client: OpaquePointer?
    private var engine: Engine?
    /// The same engine without reference counting, for the process callback (`engine` keeps it alive).
    private var engineView: Unmanaged<Engine>?
    private var inputPorts: [OpaquePointer?] = []
    private var micPorts: [OpaquePointer?] = []
    private var monitorPorts: [OpaquePointer?] = []
    // What the process callback reads: plain pointers, set before activation.
    private var inputPortTable = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: EngineFormat.maxInputChannels)
    private var micPortTable = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: 2)
    private var monitorPortTable = UnsafeMutablePointer<OpaquePointer?>.allocate(capacity: 2)
    private var inputChannels = 0
    private var outputChannels = 0
    private var periodNs: UInt64 = 0

    private let allocations = ServerThreadAllocations.whenCounting()
    private let supervisor = ServerSupervisor()

    public init(options: Options) {
        self.options = options
        JackSupport.quietLibjack()
    }

    deinit {
        stop()
        inputPortTable.deallocate()
        micPortTable.deallocate()
        monitorPortTable.deallocate()
    }

    /// The running server's sample rate and buffer size, from a short-lived client; nil when none answers.
    public static func serverFormat(serverName: String?) -> (sampleRate: Int, bufferSize: Int)? {
        JackSupport.quietLibjack()
        var status = jack_status_t(0)
        guard let client = dp_jack_client_open("directpipe-probe", serverName, &status) else { return nil }
        defer { jack_client_close(client) }
        return (Int(jack_get_sample_rate(client)), Int(jack_get_buffer_size(client)))
    }

    /// Whether the server is there now, and how often we had to reconnect.
    public var isConnected: Bool { supervisor.isConnected }
    public var reconnects: Int { supervisor.reconnects }

    /// Audio-thread allocations after warm-up, when the counter library is preloaded (tests); read after stop.
    public var countedAllocations: Int64? { allocations?.value }

    public func start(_ engine: Engine) throws(BackendError) {
        self.engine = engine
        engineView = Unmanaged.passUnretained(engine)
        inputChannels = engine.format.inputChannels
        outputChannels = engine.format.outputChannels
        periodNs = engine.format.periodNs
        try connect()
        supervisor.start(
            name: "directpipe-jack-supervisor", watch: {}, reconnect: { [self] in reconnectAfterLoss() },
            connected: { [self] in isConnected }, onChange: options.onConnectionChange)
    }

    public func stop() {
        guard supervisor.isRunning else { return }
        // The supervisor first: its thread may reconnect or drop `client` until it has stopped.
        supervisor.stop()
        if client != nil, supervisor.isConnected { allocations?.finish() }
        disconnect()
    }

    // MARK: connection

    private func connect() throws(BackendError) {
        guard let engine else { return }
        var status = jack_status_t(0)
        guard let client = dp_jack_client_open(options.clientName, options.serverName, &status) else {
            throw .badInput(
                "no JACK server '\(options.serverName ?? ProcessInfo.processInfo.environment["JACK_DEFAULT_SERVER"] ?? "default")' is running (status 0x\(String(status.rawValue, radix: 16)))"
            )
        }
        let rate = Int(jack_get_sample_rate(client))
        guard rate == engine.format.sampleRate else {
            jack_client_close(client)
            throw .badInput("the JACK server runs at \(rate) Hz but the engine at \(engine.format.sampleRate) Hz")
        }
        func register(_ name: String, _ flags: JackPortFlags) -> OpaquePointer? {
            jack_port_register(client, name, JACK_DEFAULT_AUDIO_TYPE, UInt(flags.rawValue), 0)
        }
        inputPorts = (1...inputChannels).map { register("in_\($0)", JackPortIsInput) }
        micPorts = (1...outputChannels).map { register("mic_out_\($0)", JackPortIsOutput) }
        monitorPorts = (1...outputChannels).map { register("monitor_out_\($0)", JackPortIsOutput) }
        guard (inputPorts + micPorts + monitorPorts).allSatisfy({ $0 != nil }) else {
            jack_client_close(client)
            throw .badInput("JACK refused to register DirectPipe's ports")
        }
        for (index, port) in inputPorts.enumerated() { inputPortTable[index] = port }
        for (index, port) in micPorts.enumerated() { micPortTable[index] = port }
        for (index, port) in monitorPorts.enumerated() { monitorPortTable[index] = port }

        let context = Unmanaged.passUnretained(self).toOpaque()
        jack_set_process_callback(
            client,
            { frames, context in
                Unmanaged<JackBackend>.fromOpaque(context!)._withUnsafeGuaranteedRef { $0.process(frames: Int(frames)) }
                return 0
            }, context)
        jack_on_shutdown(
            client,
            { context in
                Unmanaged<JackBackend>.fromOpaque(context!)._withUnsafeGuaranteedRef { $0.supervisor.markLost() }
            }, context)
        // The server's xruns are the graph's (any client or the driver late); the engine counts its own overruns.
        jack_set_xrun_callback(
            client,
            { context in
                Unmanaged<JackBackend>.fromOpaque(context!)._withUnsafeGuaranteedRef { $0.engine?.meters.countGraphSkips() }
                return 0
            }, context)
        self.client = client
        guard jack_activate(client) == 0 else {
            disconnect()
            throw .badInput("JACK refused to activate the client")
        }
        startReport = RealtimeThread.Report(
            realtimeScheduling: jack_is_realtime(client) != 0, memoryLocked: false,
            warnings: jack_is_realtime(client) != 0 ? [] : ["the JACK server runs without real-time scheduling"])
        connectPorts(client)
    }

    private func connectPorts(_ client: OpaquePointer) {
        let sources =
            options.captureSources
            ?? JackSupport.portNames(client, flags: JackPortIsPhysical.rawValue | JackPortIsOutput.rawValue)
        for (source, port) in zip(sources, inputPorts) {
            jack_connect(client, source, jack_port_name(port))
        }
        for (port, target) in zip(micPorts, options.micTargets) { jack_connect(client, jack_port_name(port), target) }
        let monitorTargets =
            options.monitorTargets
            ?? JackSupport.portNames(client, flags: JackPortIsPhysical.rawValue | JackPortIsInput.rawValue)
        for (port, target) in zip(monitorPorts, monitorTargets) { jack_connect(client, jack_port_name(port), target) }
    }

    private func disconnect() {
        if let client {
            jack_deactivate(client)
            jack_client_close(client)
        }
        client = nil
    }

    /// Off the audio thread, every 250 ms while the server is gone: close what is left and try again.
    private func reconnectAfterLoss() -> Bool {
        if let client {
            FileHandle.standardError.write(Data("directpipe: the JACK server went away; retrying every 250 ms\n".utf8))
            jack_client_close(client)  // after a shutdown the handle must still be closed
            self.client = nil
        }
        do {
            try connect()
        } catch {
            return false
        }
        FileHandle.standardError.write(Data("directpipe: JACK server is back; reconnected\n".utf8))
        return true
    }

    // MARK: the audio thread

    /// JACK's process callback: gather inputs, run the engine, spread outputs.
    private func process(frames: Int) {
        guard let engineView, frames <= EngineFormat.maxPeriodFrames else { return }
        engineView._withUnsafeGuaranteedRef { engine in
            let channels = inputChannels
            let input = engine.inputBuffer(frames: frames)
            for channel in 0..<channels {
                let port = jack_port_get_buffer(inputPortTable[channel], jack_nframes_t(frames)).assumingMemoryBound(to: Float.self)
                for frame in 0..<frames { input[frame * channels + channel] = port[frame] }
            }
            // The period's first frame was captured one period before this callback.
            engine.process(input: input, frames: frames, captureAgeNs: periodNs)
            spread(engine.output(.virtualMic), to: micPortTable, frames: frames)
            spread(engine.output(.monitor), to: monitorPortTable, frames: frames)
        }
        allocations?.noteCallback()
    }

    private func spread(_ samples: UnsafeBufferPointer<Float>, to ports: UnsafeMutablePointer<OpaquePointer?>, frames: Int) {
        let channels = outputChannels
        for channel in 0..<channels {
            let port = jack_port_get_buffer(ports[channel], jack_nframes_t(frames)).assumingMemoryBound(to: Float.self)
            for frame in 0..<frames { port[frame] = samples[frame * channels + channel] }
        }
    }
}
