import DirectPipeAudioFile
import DirectPipeHost
import DirectPipeShm
import Foundation

/// The state of one `tap` run: counts, the optional recording, and reports.
struct TapSession {
    let reader: PipeReader
    let json: Bool
    let verifyCounter: Bool
    let recordingPath: String?

    private var recording: AudioFileWriter?
    private var buffer = [Float](repeating: 0, count: 65536 * 8)
    private var frames: UInt64 = 0
    private var discontinuities: UInt64 = 0
    private var counterErrors: UInt64 = 0
    private var unreportedGaps: UInt64 = 0
    private var nextPosition: UInt64?
    private var latencyMs: Double?
    private var lastState: PipeReader.State?
    private var nextReportNs = MonotonicClock.nowNs + 1_000_000_000
    private var warnedFormatChange = false
    private let isTerminal = isatty(STDERR_FILENO) != 0

    init(reader: PipeReader, json: Bool, verifyCounter: Bool, recordingPath: String?) {
        self.reader = reader
        self.json = json
        self.verifyCounter = verifyCounter
        self.recordingPath = recordingPath
        noteState()
    }

    /// Reads everything available now.
    mutating func drain() throws {
        while let block = readBlock() {
            frames += UInt64(block.frames)
            if block.followsDiscontinuity { discontinuities += 1 }
            if let expected = nextPosition, block.position != expected, !block.followsDiscontinuity {
                unreportedGaps += 1
            }
            nextPosition = block.position + UInt64(block.frames)
            let samples = block.frames * Int(block.format.channels)
            try buffer.withUnsafeBufferPointer { all in
                let read = UnsafeBufferPointer(rebasing: all[..<samples])
                if verifyCounter {
                    counterErrors += UInt64(CounterSignal.mismatches(in: read, position: block.position, channels: Int(block.format.channels)))
                }
                try record(read, format: block.format)
            }
            if let timestamp = block.timestampNs {
                let newestNs = timestamp + UInt64(block.frames - 1) * 1_000_000_000 / UInt64(block.format.sampleRate)
                latencyMs = Double(Int64(bitPattern: MonotonicClock.nowNs &- newestNs)) / 1e6
            }
        }
        noteState()
    }

    private mutating func readBlock() -> PipeReader.Block? {
        buffer.withUnsafeMutableBufferPointer { reader.read(into: $0) }
    }

    private mutating func record(_ samples: UnsafeBufferPointer<Float>, format: PipeFormat) throws {
        guard let recordingPath else { return }
        if recording == nil {
            recording = try AudioFileWriter(path: recordingPath, sampleRate: Int(format.sampleRate), channels: Int(format.channels))
        }
        guard let recording, recording.sampleRate == Int(format.sampleRate), recording.channels == Int(format.channels) else {
            if !warnedFormatChange {
                printError("directpipe tap: the pipe's format changed to \(format); the recording keeps the first format and skips the rest")
                warnedFormatChange = true
            }
            return
        }
        try recording.write(samples)
    }

    /// Prints a state-change event at once (JSON mode, or a line otherwise).
    private mutating func noteState() {
        let status = reader.status
        guard status.state != lastState else { return }
        lastState = status.state
        if json {
            emit(report(status, event: "state"))
        } else {
            let reason = status.lastError.map { ": \($0)" } ?? ""
            printError("\(isTerminal ? "\r\u{1B}[K" : "")directpipe tap: \(reader.name) \(status.state.rawValue)\(reason)")
        }
    }

    mutating func reportIfDue() {
        let now = MonotonicClock.nowNs
        guard now >= nextReportNs else { return }
        nextReportNs = now + 1_000_000_000
        let status = reader.status
        if json {
            emit(report(status, event: "status"))
        } else {
            printError(statusLine(status), terminator: isTerminal ? "" : "\n")
        }
    }

    mutating func finish() throws {
        try recording?.finish()
        if json {
            emit(report(reader.status, event: "final"))
        } else {
            printError((isTerminal ? "\n" : "") + statusLine(reader.status))
            if let recording { printError("directpipe tap: wrote \(recording.framesWritten) frames to \(recording.path)") }
        }
    }

    private func statusLine(_ status: PipeReader.Status) -> String {
        var line = isTerminal ? "\r\u{1B}[K" : ""
        line += "\(status.state.rawValue)"
        if let format = status.format {
            line += "  \(format.sampleRate) Hz \(format.channels) ch  fill \(status.fillFrames)/\(format.capacityFrames)"
        }
        line += "  overruns \(status.overruns)  gen \(status.generation)  frames \(frames)"
        if let latencyMs { line += String(format: "  latency %.2f ms", latencyMs) }
        if verifyCounter { line += "  counter errors \(counterErrors)" }
        if let error = status.lastError, status.state != .connected { line += "  (\(error))" }
        return line
    }

    private func report(_ status: PipeReader.Status, event: String) -> TapReport {
        TapReport(
            event: event, timeNs: MonotonicClock.nowNs, pipe: reader.name.rawValue, state: status.state,
            error: status.lastError?.description, rate: status.format?.sampleRate, channels: status.format?.channels,
            capacity: status.format?.capacityFrames, generation: status.generation, writerPid: status.writerPID,
            fill: status.fillFrames, overruns: status.overruns, reconnects: status.reconnects, frames: frames,
            discontinuities: discontinuities, latencyMs: latencyMs,
            counterErrors: verifyCounter ? counterErrors : nil, unreportedGaps: verifyCounter ? unreportedGaps : nil)
    }

    private func emit(_ report: TapReport) {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys]
        guard let data = try? encoder.encode(report) else { return }
        FileHandle.standardOutput.write(data + Data("\n".utf8))
    }
}
