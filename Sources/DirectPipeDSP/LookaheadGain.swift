/// The gain of a lookahead limiter, one sample at a time: the least gain any of the last `window` samples needs,
/// averaged over the same window. Applied to the signal delayed by `window − 1` frames, it is never more than what
/// any sample it meets needs, and it ramps down before a loud sample rather than stepping. ``LimiterEffect`` and
/// ``TruePeakGuard`` use it. Real-time safe; the owner's audio thread only. Not copyable: it owns its buffers.
struct LookaheadGain: ~Copyable {
    let window: Int
    private let needed: UnsafeMutablePointer<Float>  // the gain each of the last `window` samples needs
    private let minima: UnsafeMutablePointer<Float>  // the window minimum at each of the last `window` samples
    private var minimaSum: Double
    private var position = 0

    init(window: Int) {
        self.window = max(1, window)
        needed = .allocate(capacity: self.window)
        needed.initialize(repeating: 1, count: self.window)
        minima = .allocate(capacity: self.window)
        minima.initialize(repeating: 1, count: self.window)
        minimaSum = Double(self.window)
    }

    deinit {
        needed.deallocate()
        minima.deallocate()
    }

    /// Takes in the gain the newest sample needs; returns the gain for the sample `window − 1` frames before it.
    @inline(__always) @_noAllocation
    mutating func next(needing gain: Float) -> Float {
        needed[position] = gain
        var least: Float = 1
        for index in 0..<window { least = min(least, needed[index]) }
        minimaSum += Double(least) - Double(minima[position])
        minima[position] = least
        position += 1
        if position == window {
            position = 0
            minimaSum = 0  // re-added from scratch once per window: no drift from rounding
            for index in 0..<window { minimaSum += Double(minima[index]) }
        }
        return Float(minimaSum / Double(window))
    }

    mutating func reset() {
        needed.update(repeating: 1, count: window)
        minima.update(repeating: 1, count: window)
        minimaSum = Double(window)
        position = 0
    }
}
