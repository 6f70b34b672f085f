import DirectPipeAudioFile
import Foundation

/// What the internal clock feeds the engine: `tone:HZ`, `silence`, or a
/// WAV/FLAC file (looped, read into memory before audio starts).
public enum ClockInput: Sendable, CustomStringConvertible {
    case tone(hertz: Double)
    case silence
    case file(path: String)

    /// Parses `tone:HZ`, `silence`, or anything else as a file path.
    public init(_ text: String) throws(BackendError) {
        if text == "silence" {
            self = .silence
        } else if text.hasPrefix("tone:") {
            guard let hertz = Double(text.dropFirst(5)), hertz > 0, hertz.isFinite else {
                throw .badInput("'\(text)': expected tone:HZ with HZ a positive number")
            }
            self = .tone(hertz: hertz)
        } else {
            self = .file(path: text)
        }
    }

    public var description: String {
        switch self {
        case .tone(let hertz): "tone:\(hertz)"
        case .silence: "silence"
        case .file(let path): path
        }
    }
}

/// Interleaved frames ready for the audio thread: rendered or loaded up front
/// and played in a loop, so the audio thread only copies.
/// Unchecked Sendable: its samples (raw memory freed in deinit) are immutable after init; `position` is the one audio thread's own.
final class PreparedInput: @unchecked Sendable {
    let samples: UnsafeMutableBufferPointer<Float>
    let channels: Int
    let frames: Int
    private var position = 0

    init(_ input: ClockInput, sampleRate: Int, channels: Int) throws(BackendError) {
        switch input {
        case .silence:
            self.channels = channels
            frames = sampleRate
            samples = .allocate(capacity: frames * channels)
            samples.initialize(repeating: 0)
        case .tone(let hertz):
            // Whole cycles in the loop, so it repeats without a click; -6 dBFS.
            let cycles = max(1, (hertz * 1).rounded())
            self.channels = channels
            frames = Int((Double(sampleRate) * cycles / hertz).rounded())
            samples = .allocate(capacity: frames * channels)
            for frame in 0..<frames {
                let value = Float(0.5 * sin(2 * Double.pi * hertz * Double(frame) / Double(sampleRate)))
                for channel in 0..<channels { samples[frame * channels + channel] = value }
            }
        case .file(let path):
            let contents: AudioFileContents
            do { contents = try AudioFileContents(path: path) } catch { throw .badInput(error.description) }
            guard contents.sampleRate == sampleRate else {
                throw .badInput("\(path) is \(contents.sampleRate) Hz but the engine runs at \(sampleRate) Hz (use --rate \(contents.sampleRate))")
            }
            guard contents.frames > 0 else { throw .badInput("\(path) holds no audio") }
            self.channels = contents.channels
            frames = contents.frames
            samples = .allocate(capacity: contents.samples.count)
            _ = samples.initialize(from: contents.samples)
        }
    }

    deinit { samples.deallocate() }

    /// Copies the next `count` frames (looping) into `destination`.
    func next(_ count: Int, into destination: UnsafeMutablePointer<Float>) {
        var written = 0
        while written < count {
            let run = min(count - written, frames - position)
            UnsafeMutableRawPointer(destination + written * channels)
                .copyMemory(from: samples.baseAddress! + position * channels, byteCount: run * channels * MemoryLayout<Float>.stride)
            written += run
            position = (position + run) % frames
        }
    }
}
