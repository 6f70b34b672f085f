import DirectPipeEngine
import DirectPipeShm
import Foundation

/// Latency where there is no graph to probe from outside (the clock, a file, ALSA): asks the running engine for
/// an impulse at its input (`directpipe latency` with SIGUSR1, which `run` traps; the host itself directly)
/// and times its arrival in the pipe, against the capture time the pipe's clock gives the impulse's frame.
public struct EngineLatencyProbe {
    public struct Measurement: Sendable {
        public var writerPID: Int32
        public var sampleRate: Int
        /// Frames of the engine's period: as given, or the smallest block the reader got (a reader that woke late
        /// gets two periods at once, so the block the impulse came in is not it).
        public var periodFrames: Int
        /// From the impulse frame's capture time to a reader returning with it.
        public var captureToReadableNs: UInt64
    }

    public let reader: PipeReader

    public init(reader: PipeReader) { self.reader = reader }

    /// `request(pid)` asks the engine writing the pipe for the impulse; `periodFrames`, the engine's period when
    /// the caller knows it (the host does; `directpipe latency` learns it from the blocks it reads).
    public func measure(periodFrames known: Int? = nil, request: (Int32) throws -> Void) throws -> Measurement {
        var buffer = [Float](repeating: 0, count: 65536 * 8)
        guard reader.wait(timeoutMilliseconds: 1000) == .data, let format = reader.status.format else {
            throw RunError("\(reader.name) carries no audio: is 'directpipe run' running?")
        }
        let pid = reader.status.writerPID
        while buffer.withUnsafeMutableBufferPointer({ reader.read(into: $0) }) != nil {}  // what came before the request
        var smallestBlock = known ?? Int.max
        for _ in 0..<(known == nil ? 4 : 0) where reader.wait(timeoutMilliseconds: 100) == .data {
            while let block = buffer.withUnsafeMutableBufferPointer({ reader.read(into: $0) }) { smallestBlock = min(smallestBlock, block.frames) }
        }

        try request(pid)
        var detector = ImpulseDetector(channels: Int(format.channels))
        let deadline = MonotonicClock.nowNs + 2_000_000_000
        while MonotonicClock.nowNs < deadline {
            guard reader.wait(timeoutMilliseconds: 100) == .data else { continue }
            let readAt = MonotonicClock.nowNs
            while let block = buffer.withUnsafeMutableBufferPointer({ reader.read(into: $0) }) {
                if known == nil { smallestBlock = min(smallestBlock, block.frames) }
                guard let found = detector.scan(buffer, block, readAt: readAt), let captured = found.captureNs else { continue }
                return Measurement(
                    writerPID: pid, sampleRate: Int(format.sampleRate), periodFrames: min(smallestBlock, found.blockFrames),
                    captureToReadableNs: found.readAtNs &- captured)
            }
        }
        throw RunError("no impulse arrived in \(reader.name) within 2 s (is the pipe output muted?)")
    }

    /// Only `directpipe run` handles the signal; any other writer would be killed by it.
    public static func checkIsEngine(_ pid: Int32, pipe: PipeName) throws {
        let arguments = ((try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data())
            .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard arguments.count > 1, (arguments[0] as NSString).lastPathComponent == "directpipe", arguments[1] == "run" else {
            let what = arguments.isEmpty ? "a process that is gone" : arguments.prefix(2).joined(separator: " ")
            throw RunError("the writer of \(pipe) (pid \(pid)) is \(what), not 'directpipe run': there is no engine to measure")
        }
    }
}
