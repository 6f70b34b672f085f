import ArgumentParser
import DirectPipeAudio
import DirectPipeEngine
import DirectPipeAudioFile
import DirectPipeShm
import Foundation

/// `directpipe run`: the engine on a backend, feeding the OBS pipe.
struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the audio engine: capture, process, and feed the OBS pipe (and, soon, the virtual mic and monitor).",
        discussion: """
            Backends: 'jack' (a JACK client on jackd or PipeWire's JACK layer: ports in_N, mic_out_N, \
            monitor_out_N), 'clock' (no audio server: a real-time thread paced by the monotonic clock, \
            fed by a tone, silence or a WAV/FLAC file). PipeWire and ALSA are on their way; \
            'auto' picks JACK when a server runs, else the clock, and says why.
            """
    )

    @Option(help: "auto, jack or clock (pipewire, alsa and file are not in this build yet).")
    var backend: String = "auto"

    @Option(help: """
        What to capture. clock: tone:HZ, silence, or a WAV/FLAC file (looped); default tone:440.         jack: capture ports, comma-separated, or 'none'; default the physical capture ports.
        """)
    var input: String?

    @Option(help: "Pipe name: /DirectPipeAudio, /DirectPipeAudio-NAME, or just NAME.")
    var pipe: String = PipeName.standard.rawValue

    @Option(help: "Sample rate in Hz (default 48000; on JACK the server decides).")
    var rate: Int?

    @Option(help: "Frames per period, 16-8192 (default 128; on JACK the server decides).")
    var period: Int?

    @Option(help: "Output channels: 1 (mono, the average of the inputs) or 2 (stereo).")
    var channels: Int = 2

    @Option(help: "Input channels on JACK (ports in_1..in_N).")
    var inputChannels: Int = 2

    @Option(help: "JACK server name (default: $JACK_DEFAULT_SERVER or 'default').")
    var jackServer: String?

    @Option(help: "JACK ports to connect the virtual-mic outputs (mic_out_N) to, comma-separated.")
    var micTo: String?

    @Option(help: "Turn monitoring on; on JACK, the playback ports to connect monitor_out_N to, comma-separated.")
    var monitor: String?

    @Option(help: "Input gain in dB (-60 to +24).")
    var gain: Double = 0

    @Option(help: "Stop after this many seconds (default: until Ctrl-C).")
    var seconds: Double?

    @Flag(help: "No status line (for services); warnings and errors still go to standard error.")
    var quiet = false

    @Flag(help: "Print one JSON status object per second and one at the end, on standard output.")
    var json = false

    func validate() throws {
        guard channels == 1 || channels == 2 else { throw ValidationError("--channels must be 1 or 2") }
        guard (1...8).contains(inputChannels) else { throw ValidationError("--input-channels must be 1-8") }
        guard (-60...24).contains(gain) else { throw ValidationError("--gain must be between -60 and +24 dB") }
        if let seconds, !(seconds > 0 && seconds.isFinite) { throw ValidationError("--seconds must be a positive number") }
    }

    func run() throws {
        let choice = try chooseBackend()
        let backend: any AudioBackend
        let format: EngineFormat
        switch choice.kind {
        case .clock(let clockInput):
            format = try EngineFormat(
                sampleRate: rate ?? 48000, periodFrames: period ?? 128,
                inputChannels: try Self.inputChannels(of: clockInput), channelMode: channelMode)
            backend = ClockBackend(input: clockInput)
        case .jack(let serverRate, let serverPeriod):
            if let rate, rate != serverRate { printError("directpipe run: note: the JACK server runs at \(serverRate) Hz, not \(rate)") }
            if let period, period != serverPeriod { printError("directpipe run: note: the JACK server's period is \(serverPeriod) frames, not \(period)") }
            format = try EngineFormat(sampleRate: serverRate, periodFrames: serverPeriod, inputChannels: inputChannels, channelMode: channelMode)
            var options = JackBackend.Options(serverName: jackServer)
            options.captureSources = input.map { $0 == "none" ? [] : Self.list($0) }
            options.micTargets = micTo.map(Self.list) ?? []
            options.monitorTargets = monitor.map(Self.list) ?? []
            backend = JackBackend(options: options)
        }
        let writer = try PipeWriter(
            name: try PipeName(pipe), format: PipeFormat(sampleRate: UInt32(format.sampleRate), channels: UInt32(channels)))
        let controls = EngineControls()
        controls.inputGain = Float(pow(10, gain / 20))
        controls.monitor.isEnabled = monitor != nil
        let engine = try Engine(format: format, controls: controls, pipe: writer)

        StopRequest.installHandlers()
        try backend.start(engine)
        printError("directpipe run: backend \(backend.name) (\(choice.reason)), \(format), pipe \(writer.name)")
        for warning in backend.startReport?.warnings ?? [] { printError("directpipe run: warning: \(warning)") }

        let status = RunStatus(engine: engine, writer: writer, backend: backend, json: json, quiet: quiet)
        let endNs = seconds.map { MonotonicClock.nowNs + UInt64($0 * 1e9) }
        var nextReport = MonotonicClock.nowNs + 1_000_000_000
        while !StopRequest.isRequested, endNs.map({ MonotonicClock.nowNs < $0 }) ?? true {
            usleep(20_000)
            if MonotonicClock.nowNs >= nextReport {
                nextReport += 1_000_000_000
                status.report(final: false)
            }
        }
        backend.stop()
        writer.stop()
        status.report(final: true)
    }

    private var channelMode: ChannelMode { channels == 1 ? .mono : .stereo }

    private enum BackendKind {
        case clock(ClockInput)
        case jack(sampleRate: Int, period: Int)
    }

    /// Which backend `--backend` means, and why (for the start line).
    private func chooseBackend() throws -> (kind: BackendKind, reason: String) {
        func clock(_ reason: String) throws -> (kind: BackendKind, reason: String) {
            (.clock(try ClockInput(input ?? "tone:440")), reason)
        }
        func jack() -> (kind: BackendKind, reason: String)? {
            JackBackend.serverFormat(serverName: jackServer).map { (.jack(sampleRate: $0.sampleRate, period: $0.bufferSize), "") }
        }
        switch backend {
        case "clock":
            return try clock("as asked")
        case "jack":
            guard let found = jack() else {
                let server = jackServer ?? ProcessInfo.processInfo.environment["JACK_DEFAULT_SERVER"] ?? "default"
                throw RunError("no JACK server '\(server)' is running (start jackd, or use --backend clock)")
            }
            return (found.kind, "as asked")
        case "auto":
            if let found = jack() { return (found.kind, "auto: a JACK server is running; the PipeWire backend is not in this build yet") }
            return try clock("auto: no JACK server is running, and the PipeWire and ALSA backends are not in this build yet")
        case "pipewire", "alsa", "file":
            throw ValidationError("backend '\(backend)' is not in this build yet; use --backend jack or clock (a file plays with --backend clock --input PATH)")
        default:
            throw ValidationError("unknown backend '\(backend)': expected auto, jack, clock, pipewire, alsa or file")
        }
    }

    private static func list(_ text: String) -> [String] {
        text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    }

    /// Tones and silence are stereo, like most USB microphones; a file has its own channel count.
    private static func inputChannels(of input: ClockInput) throws -> Int {
        guard case .file(let path) = input else { return 2 }
        return try AudioFileInfo.channels(of: path)
    }
}

/// A condition found while running (not a mistake in the arguments): one line, no usage text.
struct RunError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
