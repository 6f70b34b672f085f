import DirectPipeDSP
import DirectPipeEngine

/// Everything a control source (the API, `directpipe ctl`, the web panel, a hotkey) can ask for. One type,
/// one dispatcher: every source goes through the same actions and gets the same results.
///
/// In JSON an action is an object with an `"action"` name and its arguments, e.g.
/// `{"action": "set_parameter", "effect": 2, "symbol": "threshold", "value": -20}`. Where a switch takes
/// `"on"` (`true`/`false`), leaving it out toggles.
public enum ControlAction: Sendable, Equatable {
    case setInputGain(decibels: Double)
    case muteInput(Bool?)
    case muteOutput(OutputID, Bool?)
    case setOutputVolume(OutputID, Double)
    case enableOutput(OutputID, Bool)
    /// Panic: every output muted at once (and back as they were).
    case panic(Bool?)
    case bypassEffect(Int, Bool?)
    case masterBypass(Bool?)
    case setParameter(effect: Int, symbol: String, value: Float)
    case addEffect(id: String, at: Int?, parameters: [String: Float])
    case removeEffect(Int)
    case moveEffect(from: Int, to: Int)
    case switchSlot(String)
    case nextSlot
    case previousSlot
    case loadPreset(String)
    case savePreset(String)
    case renamePreset(String, to: String)
    case deletePreset(String)
    /// Recording to a file name (.wav or .flac) in the recordings folder; nil: a dated name.
    case startRecording(String?)
    case stopRecording
    case resetXruns
    /// The safety guard on or off, and its ceiling (dBFS, −24…0); either may be left out.
    /// `truePeak`: the guard's true-peak mode (1 ms of latency) or its sample mode; changing it restarts the audio side.
    case setGuard(on: Bool?, ceilingDB: Double?, truePeak: Bool? = nil)
    /// The output's integrated loudness and highest true peak start again.
    case resetLoudness
    /// One-click voice: the ready voice chain (best noise removal here, auto-gain) into a slot (nil: the current
    /// one, else A), switched to, with the safety guard on. Pressed again, it restores the chain in that slot.
    case voice(slot: String?)
    /// Another backend, device, rate, period or channel mode: the audio side restarts (a short gap).
    /// Only ``RunSettings/audioKeys``.
    case configureAudio(RunSettings)
    /// An impulse through the running path, timed at each output; the result goes into the state.
    case measureLatency
    /// Opens effect N's own editor (its plugin's window) on the desktop; nothing if it is open.
    case openEditor(Int)
    /// Closes effect N's editor.
    case closeEditor(Int)

    /// The action's name in JSON.
    public var name: String {
        switch self {
        case .setInputGain: "set_input_gain"
        case .muteInput: "mute_input"
        case .muteOutput: "mute_output"
        case .setOutputVolume: "set_output_volume"
        case .enableOutput: "enable_output"
        case .panic: "panic"
        case .bypassEffect: "bypass_effect"
        case .masterBypass: "master_bypass"
        case .setParameter: "set_parameter"
        case .addEffect: "add_effect"
        case .removeEffect: "remove_effect"
        case .moveEffect: "move_effect"
        case .switchSlot: "switch_slot"
        case .nextSlot: "next_slot"
        case .previousSlot: "previous_slot"
        case .loadPreset: "load_preset"
        case .savePreset: "save_preset"
        case .renamePreset: "rename_preset"
        case .deletePreset: "delete_preset"
        case .startRecording: "record_start"
        case .stopRecording: "record_stop"
        case .resetXruns: "reset_xruns"
        case .setGuard: "set_guard"
        case .resetLoudness: "reset_loudness"
        case .voice: "voice"
        case .configureAudio: "configure_audio"
        case .measureLatency: "measure_latency"
        case .openEditor: "open_editor"
        case .closeEditor: "close_editor"
        }
    }

    public static let names = [
        "set_input_gain", "mute_input", "mute_output", "set_output_volume", "enable_output", "panic", "bypass_effect",
        "master_bypass", "set_parameter", "add_effect", "remove_effect", "move_effect", "switch_slot", "next_slot",
        "previous_slot", "load_preset", "save_preset", "rename_preset", "delete_preset", "record_start", "record_stop", "reset_xruns",
        "set_guard", "reset_loudness", "voice", "configure_audio",
        "measure_latency", "open_editor", "close_editor",
    ]
}

extension ControlAction: Codable {
    private enum Key: String, CodingKey {
        case action, decibels, on, output, volume, effect, symbol, value, id, at, parameters, from, to, slot, name
        case newName = "new_name"
        case ceilingDB = "ceiling_db"
        case truePeak = "true_peak"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: Key.self)
        let name = try c.decode(String.self, forKey: .action)
        func output() throws -> OutputID {
            let text = try c.decode(String.self, forKey: .output)
            guard let id = OutputID(rawValue: text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .output, in: c,
                    debugDescription: "'\(text)' is not an output (\(OutputID.allCases.map(\.rawValue).joined(separator: ", ")))")
            }
            return id
        }
        // Numbers are read as JSON has them (doubles) and made Float after: 1e300 is a number, out of range for the
        // parameter it is for (said so by the effect), not "invalid JSON".
        // An optional argument may be left out, but not given as null (null is not a boolean, a name…).
        func optional<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? { c.contains(key) ? try c.decode(type, forKey: key) : nil }
        func on() throws -> Bool? { try optional(Bool.self, .on) }
        switch name {
        case "set_input_gain": self = .setInputGain(decibels: try c.decode(Double.self, forKey: .decibels))
        case "mute_input": self = .muteInput(try on())
        case "mute_output": self = .muteOutput(try output(), try on())
        case "set_output_volume": self = .setOutputVolume(try output(), try c.decode(Double.self, forKey: .volume))
        case "enable_output": self = .enableOutput(try output(), try c.decode(Bool.self, forKey: .on))
        case "panic": self = .panic(try on())
        case "bypass_effect": self = .bypassEffect(try c.decode(Int.self, forKey: .effect), try on())
        case "master_bypass": self = .masterBypass(try on())
        case "set_parameter":
            self = .setParameter(
                effect: try c.decode(Int.self, forKey: .effect), symbol: try c.decode(String.self, forKey: .symbol),
                value: Float(try c.decode(Double.self, forKey: .value)))
        case "add_effect":
            self = .addEffect(
                id: try c.decode(String.self, forKey: .id), at: try optional(Int.self, .at),
                parameters: (try optional([String: Double].self, .parameters) ?? [:]).mapValues(Float.init))
        case "remove_effect": self = .removeEffect(try c.decode(Int.self, forKey: .effect))
        case "move_effect": self = .moveEffect(from: try c.decode(Int.self, forKey: .from), to: try c.decode(Int.self, forKey: .to))
        case "switch_slot": self = .switchSlot(try c.decode(String.self, forKey: .slot))
        case "next_slot": self = .nextSlot
        case "previous_slot": self = .previousSlot
        case "load_preset": self = .loadPreset(try c.decode(String.self, forKey: .name))
        case "save_preset": self = .savePreset(try c.decode(String.self, forKey: .name))
        case "rename_preset": self = .renamePreset(try c.decode(String.self, forKey: .name), to: try c.decode(String.self, forKey: .newName))
        case "delete_preset": self = .deletePreset(try c.decode(String.self, forKey: .name))
        case "record_start": self = .startRecording(try optional(String.self, .name))
        case "record_stop": self = .stopRecording
        case "reset_xruns": self = .resetXruns
        case "set_guard":
            self = .setGuard(on: try on(), ceilingDB: try optional(Double.self, .ceilingDB), truePeak: try optional(Bool.self, .truePeak))
        case "reset_loudness": self = .resetLoudness
        case "voice": self = .voice(slot: try optional(String.self, .slot))
        case "configure_audio":
            do {
                self = .configureAudio(try RunSettings(from: decoder, accepting: RunSettings.audioKeys, ignoring: [Key.action.rawValue]))
            } catch DecodingError.dataCorrupted(let context) where !context.codingPath.isEmpty {
                // "rate 5 is outside 8000–384000 Hz": the setting's name first, as everywhere settings are checked.
                throw DecodingError.dataCorrupted(
                    .init(codingPath: [], debugDescription: "\(context.codingPath.last!.stringValue) \(context.debugDescription)"))
            }
        case "measure_latency": self = .measureLatency
        case "open_editor": self = .openEditor(try c.decode(Int.self, forKey: .effect))
        case "close_editor": self = .closeEditor(try c.decode(Int.self, forKey: .effect))
        default:
            throw DecodingError.dataCorruptedError(
                forKey: .action, in: c, debugDescription: "'\(name)' is not an action (\(Self.names.joined(separator: ", ")))")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: Key.self)
        try c.encode(name, forKey: .action)
        switch self {
        case .setInputGain(let decibels): try c.encode(decibels, forKey: .decibels)
        case .muteInput(let on), .panic(let on), .masterBypass(let on): try c.encodeIfPresent(on, forKey: .on)
        case .muteOutput(let output, let on):
            try c.encode(output.rawValue, forKey: .output)
            try c.encodeIfPresent(on, forKey: .on)
        case .setOutputVolume(let output, let volume):
            try c.encode(output.rawValue, forKey: .output)
            try c.encode(volume, forKey: .volume)
        case .enableOutput(let output, let on):
            try c.encode(output.rawValue, forKey: .output)
            try c.encode(on, forKey: .on)
        case .bypassEffect(let effect, let on):
            try c.encode(effect, forKey: .effect)
            try c.encodeIfPresent(on, forKey: .on)
        case .setParameter(let effect, let symbol, let value):
            try c.encode(effect, forKey: .effect)
            try c.encode(symbol, forKey: .symbol)
            try c.encode(value, forKey: .value)
        case .addEffect(let id, let at, let parameters):
            try c.encode(id, forKey: .id)
            try c.encodeIfPresent(at, forKey: .at)
            if !parameters.isEmpty { try c.encode(parameters, forKey: .parameters) }
        case .removeEffect(let effect), .openEditor(let effect), .closeEditor(let effect): try c.encode(effect, forKey: .effect)
        case .moveEffect(let from, let to):
            try c.encode(from, forKey: .from)
            try c.encode(to, forKey: .to)
        case .switchSlot(let slot): try c.encode(slot, forKey: .slot)
        case .voice(let slot): try c.encodeIfPresent(slot, forKey: .slot)
        case .loadPreset(let name), .savePreset(let name), .deletePreset(let name): try c.encode(name, forKey: .name)
        case .renamePreset(let name, let newName):
            try c.encode(name, forKey: .name)
            try c.encode(newName, forKey: .newName)
        case .startRecording(let name): try c.encodeIfPresent(name, forKey: .name)
        case .setGuard(let on, let ceiling, let truePeak):
            try c.encodeIfPresent(on, forKey: .on)
            try c.encodeIfPresent(ceiling, forKey: .ceilingDB)
            try c.encodeIfPresent(truePeak, forKey: .truePeak)
        case .configureAudio(let request):
            try request.encode(to: encoder)  // its keys beside "action"
        case .nextSlot, .previousSlot, .stopRecording, .resetXruns, .resetLoudness, .measureLatency: break
        }
    }
}

/// Why an action was refused: what was asked and what is wrong, for a person to read.
public struct ActionError: Error, Equatable, Sendable, CustomStringConvertible {
    public enum Kind: String, Sendable, Codable {
        /// The request itself is wrong (a value out of range, an unknown effect): HTTP 400.
        case invalid
        /// Right request, but it cannot be done now (no chain running, a preset file broken): HTTP 409.
        case conflict
        /// Something it names does not exist (a preset): HTTP 404.
        case notFound = "not_found"
    }

    public var kind: Kind
    public var message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}
