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
            Backends: 'clock' (no audio server: a real-time thread paced by the monotonic clock, \
            fed by a tone, silence or a WAV/FLAC file). PipeWire, JACK and ALSA are on their way; \
            'auto' picks the best one available and says why.
            """
    )

    @Option(help: "auto or clock (pipewire, jack, alsa and file are not in this build yet).")
    var backend: String = "auto"

    @Option(help: "For the clock backend: tone:HZ, silence, or a WAV/FLAC file path (looped).")
    var input: String = "tone:440"

    @Option(help: "Pipe name: /DirectPipeAudio, /DirectPipeAudio-NAME, or just NAME.")
    var pipe: String = PipeName.standard.rawValue

    @Option(help: "Sample rate in Hz.")
    var rate: Int = 48000

    @Option(help: "Frames per period (16-8192).")
    var period: Int = 128

    @Option(help: "Output channels: 1 (mono, the average of the inputs) or 2 (stereo).")
    var channels: Int = 2

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
        guard (-60...24).contains(gain) else { throw ValidationError("--gain must be between -60 and +24 dB") }
        if let seconds, !(seconds > 0 && seconds.isFinite) { throw ValidationError("--seconds must be a positive number") }
    }

    func run() throws {
        let backend = try chooseBackend()
        let clockInput = try ClockInput(input)
        let inputChannels = try Self.inputChannels(of: clockInput)
        let format = try EngineFormat(
            sampleRate: rate, periodFrames: period, inputChannels: inputChannels, channelMode: channels == 1 ? .mono : .stereo)
        let writer = try PipeWriter(
            name: try PipeName(pipe),
            format: PipeFormat(sampleRate: UInt32(rate), channels: UInt32(channels)))
        let controls = EngineControls()
        controls.inputGain = Float(pow(10, gain / 20))
        let engine = try Engine(format: format, controls: controls, pipe: writer)
        let clock = ClockBackend(input: clockInput)

        StopRequest.installHandlers()
        try clock.start(engine)
        printError("directpipe run: backend \(clock.name) (\(backend.reason)), input \(clockInput), \(format), pipe \(writer.name)")
        for warning in clock.startReport?.warnings ?? [] { printError("directpipe run: warning: \(warning)") }

        let status = RunStatus(engine: engine, writer: writer, backendName: clock.name, json: json, quiet: quiet)
        let endNs = seconds.map { MonotonicClock.nowNs + UInt64($0 * 1e9) }
        var nextReport = MonotonicClock.nowNs + 1_000_000_000
        while !StopRequest.isRequested, endNs.map({ MonotonicClock.nowNs < $0 }) ?? true {
            usleep(20_000)
            if MonotonicClock.nowNs >= nextReport {
                nextReport += 1_000_000_000
                status.report(final: false, allocations: nil)
            }
        }
        clock.stop()
        writer.stop()
        status.report(final: true, allocations: clock.countedAllocations)
    }

    /// Which backend `--backend` means, and why (for the start line).
    private func chooseBackend() throws -> (name: String, reason: String) {
        switch backend {
        case "clock": return ("clock", "as asked")
        case "auto": return ("clock", "auto: the PipeWire, JACK and ALSA backends are not in this build yet")
        case "pipewire", "jack", "alsa", "file":
            throw ValidationError("backend '\(backend)' is not in this build yet; use --backend clock (a file plays with --input PATH)")
        default:
            throw ValidationError("unknown backend '\(backend)': expected auto, clock, pipewire, jack, alsa or file")
        }
    }

    /// Tones and silence are stereo, like most USB microphones; a file has its own channel count.
    private static func inputChannels(of input: ClockInput) throws -> Int {
        guard case .file(let path) = input else { return 2 }
        return try AudioFileInfo.channels(of: path)
    }
}
