import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine

/// How a run starts from what it is told now and what the last run left: the settings layered (the configuration
/// file, then the audio setup the saved session chose through the API, then the flags), the engine's controls as
/// the session left them (gain, mute, each output) unless a gain or monitor is given now, and the chain (the
/// chain setting's, else the session's, else none).
public struct RunStart {
    public let settings: RunSettings
    public let chain: ChainDescription?
    /// The slot and audio setup the session had chosen, for the control center to remember again.
    public let slot: String?
    public let audio: RunSettings?
    /// What the user should be told about the start (the voice chain without RNNoise).
    public let warnings: [String]

    /// `session`: the saved session (nil: none, or the run has no API and so no session). Sets `controls`.
    public init(file: RunSettings?, flags: RunSettings, session: SessionState?, controls: EngineControls) throws(RunError) {
        var settings = (file ?? RunSettings()).overridden(by: flags)
        controls.inputGain = settings.gainDB?.linear ?? 1
        controls.monitor.isEnabled = settings.monitorIsOn
        controls.isGuardOn = settings.safetyGuard ?? true
        controls.guardCeiling = settings.guardCeiling?.linear ?? EngineControls.defaultGuardCeiling
        if let session {
            if let audio = session.audio { settings = settings.overridden(by: audio).overridden(by: flags) }
            session.apply(to: controls)
            if let gain = settings.gainDB { controls.inputGain = gain.linear }
            if let monitor = flags.monitor { controls.monitor.isEnabled = monitor != .none }
            if let on = settings.safetyGuard { controls.isGuardOn = on }
            if let ceiling = settings.guardCeiling { controls.guardCeiling = ceiling.linear }
        }
        var warnings: [String] = []
        do {
            chain = try settings.chain.map { try ChainLoader.description(of: $0) { warnings.append($0) } } ?? session?.chain
        } catch {
            throw RunError("chain \(settings.chain ?? ""): \(error)")
        }
        self.settings = settings
        slot = session?.slot
        audio = session?.audio
        self.warnings = warnings
    }
}
