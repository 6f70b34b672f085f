import CDirectPipePipeWire
import CDirectPipeShm
import Foundation
import Synchronization

/// Measures a running DirectPipe's latency in the PipeWire graph by sending
/// an impulse through it: one probe node plays an impulse into
/// `directpipe:input_FL`, a second listens on `directpipe:monitor_FL`, both
/// counting in the graph's own positions. Two nodes, so the graph has no
/// cycle (sender -> DirectPipe -> listener). Measured, not computed.
public final class PipeWireLatencyProbe: @unchecked Sendable {
    private var sender: OpaquePointer?
    private var listener: OpaquePointer?
    private var cycles = 0  // sender's thread
    private let sentPosition = Atomic<UInt64>(0)
    private let arrivedPosition = Atomic<UInt64>(0)
    private let sentNs = Atomic<UInt64>(0)
    private let rate = Atomic<UInt32>(0)
    private let phase = Atomic<Int>(0)  // 0 waiting for links, 1 settling, 2 sent, 3 arrived or given up
    private static let settleCycles = 20
    private static let threshold: Float = 0.01

    /// Creates both nodes and waits (up to 2 s) for them to be linked around `target`.
    public init(target: String = "directpipe") throws(BackendError) {
        let context = Unmanaged.passUnretained(self).toOpaque()
        sender = try Self.node(
            "directpipe-latency-out", "Stream/Output/Audio", output: true, prefix: "impulse", target: target, context: context
        ) { context, _, outputs, frames, cycleNs, graphRate in
            Unmanaged<PipeWireLatencyProbe>.fromOpaque(context!)._withUnsafeGuaranteedRef {
                $0.send(outputs![0]!, frames: Int(frames), cycleNs: cycleNs, graphRate: graphRate)
            }
        }
        listener = try Self.node(
            "directpipe-latency-in", "Stream/Input/Audio", output: false, prefix: "from_monitor", target: target, context: context
        ) { context, inputs, _, frames, _, _ in
            Unmanaged<PipeWireLatencyProbe>.fromOpaque(context!)._withUnsafeGuaranteedRef {
                $0.listen(inputs![0]!, frames: Int(frames))
            }
        }
        let deadline = Date().addingTimeInterval(2)
        while Date() < deadline, !(dp_pw_node_linked_ports(sender, 0) == 1 && dp_pw_node_linked_ports(listener, 0) == 1) {
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
    }

    private static func node(
        _ name: String, _ mediaClass: String, output: Bool, prefix: String, target: String, context: UnsafeMutableRawPointer,
        process: dp_pw_process_fn
    ) throws(BackendError) -> OpaquePointer {
        var created: OpaquePointer?
        var error = ""
        name.withCString { name in mediaClass.withCString { mediaClass in prefix.withCString { prefix in
            target.withCString { target in "FL".withCString { channel in
                var channels: UnsafePointer<CChar>? = channel
                withUnsafePointer(to: &channels) { channels in
                    var config = dp_pw_node_config()
                    config.node_name = name
                    config.description = name
                    config.media_class = mediaClass
                    config.group_count = 1
                    config.groups.0 = dp_pw_port_group(is_output: output ? 1 : 0, prefix: prefix, count: 1, channels: channels, target: target)
                    error = cMessage { dp_pw_node_create(&config, process, context, &created, $0, $1) }
                }
            } }
        } } }
        guard let created else { throw .badInput(error) }
        return created
    }

    /// CLOCK_MONOTONIC time of the cycle that carried the impulse; 0 until it was sent.
    public var impulseSentNs: UInt64 { sentNs.load(ordering: .acquiring) }

    /// Sends the impulse and waits (at most `timeout` s) for it on the monitor; frames DirectPipe added, or nil.
    public func measure(timeout: TimeInterval = 2) -> (monitorFrames: Int?, sampleRate: Int) {
        let deadline = Date().addingTimeInterval(timeout)
        while phase.load(ordering: .acquiring) != 3, Date() < deadline { usleep(1000) }
        let arrived = phase.load(ordering: .acquiring) == 3 && arrivedPosition.load(ordering: .acquiring) != 0
        phase.store(3, ordering: .releasing)
        let frames = arrived ? Int(arrivedPosition.load(ordering: .acquiring) &- sentPosition.load(ordering: .acquiring)) : nil
        return (frames, Int(rate.load(ordering: .relaxed)))
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

    /// The listener's cycle (after DirectPipe's in the same graph cycle): where did the impulse come out?
    private func listen(_ samples: UnsafePointer<Float>, frames: Int) {
        guard phase.load(ordering: .acquiring) == 2, let listener else { return }
        let position = dp_pw_node_cycle_position(listener)
        for index in 0..<frames where abs(samples[index]) > Self.threshold {
            arrivedPosition.store(position &+ UInt64(index), ordering: .releasing)
            phase.store(3, ordering: .releasing)
            return
        }
    }
}
