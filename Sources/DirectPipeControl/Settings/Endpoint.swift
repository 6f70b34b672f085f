import Foundation

/// Where audio comes from or goes, as a user names it: the backend's default, nothing, an ALSA device on its own
/// clock (bridged, drift-compensated), or a name in the backend's own terms. Written as text: `default`, `none`,
/// `alsa:PCM`, anything else.
public enum Endpoint: SettingValue, CustomStringConvertible {
    /// The backend's default (PipeWire's default source or sink, JACK's physical ports, ALSA's `default`).
    case `default`
    /// Nothing: no capture, monitoring off, no extra mic target.
    case none
    /// An ALSA PCM on its own clock (`alsa:hw:Loopback,0`), reached through a drift-following bridge.
    case alsa(pcm: String)
    /// In the backend's terms: a node name or id (PipeWire), ports, comma-separated (JACK), a PCM (the ALSA
    /// backend), `tone:HZ`, `silence` or a file (the clock), a file (the file backend).
    case named(String)

    public init(argument text: String) throws(SettingProblem) {
        switch text {
        case "": throw SettingProblem("is empty: leave it out for the default, or say \"none\"")
        case "default": self = .default
        case "none": self = .none
        case _ where text.hasPrefix("alsa:"):
            let pcm = String(text.dropFirst("alsa:".count))
            guard !pcm.isEmpty else { throw SettingProblem("'alsa:' names no device (alsa:hw:1,0, say)") }
            self = .alsa(pcm: pcm)
        default: self = .named(text)
        }
    }

    public init(json: JSONValue) throws(SettingProblem) {
        guard case .string(let text) = json else { throw SettingProblem("must be a device name as a string, not \(json)") }
        try self.init(argument: text)
    }

    /// The text that makes this endpoint again.
    public var description: String {
        switch self {
        case .default: "default"
        case .none: "none"
        case .alsa(let pcm): "alsa:\(pcm)"
        case .named(let name): name
        }
    }

    /// The names of a list (JACK ports: `system:capture_1,system:capture_2`); empty for anything but a name.
    public var names: [String] {
        guard case .named(let text) = self else { return [] }
        return text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// The ALSA PCM this names where a PCM is meant (the ALSA backend's input, an ALSA or clock monitor): ALSA's
    /// `default`, the device of `alsa:PCM`, or the name itself; nil for none.
    public var pcm: String? {
        switch self {
        case .none: nil
        case .default: "default"
        case .alsa(let pcm), .named(let pcm): pcm
        }
    }

    /// The ALSA device of `alsa:PCM` (a device on its own clock, bridged), else nil.
    public var alsaDevice: String? {
        guard case .alsa(let pcm) = self else { return nil }
        return pcm
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
