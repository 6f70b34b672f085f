/// Keeps a ring between two clocks at its target fill by steering a
/// resampler: a PI controller on the (smoothed) fill error, as zita-ajbridge
/// and alsa_in do. The fill integrates the clocks' rate difference, so the
/// integral term settles on that difference and the fill returns to target:
/// latency stays bounded, and the estimate is the drift between the clocks.
///
/// With T = 1 s and Ti = 4 s the loop is critically damped and settles in
/// about ten seconds; the smoothing (0.5 s) keeps what jitter is left in the
/// fill out of the ratio.
public struct DriftController: Sendable {
    static let maximumDrift = 0.02
    public let targetFrames: Double
    public let sampleRate: Double
    private let responseSeconds = 1.0
    private let integralSeconds = 4.0
    private let smoothingSeconds = 0.5
    private var smoothedError = 0.0
    private var integral = 0.0
    /// The correction now: how much faster the producer runs than the consumer (0.005 = 0.5 %).
    public private(set) var drift = 0.0

    public init(targetFrames: Int, sampleRate: Int) {
        self.targetFrames = Double(targetFrames)
        self.sampleRate = Double(sampleRate)
    }

    /// The resampling ratio (output frames per input frame) to use now.
    public var ratio: Double { 1 / (1 + drift) }

    /// The drift in parts per million, for the status line.
    public var driftPPM: Double { drift * 1e6 }

    /// Takes the ring's fill, `elapsed` seconds after the previous one; returns the new ratio.
    public mutating func update(fill: Double, elapsed: Double) -> Double {
        // A burst (a late producer catching up, a stall) is not drift: beyond one target's worth the
        // error is clipped, so such a transient cannot wind up the integral (the ring's resync handles it).
        let error = min(targetFrames, max(-targetFrames, fill - targetFrames))
        smoothedError += (error - smoothedError) * min(1, elapsed / smoothingSeconds)
        // A real clock is within a few hundred ppm; 2 % bounds a wild start (and the integral with it).
        let integralBound = Self.maximumDrift * responseSeconds * sampleRate * integralSeconds
        integral = min(integralBound, max(-integralBound, integral + smoothedError * elapsed))
        drift = (smoothedError + integral / integralSeconds) / (responseSeconds * sampleRate)
        drift = min(Self.maximumDrift, max(-Self.maximumDrift, drift))
        return ratio
    }

    /// Starts again (after a resync or a device that came back).
    public mutating func reset() {
        smoothedError = 0
        integral = 0
        drift = 0
    }
}
