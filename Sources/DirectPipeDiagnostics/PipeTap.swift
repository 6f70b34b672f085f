import DirectPipeAudioFile
import DirectPipeHost
import DirectPipeShm
import Foundation

/// A reader of a pipe that keeps count of what arrives, as `directpipe tap` shows it: frames, discontinuities,
/// the newest frame's age, with `verifyCounter` the samples that are not `send --signal counter`'s, and
/// optionally a recording of it all. Says what it saw as ``TapReport``s and status lines; prints nothing.
public struct PipeTap {
    public let reader: PipeReader
    public let verifyCounter: Bool
    public let recordingPath: String?

    private var recording: AudioFileWriter?
    private var buffer = [Float](repeating: 0, count: 65536 * 8)
    public private(set) var frames: UInt64 = 0
    public private(set) var discontinuities: UInt64 = 0
    public private(set) var counterErrors: UInt64 = 0
    public private(set) var unreportedGaps: UInt64 = 0
    /// How old the newest frame read was when it was read, from the pipe's clock pair.
    public private(set) var latencyMs: Double?
    /// Set once the pipe's format changed under a recording (which keeps the first format and skips the rest).
    public private(set) var recordingSkipsFormat: PipeFormat?
    private var nextPosition: UInt64?

    public init(reader: PipeReader, verifyCounter: Bool = false, recordingPath: String? = nil) {
        self.reader = reader
        self.verifyCounter = verifyCounter
        self.recordingPath = recordingPath
    }

    /// Reads everything available now.
    public mutating func drain() throws {
        while let block = buffer.withUnsafeMutableBufferPointer({ reader.read(into: $0) }) {
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
    }

    private mutating func record(_ samples: UnsafeBufferPointer<Float>, format: PipeFormat) throws {
        guard let recordingPath else { return }
        if recording == nil {
            recording = try AudioFileWriter(path: recordingPath, sampleRate: Int(format.sampleRate), channels: Int(format.channels))
        }
        guard let recording, recording.sampleRate == Int(format.sampleRate), recording.channels == Int(format.channels) else {
            recordingSkipsFormat = recordingSkipsFormat ?? format
            return
        }
        try recording.write(samples)
    }

    /// Completes the recording, if any: the frames it holds.
    public mutating func finish() throws -> (path: String, frames: Int)? {
        guard let recording else { return nil }
        try recording.finish()
        return (recording.path, Int(recording.framesWritten))
    }

    /// The counts and the reader's state now, as one JSON line says them.
    public func report(event: String) -> TapReport {
        let status = reader.status
        return TapReport(
            event: event, timeNs: MonotonicClock.nowNs, pipe: reader.name.rawValue, state: status.state,
            error: status.lastError?.description, rate: status.format?.sampleRate, channels: status.format?.channels,
            capacity: status.format?.capacityFrames, generation: status.generation, writerPid: status.writerPID,
            fill: status.fillFrames, overruns: status.overruns, reconnects: status.reconnects, frames: frames,
            discontinuities: discontinuities, latencyMs: latencyMs,
            counterErrors: verifyCounter ? counterErrors : nil, unreportedGaps: verifyCounter ? unreportedGaps : nil)
    }

    /// The same for people, one line.
    public var statusLine: String {
        let status = reader.status
        var line = "\(status.state.rawValue)"
        if let format = status.format {
            line += "  \(format.sampleRate) Hz \(format.channels) ch  fill \(status.fillFrames)/\(format.capacityFrames)"
        }
        line += "  overruns \(status.overruns)  gen \(status.generation)  frames \(frames)"
        if let latencyMs { line += String(format: "  latency %.2f ms", latencyMs) }
        if verifyCounter { line += "  counter errors \(counterErrors)" }
        if let error = status.lastError, status.state != .connected { line += "  (\(error))" }
        return line
    }
}
