/// A fixed delay of every channel by `length` frames: the dry path beside an
/// effect with latency, and the lookahead of the gate and limiter. Real-time safe.
public final class DelayLine {
    public let length: Int
    private let channels: Int
    private let ring: UnsafeMutablePointer<Float>
    private var position = 0

    public init(channels: Int, length: Int) {
        self.channels = channels
        self.length = max(length, 0)
        ring = .allocate(capacity: max(channels * self.length, 1))
        ring.initialize(repeating: 0, count: max(channels * self.length, 1))
    }

    deinit { ring.deallocate() }

    /// Delays one sample of `channel`; call ``advance()`` once every channel's sample of the frame is through.
    @inline(__always) @_noAllocation
    public func push(_ sample: Float, channel: Int) -> Float {
        guard length > 0 else { return sample }
        let index = channel * length + position
        let out = ring[index]
        ring[index] = sample
        return out
    }

    @inline(__always) @_noAllocation
    public func advance() {
        guard length > 0 else { return }
        position += 1
        if position == length { position = 0 }
    }

    /// Delays `frames` frames of every channel in place.
    @inline(__always) @_noAllocation
    public func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        guard length > 0 else { return }
        for frame in 0..<frames {
            for channel in 0..<channels { buffers[channel][frame] = push(buffers[channel][frame], channel: channel) }
            advance()
        }
    }

    public func clear() {
        ring.update(repeating: 0, count: max(channels * length, 1))
        position = 0
    }
}
