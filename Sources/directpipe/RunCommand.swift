import ArgumentParser
import DirectPipeApp
import DirectPipeControl
import DirectPipeHost
import Foundation

/// `directpipe run`: the engine on a backend, feeding the OBS pipe and the backend's outputs.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Run the audio engine: capture, process, and feed the OBS pipe, the virtual mic and the monitor.",
        discussion: """
            Backends: 'pipewire' (a node 'directpipe' in the PipeWire graph: ports input_FL/FR linked \
            to --input or the default source, monitor_FL/FR linked to --monitor), 'jack' (a JACK client \
            on jackd or PipeWire's JACK layer: ports in_N, mic_out_N, monitor_out_N), 'alsa' (a PCM \
            device directly, no sound server: --input hw:1,0), 'file' (a WAV/FLAC file played once, in real \
            time or with --fast as fast as possible), 'clock' (no audio server: a real-time \
            thread paced by the monotonic clock, fed by a tone, silence or a WAV/FLAC file). 'auto' \
            picks PipeWire, then JACK, then ALSA's default device, then the clock, and says why. \
            Settings come from the configuration file (see --config); flags override it.
            """
    )

    @OptionGroup var audio: AudioOptions

    @Option(help: "Pipe name: /DirectPipeAudio (default), /DirectPipeAudio-NAME, or just NAME.")
    var pipe: String?

    @Option(help: "ALSA: periods in the device buffer, 2-16 (default 2, the lowest latency).", transform: BufferPeriods.init(argument:))
    var periods: BufferPeriods?

    @Option(help: "Input channels on PipeWire, JACK and ALSA, 1-8 (default 2).", transform: InputChannels.init(argument:))
    var inputChannels: InputChannels?

    @Option(help: "Input gain in dB (-60 to +24; default 0).", transform: InputGain.init(argument:))
    var gain: InputGain?

    @Option(help: "JACK server name (default: $JACK_DEFAULT_SERVER or 'default').")
    var jackServer: String?

    @Option(help: "The effects chain: a chain file (JSON; SIGHUP reloads it) or 'voice' for the built-in voice chain.")
    var chain: String?

    @Flag(
        inversion: .prefixedNo,
        help: """
            The HTTP/WebSocket control API (what `directpipe ctl` and the web panel talk to), on 127.0.0.1 unless \
            --listen says otherwise. On by default (off with --fast); --no-api for a second DirectPipe beside a first \
            one with the same config folder.
            """)
    var api: Bool?

    @Option(help: "The API's port (default 7480, or a free one when 7480 is taken; 0 picks a free one).")
    var apiPort: Int?

    @Option(help: "Listen on this address instead of 127.0.0.1 (other machines can then reach the API; the token is still required).")
    var listen: String?

    @Option(
        help: """
            Where else the virtual mic goes: on JACK, ports to connect mic_out_N to (comma-separated); anywhere, \
            alsa:PCM for an ALSA device on its own clock (e.g. alsa:hw:Loopback,0 for snd-aloop), drift-compensated.
            """, transform: Endpoint.init(argument:))
    var micTo: Endpoint?

    @Flag(
        inversion: .prefixedNo,
        help: """
            PipeWire: the "DirectPipe Virtual Mic" (node directpipe_mic), a source every app can record from, fed in \
            the same graph cycle (default on).
            """)
    var virtualMic: Bool?

    @Flag(inversion: .prefixedNo, help: "PipeWire: make the virtual mic the default input while DirectPipe runs (default off).")
    var micDefault: Bool?

    @Option(
        help: """
            Whose clock an ALSA monitor runs on: 'shared' (the capture card's: written in lockstep), 'own' (another \
            card: through a ring, resampled to follow the drift), or 'auto' (shared when --monitor is the capture \
            device, else own). On the clock backend, and with --monitor alsa:PCM on PipeWire or JACK, it is always own.
            """, transform: MonitorClock.init(argument:))
    var monitorClock: MonitorClock?

    @Flag(
        inversion: .prefixedNo,
        help: """
            The safety guard: every output (pipe, virtual mic, monitor, recording) kept at or below −1 dBFS, with no \
            latency (default on; --no-guard for a bit-exact path above it).
            """)
    var `guard`: Bool?

    @Option(
        name: .customLong("guard-ceiling"), parsing: .unconditional, help: "The safety guard's ceiling, −24 to 0 dBFS (default −1).",
        transform: GuardCeiling.init(argument:))
    var guardCeiling: GuardCeiling?

    @Flag(
        inversion: .prefixedNo,
        help: """
            The safety guard keeps the true peak (between samples, as loudness meters read it) under its ceiling, \
            adding 1 ms of latency, instead of the samples with none (default off).
            """)
    var guardTruePeak: Bool?

    @Option(help: "Configuration file (default: $XDG_CONFIG_HOME/directpipe/config.json, if it exists).")
    var config: String?

    @Option(help: "Stop after this many seconds (default: until Ctrl-C).")
    var seconds: Double?

    @Flag(help: "file: process as fast as the machine goes instead of in real time.")
    var fast = false

    @Option(help: "file, with --fast: write what the OBS pipe carries to this WAV/FLAC file (replaced only when complete).")
    var output: String?

    @Flag(help: "No status line (for services); warnings and errors still go to standard error.")
    var quiet = false

    @Flag(help: "Print one JSON status object per second and one at the end, on standard output.")
    var json = false

    func validate() throws {
        if let seconds, !(seconds > 0 && seconds.isFinite) { throw ValidationError("--seconds must be a positive number") }
        if output != nil, !fast { throw ValidationError("--output needs --fast (a real-time run records through the control API)") }
    }

    func run() async throws {
        var options = RunApp.Options()
        options.flags = flagSettings()
        options.configPath = config ?? SettingsFile.defaultPath
        options.configRequired = config != nil
        options.api = api ?? !fast
        options.apiPort = apiPort
        options.listen = listen
        options.seconds = seconds
        options.fast = fast
        options.output = output
        let (json, quiet) = (self.json, self.quiet)
        try await RunApp(options, log: ConsoleLog.logger("directpipe run")) { report in
            if json {
                FileHandle.standardOutput.write(report.json)
            } else if !quiet || report.event == "final" {
                printError(report.line)
            }
        }.run()
    }

    /// What the flags given set (nil where a flag was not given).
    private func flagSettings() -> RunSettings {
        var flags = audio.settings
        flags.pipe = pipe
        flags.periods = periods
        flags.inputChannels = inputChannels
        flags.gainDB = gain
        flags.jackServer = jackServer
        flags.micTo = micTo
        flags.monitorClock = monitorClock
        flags.virtualMic = virtualMic
        flags.micDefault = micDefault
        flags.chain = chain
        flags.safetyGuard = `guard`
        flags.guardCeiling = guardCeiling
        flags.guardTruePeak = guardTruePeak
        return flags
    }
}
