import DirectPipeShm
import Foundation

/// A generated input for `send`: `tone:HZ`, `counter` or `silence`.
public enum TestSignal: Sendable, Equatable, CustomStringConvertible {
    case tone(hertz: Double)
    case counter
    case silence

    /// `tone:HZ` (HZ a positive number), `counter` or `silence`; nil for anything else.
    public init?(_ argument: String) {
        switch argument {
        case "counter": self = .counter
        case "silence": self = .silence
        default:
            guard argument.hasPrefix("tone:"), let hertz = Double(argument.dropFirst(5)), hertz > 0, hertz.isFinite else {
                return nil
            }
            self = .tone(hertz: hertz)
        }
    }

    public var description: String {
        switch self {
        case .tone(let hertz): "tone:\(hertz)"
        case .counter: "counter"
        case .silence: "silence"
        }
    }

    /// Fills interleaved frames that start at pipe position `position`.
    public func render(into buffer: UnsafeMutableBufferPointer<Float>, position: UInt64, channels: Int, sampleRate: Double) {
        switch self {
        case .counter:
            CounterSignal.fill(buffer, position: position, channels: channels)
        case .silence:
            buffer.update(repeating: 0)
        case .tone(let hertz):
            // From the absolute position, so the phase never drifts; -6 dBFS.
            let cycle = sampleRate / hertz
            for frame in 0..<(buffer.count / channels) {
                let phase = (Double(position + UInt64(frame)).truncatingRemainder(dividingBy: cycle)) / cycle
                let sample = Float(0.5 * sin(2 * Double.pi * phase))
                for channel in 0..<channels { buffer[frame * channels + channel] = sample }
            }
        }
    }
}
