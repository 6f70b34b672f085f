import CDirectPipePipeWire
import CDirectPipeShm
import Foundation
import Synchronization

/// Measures a running DirectPipe's latency in the PipeWire graph by sending
/// an impulse through it: one probe node plays an impulse into
/// `directpipe:input_FL`, others listen on `directpipe:monitor_FL` and on the
/// virtual mic (`directpipe_mic:capture_FL`), all counting in the graph's own
/// positions. Separate nodes, so the graph has no cycle (sender -> DirectPipe
/// -> listeners). Measured, not computed.
/// Unchecked Sendable: node handles are set in init, then only read; `cycles` is the sender's data thread's; results are Atomics.
public final class PipeWireLatencyProbe: @unchecked Sendable {
    private var sender: OpaquePointer?
    private var listener: OpaquePointer?
    private var micListener: OpaquePointer?
    private var cycles = 0  // sender's thread
    private let sentPosition = Atomic<UInt64>(0)
    private let arrivedPosition = Atomic<UInt64>(0)
    private let micArrivedPosition = Atomic<UInt64>(0)
    private let sentNs = Atomic<UInt64>(0)
    private let rate = Atomic<UInt32>(0)
    private let phase = Atomic<Int>(0)  // 0 waiting for links, 1 settling, 2 sent, 3 given up
    private static let settleCycles = 20
    private static let threshold: Float = 0.01

    /// Creates the nodes and waits (up to 2 s) for them to be linked around `target` and `mic`.
    public init(target: String = "directpipe", mic: String = "directpipe_mic") throws(BackendError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        sender = try Self.node(
            "directpipe-latency-out", "Stream/Output/Audio", output: true, prefix: "impulse", target: target, context: context
        ) { context, _, outputs, frames, cycleNs, graphRate, _ in
            Unmanaged<PipeWireLatencyProbe>.fromOpaque(context!)._withUnsafeGuaranteedRef {
                $0.send(outputs![0]!, frames: Int(frames), cycleNs: cycleNs, graphRate: graphRate)
            }
        }
        listener = try Self.node(
            "directpipe-latency-in", "Stream/Input/Audio", output: false, prefix: "from_monitor", target: target, context: context
        ) { context, inputs, _, frames, _, _, _ in
            Unmanaged<PipeWireLatencyProbe>.fromOpaque(context!)._withUnsafeGuaranteedRef {
                $0.listen(inputs![0]!, frames: Int(frames), node: $0.listener, arrival: $0.arrivedPosition)
            }
        }
        micListener = try Self.node(
            "directpipe-latency-mic", "Stream/Input/Audio", output: false, prefix: "from_mic", target: mic, context: context
        ) { context, inputs, _, frames, _, _, _ in
            Unmanaged<PipeWireLatencyProbe>.fromOpaque(context!)._withUnsafeGuaranteedRef {
                $0.listen(inputs![0]!, frames: Int(frames), node: $0.micListener, arrival: $0.micArrivedPosition)
            }
        }
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline,
            !(dp_pw_node_linked_ports(sender, 0) == 1 && dp_pw_node_linked_ports(listener, 0) == 1
                && dp_pw_node_linked_ports(micListener, 0) == 1)
        {
            usleep(5_000)
        }
        guard dp_pw_node_linked_ports(sender, 0) == 1 else {
            throw .badInput("cannot link to \(target):input_FL: is 'directpipe run --backend pipewire' running?")
        }
        guard dp_pw_node_linked_ports(listener, 0) == 1 else {
            throw .badInput("cannot link from \(target):monitor_FL: is 'directpipe run --backend pipewire' running?")
        }
        phase.store(1, ordering: .releasing)
    }

    deinit {
        if let sender { dp_pw_node_destroy(sender) }
        if let listener { dp_pw_node_destroy(listener) }
        if let micListener { dp_pw_node_destroy(micListener) }
    }

    private static func node(
        _ name: String, _ mediaClass: String, output: Bool, prefix: String, target: String, context: UnsafeMutableRawPointer,
        process: dp_pw_process_fn
    ) throws(BackendError) -> OpaquePointer {
        var created: OpaquePointer?
        var error = ""
        name.withCString { name in
            mediaClass.withCString { mediaClass in
                prefix.withCString { prefix in
                    target.withCString { target in
                        "FL".withCString { channel in
                            var channels: UnsafePointer<CChar>? = channel
                            withUnsafePointer(to: &channels) { channels in
                                var config = dp_pw_node_config()
                                config.node_name = name
                                config.description = name
                                config.media_class = mediaClass
                                config.group_count = 1
                                config.groups.0 = dp_pw_port_group(
                                    is_output: output ? 1 : 0, prefix: prefix, count: 1, channels: channels, target: target)
                                error = cMessage { dp_pw_node_create(&config, process, context, &created, $0, $1) }
                            }
                        }
                    }
                }
            }
        }
        guard let created else { throw .badInput(error) }
        return created
    }

    /// CLOCK_MONOTONIC time of the cycle that carried the impulse; 0 until it was sent.
    public var impulseSentNs: UInt64 { sentNs.load(ordering: .acquiring) }

    /// Sends the impulse and waits (at most `timeout` s) for it on the monitor and the virtual mic;
    /// the frames DirectPipe added on the way to each, or nil where it never arrived (or nothing is linked).
    public func measure(timeout: TimeInterval = 2) -> (monitorFrames: Int?, micFrames: Int?, sampleRate: Int) {
        let deadline = Date().addingTimeInterval(timeout)
        func done(_ arrival: borrowing Atomic<UInt64>, _ node: OpaquePointer?) -> Bool {
            arrival.load(ordering: .acquiring) != 0 || dp_pw_node_linked_ports(node, 0) == 0
        }
        while !(done(arrivedPosition, listener) && done(micArrivedPosition, micListener)), Date() < deadline { usleep(1000) }
        phase.store(3, ordering: .releasing)
        usleep(20_000)  // let a cycle in flight finish before reading its findings
        let sent = sentPosition.load(ordering: .acquiring)
        func frames(_ arrival: borrowing Atomic<UInt64>) -> Int? {
            let position = arrival.load(ordering: .acquiring)
            return position != 0 && sent != 0 ? Int(position &- sent) : nil
        }
        return (frames(arrivedPosition), frames(micArrivedPosition), Int(rate.load(ordering: .relaxed)))
    }

    /// The sender's cycle: silence, then one impulse once linked and settled.
    private func send(_ out: UnsafeMutablePointer<Float>, frames: Int, cycleNs: UInt64, graphRate: UInt32) {
        out.update(repeating: 0, count: frames)
        rate.store(graphRate, ordering: .relaxed)
        guard phase.load(ordering: .acquiring) == 1 else { return }
        cycles += 1
        guard cycles >= Self.settleCycles, let sender else { return }
        out[0] = 1
        sentPosition.store(dp_pw_node_cycle_position(sender), ordering: .releasing)
        sentNs.store(cycleNs, ordering: .releasing)
        phase.store(2, ordering: .releasing)
    }

    /// A listener's cycle (after DirectPipe's in the same graph cycle): where did the impulse come out?
    private func listen(_ samples: UnsafePointer<Float>, frames: Int, node: OpaquePointer?, arrival: borrowing Atomic<UInt64>) {
        guard phase.load(ordering: .acquiring) == 2, let node, arrival.load(ordering: .relaxed) == 0 else { return }
        let position = dp_pw_node_cycle_position(node)
        for index in 0..<frames where abs(samples[index]) > Self.threshold {
            arrival.store(position &+ UInt64(index), ordering: .releasing)
            return
        }
    }
}
