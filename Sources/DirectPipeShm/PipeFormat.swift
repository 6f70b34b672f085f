import CDirectPipeShm

/// The audio format of a pipe: what the writer declares in the header.
public struct PipeFormat: Sendable, Hashable, CustomStringConvertible {
    public var sampleRate: UInt32
    /// Interleaved channels, 1–8.
    public var channels: UInt32
    /// Ring capacity in frames: a power of two, 1024–65536.
    public var capacityFrames: UInt32

    /// Checks every field against the protocol's ranges.
    public init(sampleRate: UInt32 = 48000, channels: UInt32 = 2, capacityFrames: UInt32 = DP_DEFAULT_BUFFER_FRAMES) throws(PipeError) {
        guard (DP_MIN_SAMPLE_RATE...DP_MAX_SAMPLE_RATE).contains(sampleRate) else {
            throw .badFormat("sample rate \(sampleRate) is outside \(DP_MIN_SAMPLE_RATE)–\(DP_MAX_SAMPLE_RATE)")
        }
        guard (DP_MIN_CHANNELS...DP_MAX_CHANNELS).contains(channels) else {
            throw .badFormat("channel count \(channels) is outside \(DP_MIN_CHANNELS)–\(DP_MAX_CHANNELS)")
        }
        guard (DP_MIN_BUFFER_FRAMES...DP_MAX_BUFFER_FRAMES).contains(capacityFrames), capacityFrames.nonzeroBitCount == 1 else {
            throw .badFormat("capacity \(capacityFrames) is not a power of two in \(DP_MIN_BUFFER_FRAMES)–\(DP_MAX_BUFFER_FRAMES)")
        }
        self.sampleRate = sampleRate
        self.channels = channels
        self.capacityFrames = capacityFrames
    }

    init(_ format: dp_format) {
        sampleRate = format.sample_rate
        channels = format.channels
        capacityFrames = format.buffer_frames
    }

    /// Largest block the writer publishes at once (protocol writer rule 3).
    public var maxBlockFrames: Int { Int(capacityFrames / 4) }

    /// Bytes of the whole segment: header plus ring.
    public var segmentBytes: Int { Int(dp_segment_size(capacityFrames, channels)) }

    public var description: String { "\(sampleRate) Hz, \(channels) ch, capacity \(capacityFrames) frames" }
}
