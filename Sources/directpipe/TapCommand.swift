import ArgumentParser
import DirectPipeAudioFile
import DirectPipeDiagnostics
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
        let reader = try PipeReader(name: try PipeName(pipe), targetLatencyFrames: latency, waitForWriter: wait)
        StopRequest.installHandlers()
        var tap = PipeTap(reader: reader, verifyCounter: verifyCounter, recordingPath: wav)
        let isTerminal = isatty(STDERR_FILENO) != 0
        let erase = isTerminal ? "\r\u{1B}[K" : ""
        var lastState: PipeReader.State?
        var warnedFormat = false
        /// A state change at once: a JSON line, or a line for people.
        func noteState() {
            let status = reader.status
            guard status.state != lastState else { return }
            lastState = status.state
            if json {
                emit(tap.report(event: "state"))
            } else {
                printError("\(erase)directpipe tap: \(reader.name) \(status.state.rawValue)\(status.lastError.map { ": \($0)" } ?? "")")
            }
        }
        noteState()
        let endNs = seconds.map { MonotonicClock.nowNs + UInt64($0 * 1e9) }
        var nextReportNs = MonotonicClock.nowNs + 1_000_000_000
        while !StopRequest.isRequested, endNs.map({ MonotonicClock.nowNs < $0 }) ?? true {
            let remainingMs = endNs.map { UInt32(clamping: ($0 &- MonotonicClock.nowNs) / 1_000_000) } ?? 100
            _ = reader.wait(timeoutMilliseconds: min(100, max(1, remainingMs)))
            try tap.drain()
            noteState()
            if let format = tap.recordingSkipsFormat, !warnedFormat {
                printError("\(erase)directpipe tap: the pipe's format changed to \(format); the recording keeps the first format and skips the rest")
                warnedFormat = true
            }
            if MonotonicClock.nowNs >= nextReportNs {
                nextReportNs = MonotonicClock.nowNs + 1_000_000_000
                if json { emit(tap.report(event: "status")) } else { printError(erase + tap.statusLine, terminator: isTerminal ? "" : "\n") }
            }
        }
        let recorded = try tap.finish()
        if json {
            emit(tap.report(event: "final"))
        } else {
            printError((isTerminal ? "\n" : "") + erase + tap.statusLine)
            if let recorded { printError("directpipe tap: wrote \(recorded.frames) frames to \(recorded.path)") }
        }
    }

    private func emit(_ report: TapReport) {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(report) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
