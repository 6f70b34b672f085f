import CDirectPipeAlsa
import CDirectPipeJack
import Foundation

/// What each backend offers to capture from and play to, for `directpipe devices`.
public struct DeviceList: Sendable, Encodable {
    /// One PCM device or JACK port.
    public struct Device: Sendable, Encodable {
        public var name: String
        public var description: String?
        /// ALSA: what the device accepts in this direction (hardware devices, or every one with `probeAll`).
        public var formats: AlsaCapabilities?
    }

    public struct Jack: Sendable, Encodable {
        public var server: String
        public var sampleRate: Int
        public var periodFrames: Int
        /// Ports DirectPipe's inputs can connect to (other clients' outputs, physical first).
        public var capture: [Device]
        /// Ports DirectPipe's outputs can connect to.
        public var playback: [Device]
    }

    public struct PipeWire: Sendable, Encodable {
        /// Source nodes DirectPipe's inputs can link to (by node name).
        public var capture: [Device]
        /// Sink nodes the monitor can link to.
        public var playback: [Device]
    }

    /// nil when no PipeWire daemon answers.
    public var pipewire: PipeWire?
    /// nil when no JACK server answers.
    public var jack: Jack?
    public var alsaCapture: [Device]
    public var alsaPlayback: [Device]

    /// Asks every backend now (a short-lived PipeWire connection and JACK client; ALSA's device hints). ALSA's
    /// hardware devices (`hw:`) are opened for a moment to read their formats; with `probeAll`, every ALSA device
    /// is (plugins included, which may talk to a sound server: asked for, not done by default).
    public static func current(jackServer: String?, probeAll: Bool = false) -> DeviceList {
        JackSupport.quietLibjack()  // ALSA's jack plugin, when probed, talks through libjack too
        let alsa = alsaDevices(probeAll: probeAll)
        return DeviceList(
            pipewire: pipewireNodes(), jack: jackPorts(serverName: jackServer), alsaCapture: alsa.capture, alsaPlayback: alsa.playback)
    }

    private static func pipewireNodes() -> PipeWire? {
        guard let nodes = PipeWireGraph.nodes()?.filter({ $0.name != "directpipe" }) else { return nil }
        func devices(_ nodes: [PipeWireGraph.Node]) -> [Device] {
            nodes.map { node in
                let format = [node.channels.map { "\($0) ch" }, node.sampleRate.map { "\($0) Hz" }].compactMap { $0 }
                return Device(name: node.name, description: ([node.description, node.mediaClass].compactMap { $0 } + format).joined(separator: ", "))
            }
        }
        return PipeWire(capture: devices(nodes.filter(\.isSource)), playback: devices(nodes.filter(\.isSink)))
    }

    private static func jackPorts(serverName: String?) -> Jack? {
        var status = jack_status_t(0)
        guard let client = dp_jack_client_open("directpipe-devices", serverName, &status) else { return nil }
        defer { jack_client_close(client) }
        func ports(_ flags: JackPortFlags) -> [Device] {
            JackSupport.portNames(client, flags: flags.rawValue).filter { !$0.hasPrefix("directpipe:") }.map { name in
                let physical = jack_port_by_name(client, name).map { jack_port_flags($0) & Int32(JackPortIsPhysical.rawValue) != 0 } ?? false
                return Device(name: name, description: physical ? "physical" : nil)
            }
        }
        return Jack(
            server: serverName ?? ProcessInfo.processInfo.environment["JACK_DEFAULT_SERVER"] ?? "default",
            sampleRate: Int(jack_get_sample_rate(client)), periodFrames: Int(jack_get_buffer_size(client)),
            capture: ports(JackPortIsOutput), playback: ports(JackPortIsInput))
    }

    private static func alsaDevices(probeAll: Bool) -> (capture: [Device], playback: [Device]) {
        dp_alsa_silence_errors()
        var hints: UnsafeMutablePointer<UnsafeMutableRawPointer?>?
        guard snd_device_name_hint(-1, "pcm", &hints) == 0, let hints else { return ([], []) }
        defer { snd_device_name_free_hint(hints) }
        var capture: [Device] = [], playback: [Device] = []
        func take(_ hint: UnsafeMutableRawPointer, _ key: String) -> String? {
            guard let value = snd_device_name_get_hint(hint, key) else { return nil }
            defer { free(value) }
            return String(cString: value)
        }
        var index = 0
        while let hint = hints[index] {
            index += 1
            guard let name = take(hint, "NAME") else { continue }
            let description = take(hint, "DESC")?.split(separator: "\n").joined(separator: " — ")
            let direction = take(hint, "IOID")  // nil: both
            let probe = probeAll || name.hasPrefix("hw:")
            if direction != "Output" {
                capture.append(Device(name: name, description: description, formats: probe ? AlsaCapabilities.probe(name, capture: true) : nil))
            }
            if direction != "Input" {
                playback.append(Device(name: name, description: description, formats: probe ? AlsaCapabilities.probe(name, capture: false) : nil))
            }
        }
        return (capture, playback)
    }
}
