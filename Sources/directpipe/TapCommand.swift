import ArgumentParser
import DirectPipeAudioFile
import DirectPipeHost
import DirectPipeShm
import Foundation

/// `directpipe tap`: read a pipe like OBS does, show its health, and
/// optionally record or verify what arrives.
struct TapCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "tap",
        abstract: "Read a pipe: show live status, optionally record it to a WAV/FLAC file."
    )

    @Option(help: "Pipe name: /DirectPipeAudio, /DirectPipeAudio-NAME, or just NAME.")
    var pipe: String = PipeName.standard.rawValue

    @Option(help: "Stop after this many seconds (default: until Ctrl-C).")
    var seconds: Double?

    @Option(help: "Record what is read to this .wav (32-bit float) or .flac file.")
    var wav: String?

    @Flag(help: "Print one JSON object per second (and one per state change) instead of a status line.")
    var json = false

    @Option(help: "Read this many frames behind the writer (0: lowest latency).")
    var latency: UInt32 = 0

    @Flag(help: "Wait for the pipe to appear instead of failing when it is missing.")
    var wait = false

    @Flag(help: "Check that every sample is 'directpipe send --signal counter' for its position.")
    var verifyCounter = false

    func validate() throws {
        if let seconds, !(seconds > 0 && seconds.isFinite) { throw ValidationError("--seconds must be a positive number") }
        if let wav, AudioFileContainer(path: wav) == nil { throw ValidationError("--wav must name a .wav or .flac file") }
    }

    func run() throws {
        let name = try PipeName(pipe)
        let reader = try PipeReader(name: name, targetLatencyFrames: latency, waitForWriter: wait)
        StopRequest.installHandlers()
        var session = TapSession(reader: reader, json: json, verifyCounter: verifyCounter, recordingPath: wav)
        let endNs = seconds.map { MonotonicClock.nowNs + UInt64($0 * 1e9) }
        while !StopRequest.isRequested, endNs.map({ MonotonicClock.nowNs < $0 }) ?? true {
            let remainingMs = endNs.map { UInt32(clamping: ($0 &- MonotonicClock.nowNs) / 1_000_000) } ?? 100
            _ = reader.wait(timeoutMilliseconds: min(100, max(1, remainingMs)))
            try session.drain()
            session.reportIfDue()
        }
        try session.finish()
    }
}
