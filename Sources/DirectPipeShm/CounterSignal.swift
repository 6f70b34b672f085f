/// The self-checking test signal: the sample for pipe position `p` and
/// channel `c` is `Float((p × channels + c) mod 2²³) / 2²³`, exact in
/// float32, so any reader can tell where every sample belongs and prove that
/// nothing was lost, repeated, torn or invented.
public enum CounterSignal {
    public static let modulus: UInt64 = 8_388_608

    @inline(__always)
    public static func value(position: UInt64, channel: Int, channels: Int) -> Float {
        Float((position &* UInt64(channels) &+ UInt64(channel)) % modulus) / Float(modulus)
    }

    /// Fills interleaved frames starting at pipe position `position`.
    public static func fill(_ buffer: UnsafeMutableBufferPointer<Float>, position: UInt64, channels: Int) {
        for index in 0..<(buffer.count / channels * channels) {
            buffer[index] = value(position: position &+ UInt64(index / channels), channel: index % channels, channels: channels)
        }
    }

    /// How many samples of interleaved frames starting at `position` are not the counter's.
    public static func mismatches(in samples: UnsafeBufferPointer<Float>, position: UInt64, channels: Int) -> Int {
        var count = 0
        for index in 0..<(samples.count / channels * channels)
        where samples[index] != value(position: position &+ UInt64(index / channels), channel: index % channels, channels: channels) {
            count += 1
        }
        return count
    }
}
