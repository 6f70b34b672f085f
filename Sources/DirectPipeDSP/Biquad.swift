import Foundation

/// A second-order IIR section's coefficients (normalised, a0 = 1), designed
/// after Robert Bristow-Johnson's Audio EQ Cookbook: the bilinear transform of
/// the analog prototype, prewarped at the corner frequency.
public struct BiquadCoefficients: Sendable, Equatable {
    public var b0: Float, b1: Float, b2: Float, a1: Float, a2: Float

    public static let identity = BiquadCoefficients(b0: 1, b1: 0, b2: 0, a1: 0, a2: 0)

    public init(b0: Float, b1: Float, b2: Float, a1: Float, a2: Float) {
        (self.b0, self.b1, self.b2, self.a1, self.a2) = (b0, b1, b2, a1, a2)
    }

    private init(b0: Double, b1: Double, b2: Double, a0: Double, a1: Double, a2: Double) {
        self.init(b0: Float(b0 / a0), b1: Float(b1 / a0), b2: Float(b2 / a0), a1: Float(a1 / a0), a2: Float(a2 / a0))
    }

    private struct Prototype {
        let cosW: Double, alpha: Double, a: Double
        init(_ frequency: Double, _ q: Double, _ sampleRate: Double, gainDB: Double = 0) {
            let w = 2 * Double.pi * min(frequency, sampleRate * 0.49) / sampleRate
            cosW = cos(w)
            alpha = sin(w) / (2 * q)
            a = pow(10, gainDB / 40)
        }
    }

    public static func lowPass(_ frequency: Double, q: Double, sampleRate: Double) -> Self {
        let p = Prototype(frequency, q, sampleRate)
        return Self(b0: (1 - p.cosW) / 2, b1: 1 - p.cosW, b2: (1 - p.cosW) / 2, a0: 1 + p.alpha, a1: -2 * p.cosW, a2: 1 - p.alpha)
    }

    public static func highPass(_ frequency: Double, q: Double, sampleRate: Double) -> Self {
        let p = Prototype(frequency, q, sampleRate)
        return Self(b0: (1 + p.cosW) / 2, b1: -(1 + p.cosW), b2: (1 + p.cosW) / 2, a0: 1 + p.alpha, a1: -2 * p.cosW, a2: 1 - p.alpha)
    }

    public static func peak(_ frequency: Double, q: Double, gainDB: Double, sampleRate: Double) -> Self {
        let p = Prototype(frequency, q, sampleRate, gainDB: gainDB)
        return Self(
            b0: 1 + p.alpha * p.a, b1: -2 * p.cosW, b2: 1 - p.alpha * p.a, a0: 1 + p.alpha / p.a, a1: -2 * p.cosW, a2: 1 - p.alpha / p.a)
    }

    public static func lowShelf(_ frequency: Double, q: Double, gainDB: Double, sampleRate: Double) -> Self {
        let p = Prototype(frequency, q, sampleRate, gainDB: gainDB)
        let a = p.a, root = 2 * sqrt(a) * p.alpha
        return Self(
            b0: a * ((a + 1) - (a - 1) * p.cosW + root), b1: 2 * a * ((a - 1) - (a + 1) * p.cosW),
            b2: a * ((a + 1) - (a - 1) * p.cosW - root), a0: (a + 1) + (a - 1) * p.cosW + root,
            a1: -2 * ((a - 1) + (a + 1) * p.cosW), a2: (a + 1) + (a - 1) * p.cosW - root)
    }

    public static func highShelf(_ frequency: Double, q: Double, gainDB: Double, sampleRate: Double) -> Self {
        let p = Prototype(frequency, q, sampleRate, gainDB: gainDB)
        let a = p.a, root = 2 * sqrt(a) * p.alpha
        return Self(
            b0: a * ((a + 1) + (a - 1) * p.cosW + root), b1: -2 * a * ((a - 1) + (a + 1) * p.cosW),
            b2: a * ((a + 1) + (a - 1) * p.cosW - root), a0: (a + 1) - (a - 1) * p.cosW + root,
            a1: 2 * ((a - 1) - (a + 1) * p.cosW), a2: (a + 1) - (a - 1) * p.cosW - root)
    }

    /// The section's gain at `frequency` (linear), from its transfer function.
    public func magnitude(at frequency: Double, sampleRate: Double) -> Double {
        let w = 2 * Double.pi * frequency / sampleRate
        func evaluate(_ c0: Double, _ c1: Double, _ c2: Double) -> Double {
            let re = c0 + c1 * cos(-w) + c2 * cos(-2 * w)
            let im = c1 * sin(-w) + c2 * sin(-2 * w)
            return (re * re + im * im).squareRoot()
        }
        return evaluate(Double(b0), Double(b1), Double(b2)) / evaluate(1, Double(a1), Double(a2))
    }

    /// The Q of section `section` (from 0) of a Butterworth filter made of `sections` biquads (order
    /// 2 × sections): one section → 0.707; two → 0.541, 1.307; …
    @inline(__always)
    public static func butterworthQ(section: Int, of sections: Int) -> Double {
        1 / (2 * cos(Double(2 * section + 1) * Double.pi / Double(4 * sections)))
    }
}

/// A second-order section's memory for one channel (transposed direct form II).
public struct BiquadState: Sendable {
    public var z1: Float = 0, z2: Float = 0

    public init() {}

    @inline(__always)
    public mutating func process(_ x: Float, _ c: BiquadCoefficients) -> Float {
        let y = c.b0 * x + z1
        z1 = c.b1 * x - c.a1 * y + z2
        z2 = c.b2 * x - c.a2 * y
        return y
    }
}
