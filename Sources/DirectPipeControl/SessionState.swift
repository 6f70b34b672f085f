import DirectPipeDSP
import DirectPipeEngine
import Foundation

/// What DirectPipe remembers between runs: the input gain and mute, each output's switch, mute and volume,
/// the safety guard, the chain and the slot last used. Saved by the ``ControlCenter`` after changes (debounced: half a second
/// after the last one), atomically, to `session.json` in the config folder; restored at the next start.
public struct SessionState: Sendable, Codable, Equatable {
    public struct Output: Sendable, Codable, Equatable {
        public var enabled: Bool
        public var muted: Bool
        public var volume: Double
    }

    public var format = 1
    public var inputGainDB: Double
    public var inputMuted: Bool
    public var outputs: [String: Output]
    public var chain: ChainDescription
    public var slot: String?
    /// The backend, devices, rate, period, channels chosen through `configure_audio` (nil: none chosen).
    public var audio: RunSettings?
    /// The safety guard as `set_guard` left it (nil in sessions saved before it existed: the run's own setting).
    public var guardOn: Bool?
    public var guardCeilingDB: Double?

    public init(
        inputGainDB: Double, inputMuted: Bool, outputs: [String: Output], chain: ChainDescription, slot: String?, audio: RunSettings?,
        guardOn: Bool? = nil, guardCeilingDB: Double? = nil
    ) {
        self.inputGainDB = inputGainDB
        self.inputMuted = inputMuted
        self.outputs = outputs
        self.chain = chain
        self.slot = slot
        self.audio = audio
        self.guardOn = guardOn
        self.guardCeilingDB = guardCeilingDB
    }

    enum CodingKeys: String, CodingKey {
        case format, outputs, chain, slot, audio
        case inputGainDB = "input_gain_db"
        case inputMuted = "input_muted"
        case guardOn = "guard"
        case guardCeilingDB = "guard_ceiling_db"
    }

    public static func path(folder: String) -> String { "\(folder)/session.json" }

    /// The saved session, or nil (none yet); a broken file is reported and set aside as nil.
    public static func load(folder: String) throws(ActionError) -> SessionState? {
        let path = path(folder: folder)
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            return try JSONDecoder().decode(SessionState.self, from: data)
        } catch {
            throw ActionError(.conflict, "\(path): \(JSONProblem.describe(error, in: data)) (starting without it)")
        }
    }

    public func save(folder: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(self), to: Self.path(folder: folder))
    }

    /// Sets the engine's input and outputs as they were saved.
    public func apply(to controls: EngineControls) {
        controls.inputGain = InputGain(clamping: inputGainDB).linear
        controls.isInputMuted = inputMuted
        for id in OutputID.allCases {
            guard let saved = outputs[id.rawValue] else { continue }
            let output = controls.output(id)
            output.isEnabled = saved.enabled
            output.isMuted = saved.muted
            output.volume = Float(min(max(saved.volume, 0), 4))
        }
        if let guardOn { controls.isGuardOn = guardOn }
        if let guardCeilingDB, guardCeilingDB.isFinite { controls.guardCeiling = GuardCeiling(clamping: guardCeilingDB).linear }
    }
}
