/// A parameter on its way to a new value: a one-pole glide, so a control
/// change never steps the signal (no zipper noise). Real-time safe.
public struct SmoothedValue: Sendable {
    public private(set) var current: Float
    public var target: Float
    private let coefficient: Float

    /// Glides with a time constant of `milliseconds` (10 ms by default).
    public init(_ value: Float, milliseconds: Float = 10, sampleRate: Double) {
        current = value
        target = value
        coefficient = onePoleCoefficient(milliseconds: milliseconds, sampleRate: sampleRate)
    }

    /// The value for the next sample.
    @inline(__always) @_noAllocation
    public mutating func next() -> Float {
        current = target + (current - target) * coefficient
        if abs(current - target) <= 1e-6 * max(abs(target), 1) { current = target }
        return current
    }

    /// Advances `samples` samples at once (for values applied per sub-block, like filter coefficients).
    @inline(__always) @_noAllocation
    public mutating func advance(_ samples: Int) -> Float {
        // coefficient^samples by squaring: a few multiplications, and no C call the checker cannot see.
        var factor: Float = 1, base = coefficient, exponent = samples
        while exponent > 0 {
            if exponent & 1 == 1 { factor *= base }
            base *= base
            exponent >>= 1
        }
        current = target + (current - target) * factor
        if abs(current - target) <= 1e-5 * max(abs(target), 1) { current = target }
        return current
    }

    public var isSettled: Bool {
        @_noAllocation get { current == target }
    }

    @_noAllocation
    public mutating func jump(to value: Float) {
        current = value
        target = value
    }
}
