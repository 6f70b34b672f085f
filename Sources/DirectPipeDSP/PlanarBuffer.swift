/// Audio in planar form (one contiguous run of samples per channel), as
/// effects and plugins take it. Allocated once, off the audio thread. Each
/// channel starts on a 64-byte boundary: plugins with SIMD code take other
/// paths (and may round differently) on unaligned buffers.
/// Unchecked Sendable: raw pointers to memory it allocates in init and frees in deinit; its owner uses it on one thread at a time.
public final class PlanarBuffer: @unchecked Sendable {
    public let channels: Int
    public let capacity: Int
    /// One pointer per channel, for C plugin APIs and for effects.
    public let pointers: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    private let storage: UnsafeMutablePointer<Float>
    /// Floats from one channel's start to the next (the capacity rounded up to 64 bytes).
    private let stride: Int

    public init(channels: Int, capacity: Int) {
        self.channels = channels
        self.capacity = capacity
        stride = (capacity + 15) / 16 * 16
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(channels * stride, 1) * MemoryLayout<Float>.stride, alignment: 64)
        storage = raw.initializeMemory(as: Float.self, repeating: 0, count: max(channels * stride, 1))
        pointers = .allocate(capacity: max(channels, 1))
        for channel in 0..<channels { (pointers + channel).initialize(to: storage + channel * stride) }
    }

    deinit {
        storage.deallocate()
        pointers.deallocate()
    }

    @inline(__always) @_noAllocation
    public subscript(channel: Int) -> UnsafeMutablePointer<Float> { pointers[channel] }

    /// Copies `frames` frames of every channel from `source`.
    @inline(__always) @_noAllocation
    public func copy(from source: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        for channel in 0..<channels { copySamples(from: source[channel], to: pointers[channel], count: frames) }
    }

    /// Fills with interleaved samples of `channels` channels.
    @inline(__always) @_noAllocation
    public func deinterleave(_ interleaved: UnsafePointer<Float>, frames: Int) {
        for channel in 0..<channels {
            let target = pointers[channel]
            for frame in 0..<frames { target[frame] = interleaved[frame * channels + channel] }
        }
    }

    /// Writes the samples out interleaved.
    @inline(__always) @_noAllocation
    public func interleave(into interleaved: UnsafeMutablePointer<Float>, frames: Int) {
        for channel in 0..<channels {
            let source = pointers[channel]
            for frame in 0..<frames { interleaved[frame * channels + channel] = source[frame] }
        }
    }

    public func clear() { storage.update(repeating: 0, count: max(channels * stride, 1)) }
}

/// Copies `count` samples (a plain memory copy: real-time safe, checked by @_noAllocation).
@inline(__always) @_noAllocation
public func copySamples(from source: UnsafePointer<Float>, to target: UnsafeMutablePointer<Float>, count: Int) {
    UnsafeMutableRawPointer(target).copyMemory(from: source, byteCount: count * MemoryLayout<Float>.stride)
}
