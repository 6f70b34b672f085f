import CDirectPipePipeWire

/// The audio nodes of the PipeWire graph now, from a short-lived connection:
/// for `directpipe devices` and for naming the sources there are when the one
/// asked for is not.
public enum PipeWireGraph {
    public struct Node: Sendable, Equatable {
        public var id: UInt32
        public var name: String
        public var description: String?
        public var mediaClass: String
        /// From the node's audio.channels / audio.rate, when it says (devices do).
        public var channels: Int?
        public var sampleRate: Int?

        public var isSource: Bool { mediaClass.hasPrefix("Audio/Source") || mediaClass == "Audio/Duplex" }
        public var isSink: Bool { mediaClass.hasPrefix("Audio/Sink") || mediaClass == "Audio/Duplex" }
    }

    /// nil when no PipeWire daemon answers.
    public static func nodes() -> [Node]? {
        final class Collector { var nodes: [Node] = [] }
        let collector = Collector()
        let result = withExtendedLifetime(collector) {
            dp_pw_list_nodes(
                { context, id, name, description, mediaClass, channels, rate in
                    let collector = Unmanaged<Collector>.fromOpaque(context!).takeUnretainedValue()
                    collector.nodes.append(
                        Node(
                            id: id, name: String(cString: name!), description: description.map { String(cString: $0) },
                            mediaClass: String(cString: mediaClass!), channels: channels > 0 ? Int(channels) : nil,
                            sampleRate: rate > 0 ? Int(rate) : nil))
                }, Unmanaged.passUnretained(collector).toOpaque(), nil, 0)
        }
        return result == 0 ? collector.nodes : nil
    }
}
