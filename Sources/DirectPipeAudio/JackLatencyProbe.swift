import CDirectPipeJack
import CDirectPipeShm
import Foundation
import Synchronization

/// Measures a running DirectPipe's latency on JACK by sending an impulse
/// through it: one client plays an impulse into `directpipe:in_1`, a second
/// watches `mic_out_1` and `monitor_out_1` for it, counting frames of JACK
/// time. Two clients, because one client both feeding and listening would be
/// a cycle in the graph, which JACK breaks with a period of delay. Measured,
/// not computed: whatever DirectPipe adds shows up.
/// Unchecked Sendable: the JACK handles never change; `cycle` and the found frames are the callbacks' own, published through `phase`.
public final class JackLatencyProbe: @unchecked Sendable {
    /// Frames DirectPipe added between its input port and each output port (nil: never arrived).
    public struct PortLatency: Sendable, Encodable {
        public var micFrames: Int?
        public var monitorFrames: Int?
    }

    public let sampleRate: Int
    public let periodFrames: Int
    private let client: OpaquePointer  // the sender
    private let listener: OpaquePointer
    private let impulse: OpaquePointer
    private let fromMic: OpaquePointer
    private let fromMonitor: OpaquePointer
    // Touched by the process callback, published to the caller through `phase`.
    private var cycle = 0
    private let sentFrameTime = Atomic<UInt32>(0)
    private var sentFrame: jack_nframes_t { sentFrameTime.load(ordering: .acquiring) }
    private var micFrame: jack_nframes_t?
    private var monitorFrame: jack_nframes_t?
    private let sentNs = Atomic<UInt64>(0)
    private let phase = Atomic<Int>(0)  // 0 settling, 1 sent, 2 done
    private static let settleCycles = 20
    private static let threshold: Float = 0.01

    /// Opens the probe on `serverName` and wires it around DirectPipe's client `target`.
    public init(serverName: String?, target: String = "directpipe") throws(BackendError) {
        JackSupport.quietLibjack()
        var status = jack_status_t(0)
        guard let client = dp_jack_client_open("directpipe-latency-out", serverName, &status) else {
            throw .badInput("no JACK server '\(serverName ?? "default")' is running")
        }
        guard let listener = dp_jack_client_open("directpipe-latency-in", serverName, &status) else {
            jack_client_close(client)
            throw .badInput("no JACK server '\(serverName ?? "default")' is running")
        }
        func register(_ owner: OpaquePointer, _ name: String, _ flags: JackPortFlags) -> OpaquePointer? {
            jack_port_register(owner, name, JACK_DEFAULT_AUDIO_TYPE, UInt(flags.rawValue), 0)
        }
        guard let impulse = register(client, "impulse", JackPortIsOutput), let fromMic = register(listener, "from_mic", JackPortIsInput),
            let fromMonitor = register(listener, "from_monitor", JackPortIsInput)
        else {
            jack_client_close(listener)
            jack_client_close(client)
            throw .badInput("JACK refused the probe's ports")
        }
        self.client = client
        self.listener = listener
        self.impulse = impulse
        self.fromMic = fromMic
        self.fromMonitor = fromMonitor
        sampleRate = Int(jack_get_sample_rate(client))
        periodFrames = Int(jack_get_buffer_size(client))
        let context = Unmanaged.passUnretained(self).toOpaque()
        jack_set_process_callback(
            client,
            { frames, context in
                Unmanaged<JackLatencyProbe>.fromOpaque(context!)._withUnsafeGuaranteedRef { $0.send(frames) }
                return 0
            }, context)
        jack_set_process_callback(
            listener,
            { frames, context in
                Unmanaged<JackLatencyProbe>.fromOpaque(context!)._withUnsafeGuaranteedRef { $0.listen(frames) }
                return 0
            }, context)
        // From here on every property is set, so deinit closes the clients if init throws.
        guard jack_activate(client) == 0, jack_activate(listener) == 0 else { throw .badInput("JACK refused to activate the probe") }
        let ours = { (port: OpaquePointer) in String(cString: jack_port_name(port)) }
        let connections: [(String, String)] = [
            (ours(impulse), "\(target):in_1"), ("\(target):mic_out_1", ours(fromMic)),
            ("\(target):monitor_out_1", ours(fromMonitor)),
        ]
        for (source, destination) in connections where jack_connect(listener, source, destination) != 0 {
            throw .badInput("cannot connect \(source) to \(destination): is 'directpipe run --backend jack' running?")
        }
    }

    deinit {
        jack_deactivate(listener)
        jack_deactivate(client)
        jack_client_close(listener)
        jack_client_close(client)
    }

    /// CLOCK_MONOTONIC time of the cycle that carried the impulse; 0 until it was sent.
    public var impulseSentNs: UInt64 { sentNs.load(ordering: .acquiring) }

    /// Sends the impulse and waits (at most `timeout` seconds) for it on both outputs.
    public func measure(timeout: TimeInterval = 2) -> PortLatency {
        let deadline = Date().addingTimeInterval(timeout)
        while phase.load(ordering: .acquiring) != 2, Date() < deadline { usleep(1000) }
        phase.store(2, ordering: .releasing)  // stop looking
        usleep(20_000)  // let a callback in flight finish before reading its findings
        return PortLatency(
            micFrames: micFrame.map { Int($0 &- sentFrame) }, monitorFrames: monitorFrame.map { Int($0 &- sentFrame) })
    }

    /// The sender's callback: silence, then one impulse once the graph has settled.
    private func send(_ frames: jack_nframes_t) {
        let out = jack_port_get_buffer(impulse, frames).assumingMemoryBound(to: Float.self)
        out.update(repeating: 0, count: Int(frames))
        guard phase.load(ordering: .acquiring) == 0 else { return }
        cycle += 1
        guard cycle >= Self.settleCycles else { return }
        out[0] = 1
        sentFrameTime.store(jack_last_frame_time(client), ordering: .releasing)
        sentNs.store(dp_monotonic_ns(), ordering: .releasing)
        phase.store(1, ordering: .releasing)
    }

    /// The listener's callback (after DirectPipe in the same cycle): where did the impulse come out?
    private func listen(_ frames: jack_nframes_t) {
        guard phase.load(ordering: .acquiring) == 1 else { return }
        let now = jack_last_frame_time(listener)
        func find(_ port: OpaquePointer) -> jack_nframes_t? {
            let samples = jack_port_get_buffer(port, frames).assumingMemoryBound(to: Float.self)
            for index in 0..<Int(frames) where abs(samples[index]) > Self.threshold { return now &+ jack_nframes_t(index) }
            return nil
        }
        if micFrame == nil { micFrame = find(fromMic) }
        if monitorFrame == nil { monitorFrame = find(fromMonitor) }
        let waited = Int(now &- sentFrame)
        if (micFrame != nil && monitorFrame != nil) || waited > sampleRate { phase.store(2, ordering: .releasing) }
    }
}
