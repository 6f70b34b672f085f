import CDirectPipePipeWire
import DirectPipeEngine
import Synchronization

/// The virtual microphone when the engine runs on JACK, ALSA, a file or the
/// clock while a PipeWire daemon is there: a PipeWire node
/// (`directpipe-mic-feed`) that creates and owns "DirectPipe Virtual Mic" and
/// feeds it, in the graph's real-time cycle, from the engine's mic ring
/// through a ``DriftFollower`` (the engine's clock and the graph's are not the
/// same crystal).
/// Unchecked Sendable: only the data thread touches `started`, `interleaved` and the follower's reading side; start/stop set `node`.
public final class PipeWireMicBridge: @unchecked Sendable {
    public var ring: SampleRing { follower.ring }
    public let mic: PipeWireBackend.VirtualMic
    private let follower: DriftFollower
    private let channels: Int
    private let sampleRate: UInt32
    private let periodFrames: Int
    private let interleaved: UnsafeMutablePointer<Float>
    private var node: OpaquePointer?
    private var started = false  // the data thread's own

    public init(format: EngineFormat, mic: PipeWireBackend.VirtualMic) throws(BackendError) {
        self.mic = mic
        channels = format.outputChannels
        sampleRate = UInt32(format.sampleRate)
        periodFrames = format.periodFrames
        // The graph asks for the engine's period too (node.latency), so both sides move in like steps.
        follower = try DriftFollower(
            channels: channels, sampleRate: format.sampleRate, producerPeriod: format.periodFrames,
            consumerPeriod: format.periodFrames)
        interleaved = .allocate(capacity: EngineFormat.maxPeriodFrames * channels)
        interleaved.initialize(repeating: 0, count: EngineFormat.maxPeriodFrames * channels)
    }

    deinit {
        stop()
        interleaved.deallocate()
    }

    /// How much faster the engine's clock runs than the graph's (ppm), and the dropouts so far.
    public var driftPPM: Int { follower.driftPartsPerMillion }
    public var underflows: Int { follower.underflowCount }
    /// Times a stall left far too much in the ring and the bridge dropped to its target (a jump in the sound).
    public var resyncs: Int { follower.resyncCount }
    /// Cycles the graph skipped ahead over this node (PipeWire's xruns as it sees them): each is a gap in
    /// what the mic's listeners receive, though the bridge itself played on without one.
    public var graphXruns: Int { node.map { Int(dp_pw_node_skipped_cycles($0)) } ?? xrunsWhenStopped }
    private var xrunsWhenStopped = 0

    /// Creates the feeding node and the virtual source in the graph.
    public func start() throws(BackendError) {
        let names = channels == 1 ? ["MONO"] : ["FL", "FR"]
        let strings = CStrings(
            [
                "directpipe-mic-feed", "DirectPipe (virtual mic feed)", "Stream/Output/Audio", "mic",
                mic.nodeName, mic.description,
            ] + names)
        defer { strings.free() }
        var config = dp_pw_node_config()
        config.node_name = strings[0]
        config.description = strings[1]
        config.media_class = strings[2]
        config.rate = sampleRate
        config.quantum = UInt32(periodFrames)
        config.group_count = 1
        config.groups.0 = dp_pw_port_group(
            is_output: 1, prefix: strings[3], count: UInt32(channels), channels: UnsafePointer(strings.pointers + 6),
            target: strings[4])
        config.virtual_source.node_name = strings[4]
        config.virtual_source.description = strings[5]
        config.virtual_source.channels = UInt32(channels)
        config.virtual_source.make_default = mic.makeDefault ? 1 : 0
        var created: OpaquePointer?
        let context = Unmanaged.passUnretained(self).toOpaque()
        let error = cMessage { message, size in
            _ = dp_pw_node_create(
                &config,
                { context, _, outputs, frames, cycleNs, graphRate, skippedFrames in
                    Unmanaged<PipeWireMicBridge>.fromOpaque(context!)._withUnsafeGuaranteedRef {
                        $0.process(outputs!, frames: Int(frames), cycleNs: cycleNs, graphRate: graphRate, skippedFrames: Int(skippedFrames))
                    }
                }, context, &created, message, size)
        }
        guard let created else { throw .badInput("the virtual mic: \(error)") }
        node = created
    }

    public func stop() {
        if let node {
            xrunsWhenStopped = Int(dp_pw_node_skipped_cycles(node))
            dp_pw_node_destroy(node)
        }
        node = nil
    }

    /// One graph cycle (PipeWire's data thread): resample what the engine wrote, spread it on the ports.
    /// `skippedFrames`: how far the graph skipped ahead before this cycle (an xrun); what those frames would
    /// have played is owed, and dropped rather than drained by a pitch bend.
    private func process(
        _ outputs: UnsafePointer<UnsafeMutablePointer<Float>?>, frames: Int, cycleNs: UInt64, graphRate: UInt32, skippedFrames: Int
    ) {
        guard frames <= EngineFormat.maxPeriodFrames, graphRate == sampleRate else {
            for channel in 0..<channels { outputs[channel]!.update(repeating: 0, count: frames) }
            return
        }
        if !started {
            follower.begin(nowNs: cycleNs)
            started = true
        } else if skippedFrames > 0 {
            follower.skipped(frames: skippedFrames)
        }
        let produced = follower.produce(into: interleaved, frames: frames, nowNs: cycleNs)
        for channel in 0..<channels {
            let port = outputs[channel]!
            for frame in 0..<frames { port[frame] = frame < produced ? interleaved[frame * channels + channel] : 0 }
        }
    }
}
