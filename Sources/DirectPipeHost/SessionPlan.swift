import DirectPipeAudio
import DirectPipeAudioFile
import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import DirectPipePlugins
import Foundation

/// What a session will be, worked out before anything stops: the backend chosen (and why), the engine's
/// format, the chain built in that format. A plan that fails leaves the running session alone.
public struct SessionPlan: Sendable {
    public var settings: RunSettings
    public var kind: BackendKind
    /// Why that backend, for the start line ("as asked", "auto: a PipeWire daemon answers").
    public var reason: String
    public var format: EngineFormat
    public var chain: (description: ChainDescription, chain: EffectChain)
    public var factory: EffectFactory
    /// The virtual mic in a PipeWire graph when the engine runs elsewhere (JACK, ALSA, a file, the clock) and a
    /// PipeWire daemon answers; on PipeWire the backend makes its own.
    public var virtualMicBridge = false
    /// What the user should know about the plan (the JACK server decides the rate and period, not the settings).
    public var notes: [String] = []

    /// `chain`: what the engine runs (nil: an empty chain, the engine passes its input through until effects are
    /// added). `probe`: what answers on this machine, asked only as the settings need it.
    public init(_ settings: RunSettings, chain: ChainDescription?, probe: BackendProbe = .system) throws {
        self.settings = settings
        (kind, reason) = try Self.chooseBackend(settings, probe: probe)
        let channelMode = settings.channels?.channelMode ?? .stereo
        let rate = settings.rate?.value, period = settings.period?.value
        let inputChannels = settings.inputChannels?.value ?? 2
        switch kind {
        case .clock(let clockInput):
            format = try EngineFormat(
                sampleRate: rate ?? 48000, periodFrames: period ?? 128,
                inputChannels: try Self.inputChannels(of: clockInput), channelMode: channelMode)
        case .jack(let serverRate, let serverPeriod):
            if let rate, rate != serverRate {
                notes.append("the JACK server runs at \(serverRate) Hz, not \(rate)")
            }
            if let period, period != serverPeriod {
                notes.append("the JACK server's period is \(serverPeriod) frames, not \(period)")
            }
            format = try EngineFormat(
                sampleRate: serverRate, periodFrames: serverPeriod, inputChannels: inputChannels, channelMode: channelMode)
        case .file(let path):
            let info: (sampleRate: Int, channels: Int)
            do { info = try AudioFileInfo.format(of: path) } catch { throw RunError(error.description) }  // the header only
            if let rate, rate != info.sampleRate {
                throw RunError("\(path) is \(info.sampleRate) Hz, not \(rate) (leave --rate out to run at the file's rate)")
            }
            format = try EngineFormat(
                sampleRate: info.sampleRate, periodFrames: period ?? 128, inputChannels: info.channels, channelMode: channelMode)
        case .pipewire, .alsa:
            format = try EngineFormat(
                sampleRate: rate ?? 48000, periodFrames: period ?? 128, inputChannels: inputChannels, channelMode: channelMode)
        }
        virtualMicBridge = !kind.isPipeWire && (settings.virtualMic ?? true) && probe.pipeWireAnswers()
        factory = ChainLoader.factory(format)
        do {
            let description = chain ?? ChainDescription(effects: [])
            self.chain = (description, try factory.chain(description))
        } catch {
            throw RunError("chain \(settings.chain ?? ""): \(error)")
        }
    }

    /// Which backend the settings mean, and why (for the start line).
    private static func chooseBackend(_ settings: RunSettings, probe: BackendProbe) throws -> (kind: BackendKind, reason: String) {
        func clock(_ reason: String) throws -> (kind: BackendKind, reason: String) {
            (.clock(try clockInput(settings.input ?? .default)), reason)
        }
        func jack() -> BackendKind? {
            probe.jackServer(settings.jackServer).map { .jack(sampleRate: $0.sampleRate, period: $0.period) }
        }
        switch settings.backend ?? .auto {
        case .clock:
            return try clock("as asked")
        case .jack:
            guard let found = jack() else {
                let server = settings.jackServer ?? ProcessInfo.processInfo.environment["JACK_DEFAULT_SERVER"] ?? "default"
                throw RunError("no JACK server '\(server)' is running (start jackd, or use --backend clock)")
            }
            return (found, "as asked")
        case .pipewire:
            guard probe.pipeWireAnswers() else {
                throw RunError("no PipeWire daemon answers (is pipewire running, and XDG_RUNTIME_DIR set?); or use --backend jack, alsa or clock")
            }
            return (.pipewire, "as asked")
        case .auto:
            if probe.pipeWireAnswers() { return (.pipewire, "auto: a PipeWire daemon answers") }
            if let found = jack() { return (found, "auto: no PipeWire; a JACK server is running") }
            if let device = try? alsaCapture(settings.input), probe.alsaCaptureOpens(device) {
                return (.alsa, "auto: no PipeWire or JACK; ALSA's '\(device)' device opens")
            }
            return try clock("auto: no PipeWire, no JACK server, no ALSA capture device")
        case .alsa:
            _ = try alsaCapture(settings.input)
            return (.alsa, "as asked")
        case .file:
            guard case .named(let path) = settings.input else { throw RunError("backend 'file' needs --input FILE (a WAV or FLAC file)") }
            return (.file(path: path), "as asked")
        }
    }

    /// What the clock plays for `input`: its default is a 440 Hz tone, `none` is silence.
    private static func clockInput(_ input: Endpoint) throws -> ClockInput {
        switch input {
        case .default: return .tone(hertz: 440)
        case .none: return .silence
        case .named(let text): return try ClockInput(text)
        case .alsa: throw RunError("the clock backend plays tone:HZ, silence or a file, not an ALSA device (use --backend alsa)")
        }
    }

    /// The PCM the ALSA backend captures from for `input` (absent or `default`: ALSA's `default`).
    static func alsaCapture(_ input: Endpoint?) throws -> String {
        guard let pcm = (input ?? .default).pcm else { throw RunError("the ALSA backend needs a capture device (--input hw:1,0, say)") }
        return pcm
    }

    /// Tones and silence are stereo, like most USB microphones; a file has its own channel count.
    private static func inputChannels(of input: ClockInput) throws -> Int {
        guard case .file(let path) = input else { return 2 }
        return try AudioFileInfo.channels(of: path)
    }
}

/// The backend a plan chose, with what it found out choosing it (a JACK server's rate and period).
public enum BackendKind: Sendable {
    case pipewire
    case file(path: String)
    case clock(ClockInput)
    case jack(sampleRate: Int, period: Int)
    case alsa

    public var isPipeWire: Bool {
        if case .pipewire = self { return true }
        return false
    }
}
