import DirectPipeEngine
import DirectPipeShm
import Foundation

/// Latency where there is no graph to probe from outside (the clock, a file, ALSA): asks the running engine for
/// an impulse at its input (`directpipe latency` with SIGUSR1, see ``LatencyRequest``; the host itself directly)
/// and times its arrival in the pipe, against the capture time the pipe's clock gives the impulse's frame.
struct EngineLatencyProbe {
    struct Measurement {
        var writerPID: Int32
        var sampleRate: Int
        /// Frames of the engine's period (the block the impulse arrived in).
        var periodFrames: Int
        /// From the impulse frame's capture time to a reader returning with it.
        var captureToReadableNs: UInt64
    }

    let reader: PipeReader

    /// `request(pid)` asks the engine writing the pipe for the impulse.
    func measure(request: (Int32) throws -> Void) throws -> Measurement {
        var buffer = [Float](repeating: 0, count: 65536 * 8)
        guard reader.wait(timeoutMilliseconds: 1000) == .data, let format = reader.status.format else {
            throw RunError("\(reader.name) carries no audio: is 'directpipe run' running?")
        }
        let pid = reader.status.writerPID
        while buffer.withUnsafeMutableBufferPointer({ reader.read(into: $0) }) != nil {}  // what came before the request

        try request(pid)
        var detector = ImpulseDetector(channels: Int(format.channels))
        let deadline = MonotonicClock.nowNs + 2_000_000_000
        while MonotonicClock.nowNs < deadline {
            guard reader.wait(timeoutMilliseconds: 100) == .data else { continue }
            let readAt = MonotonicClock.nowNs
            while let block = buffer.withUnsafeMutableBufferPointer({ reader.read(into: $0) }) {
                guard let found = detector.scan(buffer, block, readAt: readAt), let captured = found.captureNs else { continue }
                return Measurement(
                    writerPID: pid, sampleRate: Int(format.sampleRate), periodFrames: found.blockFrames,
                    captureToReadableNs: found.readAtNs &- captured)
            }
        }
        throw RunError("no impulse arrived in \(reader.name) within 2 s (is the pipe output muted?)")
    }

    /// Only `directpipe run` handles the signal; any other writer would be killed by it.
    static func checkIsEngine(_ pid: Int32, pipe: PipeName) throws {
        let arguments = ((try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))) ?? Data())
            .split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
        guard arguments.count > 1, (arguments[0] as NSString).lastPathComponent == "directpipe", arguments[1] == "run" else {
            let what = arguments.isEmpty ? "a process that is gone" : arguments.prefix(2).joined(separator: " ")
            throw RunError("the writer of \(pipe) (pid \(pid)) is \(what), not 'directpipe run': there is no engine to measure")
        }
    }
}

/// Finds the engine's latency impulse in a stream of pipe blocks: the first frame at least `threshold` loud after
/// a quarter of the pattern's silence (`Engine.latencyImpulseSilence`) 40 dB below that: what the chain still
/// rings with from before has died away by then. What the chain does to the
/// impulse after it (an EQ ringing, a compressor's release) does not matter; a tail that rings through the
/// silence before it (a long reverb) hides it.
struct ImpulseDetector {
    struct Found {
        var captureNs: UInt64?
        var readAtNs: UInt64
        var blockFrames: Int
    }

    let channels: Int
    let threshold: Float = 0.05
    let quiet: Float = 5e-4
    private var quietFrames = 0

    init(channels: Int) { self.channels = channels }

    /// Scans one block (`buffer` holds `block.frames` frames); returns the impulse once it shows.
    mutating func scan(_ buffer: [Float], _ block: PipeReader.Block, readAt: UInt64) -> Found? {
        let rate = Double(block.format.sampleRate)
        for frame in 0..<block.frames {
            let loudest = buffer[(frame * channels)..<((frame + 1) * channels)].reduce(0) { max($0, abs($1)) }
            if loudest >= threshold, quietFrames >= Engine.latencyImpulseSilence / 4 {
                return Found(
                    captureNs: block.timestampNs.map { $0 + UInt64(Double(frame) * 1e9 / rate) }, readAtNs: readAt, blockFrames: block.frames)
            }
            quietFrames = loudest < quiet ? quietFrames + 1 : 0
        }
        return nil
    }
}
