import CDirectPipePipeWire
import DirectPipeEngine
import Foundation
import Synchronization

/// DirectPipe as a PipeWire node ("DirectPipe", node name `directpipe`,
/// media.class Stream/Input/Audio): input ports `input_FL`, `input_FR` (or
/// `input_MONO`, `input_AUX0`...) linked to the chosen source or the default
/// one, output ports `monitor_FL`/`monitor_FR` linked to the chosen sink when
/// monitoring, and `mic_FL`/`mic_FR` linked to the virtual microphone
/// ("DirectPipe Virtual Mic", `directpipe_mic`, a source every app can record
/// from), all in PipeWire's real-time data thread at the quantum asked for
/// with `node.latency`: the mic is fed in the same graph cycle.
///
/// The node links its own ports, like a JACK client (see pipewire_links.c): it
/// works with WirePlumber and with no session manager, and links again when
/// its source leaves and comes back. When the daemon goes away, it reconnects
/// every 250 ms.
/// Unchecked Sendable: the data thread reads only fields start() set before the node; `node` is the supervisor thread's while it runs.
public final class PipeWireBackend: AudioBackend, @unchecked Sendable {
    public struct Options: Sendable {
        public var nodeName = "directpipe"
        public var description = "DirectPipe"
        /// The source node the input ports are linked to.
        public var capture = Target.defaultNode
        /// The sink node the monitor ports are linked to.
        public var monitor = Target.none
        /// The virtual microphone; nil: none.
        public var virtualMic: VirtualMic?
        /// Hears the connection (to the daemon, and to the source asked for) go and come back, on the backend's
        /// supervisor thread.
        public var onConnectionChange: (@Sendable (Bool) -> Void)?

        public init() {}
    }

    /// The virtual microphone: a source node this backend creates and owns, fed from `mic_*`.
    public struct VirtualMic: Sendable {
        public var nodeName = "directpipe_mic"
        public var description = "DirectPipe Virtual Mic"
        /// Make it the session's default input while it exists (the previous default comes back after).
        public var makeDefault: Bool

        public init(makeDefault: Bool = false) { self.makeDefault = makeDefault }
    }

    public let name = "pipewire"
    public let options: Options
    public private(set) var startReport: RealtimeThread.Report?

    private var node: OpaquePointer?
    private var engine: Engine?
    /// The same engine without reference counting, for the data loop (`engine` keeps it alive).
    private var engineView: Unmanaged<Engine>?
    private var inputChannels = 0
    private var outputChannels = 0
    private var hasVirtualMic = false
    private var sampleRate: UInt32 = 0
    /// The rate of the graph when it differs from the engine's (0: same); the engine does not run then.
    private let wrongRate = Atomic<UInt32>(0)
    /// Whether at least one input port is linked to the source (kept by the supervisor).
    private let captureLinked = Atomic<Bool>(false)
    private let allocations = ServerThreadAllocations.whenCounting()
    private let supervisor = ServerSupervisor()
    // What the supervisor has seen and reported (its thread only).
    private var reportedLinked = true
    private var reportedRate: UInt32 = 0
    private var countedSkips: UInt64 = 0

    public init(options: Options) {
        self.options = options
    }

    deinit {
        stop()
    }

    /// Whether a PipeWire daemon answers (for `--backend auto`).
    public static var isAvailable: Bool { dp_pw_daemon_available() != 0 }

    /// Connected to the daemon and, when a source was asked for, linked to it.
    public var isConnected: Bool {
        supervisor.isConnected && (options.capture == .none || captureLinked.load(ordering: .relaxed))
    }

    public var reconnects: Int { supervisor.reconnects }
    public var countedAllocations: Int64? { allocations?.value }

    public func start(_ engine: Engine) throws(BackendError) {
        self.engine = engine
        engineView = Unmanaged.passUnretained(engine)
        inputChannels = engine.format.inputChannels
        outputChannels = engine.format.outputChannels
        sampleRate = UInt32(engine.format.sampleRate)
        hasVirtualMic = options.virtualMic != nil
        try connect()
        supervisor.start(
            name: "directpipe-pw-supervisor", watch: { [self] in watch() }, reconnect: { [self] in reconnectAfterLoss() },
            connected: { [self] in isConnected }, onChange: options.onConnectionChange)
        startReport = waitForRealtimeCycles()
    }

    public func stop() {
        guard supervisor.isRunning else { return }
        // The supervisor first: its thread may reconnect or drop `node` until it has stopped.
        supervisor.stop()
        if node != nil, supervisor.isConnected { allocations?.finish() }
        disconnect()
    }

    // MARK: connection

    /// The node's port groups, in the order `connect()` declares them: input (0), monitor (1), mic (2).
    private enum Group {
        static let input: UInt32 = 0
    }

    /// PipeWire's channel names for a port group: MONO, FL FR, or AUX0...
    private static func channelNames(_ count: Int) -> [String] {
        switch count {
        case 1: ["MONO"]
        case 2: ["FL", "FR"]
        default: (0..<count).map { "AUX\($0)" }
        }
    }

    /// A node to link ports to: the session's default (source or sink), none, or one by `node.name` or id.
    public enum Target: Sendable, Equatable {
        case defaultNode, none
        case node(String)
    }

    private func connect() throws(BackendError) {
        guard let engine else { return }
        let captureTarget = Self.name(of: options.capture, default: DP_PW_DEFAULT_SOURCE)
        let monitorTarget = Self.name(of: options.monitor, default: DP_PW_DEFAULT_SINK)
        let mic = options.virtualMic
        let texts = [
            options.nodeName, options.description, "Stream/Input/Audio", "input", "monitor", "mic",
            captureTarget ?? "", monitorTarget ?? "", mic?.nodeName ?? "", mic?.description ?? "",
        ]
        let strings = CStrings(texts + Self.channelNames(inputChannels) + Self.channelNames(outputChannels))
        defer { strings.free() }
        let inputNames = UnsafePointer(strings.pointers + texts.count)
        let outputNames = inputNames + inputChannels
        var config = dp_pw_node_config()
        config.node_name = strings[0]
        config.description = strings[1]
        config.media_class = strings[2]
        config.rate = UInt32(engine.format.sampleRate)
        config.quantum = UInt32(engine.format.periodFrames)
        config.group_count = mic == nil ? 2 : 3
        config.groups.0 = dp_pw_port_group(
            is_output: 0, prefix: strings[3], count: UInt32(inputChannels), channels: inputNames,
            target: captureTarget == nil ? nil : strings[6])
        config.groups.1 = dp_pw_port_group(
            is_output: 1, prefix: strings[4], count: UInt32(outputChannels), channels: outputNames,
            target: monitorTarget == nil ? nil : strings[7])
        if let mic {
            // The virtual mic's own node, and the engine's mic ports linked into it: one graph cycle.
            config.groups.2 = dp_pw_port_group(
                is_output: 1, prefix: strings[5], count: UInt32(outputChannels), channels: outputNames, target: strings[8])
            config.virtual_source.node_name = strings[8]
            config.virtual_source.description = strings[9]
            config.virtual_source.channels = UInt32(outputChannels)
            config.virtual_source.make_default = mic.makeDefault ? 1 : 0
        }

        var created: OpaquePointer?
        let context = Unmanaged.passUnretained(self).toOpaque()
        let error = cMessage { message, size in
            _ = dp_pw_node_create(
                &config,
                { context, inputs, outputs, frames, cycleNs, graphRate, _ in
                    Unmanaged<PipeWireBackend>.fromOpaque(context!)._withUnsafeGuaranteedRef {
                        $0.process(inputs!, outputs!, frames: Int(frames), cycleNs: cycleNs, graphRate: graphRate)
                    }
                }, context, &created, message, size)
        }
        guard let created else { throw .badInput(error) }
        node = created
        countedSkips = 0
        captureLinked.store(false, ordering: .relaxed)
    }

    private func disconnect() {
        if let node { dp_pw_node_destroy(node) }
        node = nil
    }

    /// Up to two seconds for the graph to schedule the node and for module-rt to make its
    /// data thread real-time (it may do so a little after the first cycles); then how it runs.
    private func waitForRealtimeCycles() -> RealtimeThread.Report {
        let deadline = Date().addingTimeInterval(2)
        var realtime: Int32 = -1
        while let node, realtime != 1, Date() < deadline {
            usleep(5_000)
            realtime = dp_pw_node_data_thread_realtime(node)
        }
        let warning =
            switch realtime {
            case 1: nil as String?
            case 0: "PipeWire's data thread runs without real-time scheduling (is module-rt or RTKit allowed?)"
            default: "the PipeWire graph has not scheduled DirectPipe's node yet (no driver?)"
            }
        return RealtimeThread.Report(realtimeScheduling: realtime == 1, memoryLocked: false, warnings: warning.map { [$0] } ?? [])
    }

    /// Off the audio thread, every 250 ms: notices a daemon that went away, counts the cycles the
    /// graph skipped as xruns (as JACK reports its own), reports a wrong graph rate and the source
    /// leaving and coming back.
    private func watch() {
        guard let node else { return }
        var state = DP_PW_CONNECTING
        let error = cMessage { state = dp_pw_node_state(node, $0, $1) }
        if state == DP_PW_DISCONNECTED || state == DP_PW_ERROR {
            supervisor.markLost()
            log("lost the PipeWire daemon (\(error)); retrying every 250 ms")
            disconnect()
            return
        }
        let skips = dp_pw_node_skipped_cycles(node)
        if skips > countedSkips { engine?.meters.countGraphSkips(Int(skips - countedSkips)) }
        countedSkips = skips
        let rate = wrongRate.load(ordering: .relaxed)
        if rate != reportedRate, rate != 0 {
            log("the PipeWire graph runs at \(rate) Hz but DirectPipe at \(sampleRate) Hz: silent until it matches (use --rate \(rate))")
        }
        reportedRate = rate
        captureLinked.store(dp_pw_node_linked_ports(node, Group.input) > 0, ordering: .relaxed)
        let linked = isConnected
        if linked != reportedLinked {
            log(linked ? "capturing from \(sourceName)" : waitingMessage(present: dp_pw_node_target_present(node, Group.input) != 0))
            reportedLinked = linked
        }
    }

    /// Off the audio thread, every 250 ms while the daemon is gone.
    private func reconnectAfterLoss() -> Bool {
        do {
            try connect()
        } catch {
            return false
        }
        log("PipeWire is back; reconnected")
        return true
    }

    /// What the glue links to for `target` (nil: nothing).
    private static func name(of target: Target, default defaultNode: String) -> String? {
        switch target {
        case .defaultNode: defaultNode
        case .none: nil
        case .node(let name): name
        }
    }

    private var sourceName: String {
        if case .node(let name) = options.capture { return name }
        return "the default source"
    }

    /// Why nothing is captured, naming the sources there are (a typo shows at once).
    private func waitingMessage(present: Bool) -> String {
        if present { return "\(sourceName) is there but not linked yet" }
        let sources = PipeWireGraph.nodes()?.filter { $0.isSource && $0.name != options.virtualMic?.nodeName }.map(\.name) ?? []
        return "\(sourceName) is not there; waiting for it (sources now: \(sources.isEmpty ? "none" : sources.joined(separator: ", ")))"
    }

    private func log(_ message: String) {
        FileHandle.standardError.write(Data("directpipe: \(message)\n".utf8))
    }

    // MARK: the audio thread

    /// One graph cycle: gather the input ports, run the engine, fill the monitor ports.
    private func process(
        _ inputs: UnsafePointer<UnsafePointer<Float>?>, _ outputs: UnsafePointer<UnsafeMutablePointer<Float>?>,
        frames: Int, cycleNs: UInt64, graphRate: UInt32
    ) {
        guard let engineView, frames <= EngineFormat.maxPeriodFrames else { return }
        guard graphRate == sampleRate else {
            wrongRate.store(graphRate, ordering: .relaxed)
            let ports = outputChannels * (hasVirtualMic ? 2 : 1)
            for channel in 0..<ports { outputs[channel]!.update(repeating: 0, count: frames) }
            return
        }
        wrongRate.store(0, ordering: .relaxed)
        engineView._withUnsafeGuaranteedRef { engine in
            let channels = inputChannels
            let input = engine.inputBuffer(frames: frames)
            for channel in 0..<channels {
                let port = inputs[channel]!
                for frame in 0..<frames { input[frame * channels + channel] = port[frame] }
            }
            // The driver woke at cycleNs with a period the device had captured before it.
            let periodNs = UInt64(frames) * 1_000_000_000 / UInt64(graphRate)
            engine.process(input: input, frames: frames, captureTimeNs: cycleNs &- periodNs)
            spread(engine.output(.monitor), to: outputs, frames: frames)
            if hasVirtualMic { spread(engine.output(.virtualMic), to: outputs + outputChannels, frames: frames) }
        }
        allocations?.noteCallback()
    }

    /// Interleaved engine output into the output ports, one channel each.
    private func spread(_ samples: UnsafeBufferPointer<Float>, to ports: UnsafePointer<UnsafeMutablePointer<Float>?>, frames: Int) {
        for channel in 0..<outputChannels {
            let port = ports[channel]!
            for frame in 0..<frames { port[frame] = samples[frame * outputChannels + channel] }
        }
    }
}
