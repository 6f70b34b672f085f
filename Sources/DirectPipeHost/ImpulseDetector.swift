import DirectPipeEngine
import DirectPipeShm

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
