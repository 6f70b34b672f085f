/// Up to `maxSections` biquads in series on every channel, with their
/// coefficients shared by the channels. Real-time safe once made.
final class BiquadCascade {
    let channels: Int
    let maxSections: Int
    let coefficients: UnsafeMutablePointer<BiquadCoefficients>
    private let states: UnsafeMutablePointer<BiquadState>

    init(channels: Int, sections: Int) {
        self.channels = channels
        maxSections = sections
        coefficients = .allocate(capacity: sections)
        coefficients.initialize(repeating: .identity, count: sections)
        states = .allocate(capacity: channels * sections)
        states.initialize(repeating: BiquadState(), count: channels * sections)
    }

    deinit {
        coefficients.deallocate()
        states.deallocate()
    }

    /// Runs the first `sections` sections over `frames` frames starting at `offset`.
    @inline(__always)
    func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, offset: Int, frames: Int, sections: Int) {
        for channel in 0..<channels {
            let samples = buffers[channel] + offset
            for section in 0..<sections {
                let c = coefficients[section]
                var state = states[channel * maxSections + section]
                for frame in 0..<frames { samples[frame] = state.process(samples[frame], c) }
                states[channel * maxSections + section] = state
            }
        }
    }

    /// Clears the memory of sections from `first` on (newly switched in, or after a reset).
    func clear(from first: Int = 0) {
        for channel in 0..<channels {
            for section in first..<maxSections { states[channel * maxSections + section] = BiquadState() }
        }
    }
}
