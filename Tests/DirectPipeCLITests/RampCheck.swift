import Testing

/// Judges what a ramp checker (jack-ramp, pw-ramp: `errors`, `dropout_frames`, `checked_frames`) heard
/// against the graph cycles skipped meanwhile (xruns, as the servers and DirectPipe counted them). A skipped
/// cycle may break the ramp once per channel (a jump, or a dropout and the ramp resuming) and leave at most one
/// cycle of silence, through no fault of the node under test. A fault in DirectPipe shows as errors with no
/// skipped cycle, more than one per channel per skip, or more silence than the skips explain. A cycle is
/// jack-ramp's `period`, or what pw-ramp played per cycle (its `frames` over its `cycles`).
func expectRampExplained(
    _ check: [String: Any], skippedCycles: Int, channels: Int = 2,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let played = (frames: check.int("frames") ?? 0, cycles: check.int("cycles") ?? 0)
    let quantum = check.int("period") ?? (played.cycles > 0 ? (played.frames + played.cycles - 1) / played.cycles : 0)
    if skippedCycles > 0 { print("ramp check: \(skippedCycles) skipped graph cycles during the check") }
    #expect(
        (check.int("errors") ?? .max) <= skippedCycles * channels, "\(check), \(skippedCycles) skipped cycles",
        sourceLocation: sourceLocation)
    #expect(
        (check.int("dropout_frames") ?? .max) <= skippedCycles * quantum, "\(check), \(skippedCycles) skipped cycles",
        sourceLocation: sourceLocation)
}

/// The ramp (see Tests/Native/ramp.h) checked in interleaved samples, from its first non-zero frame.
struct RampCheck: CustomStringConvertible {
    var checkedFrames = 0
    var errors = 0

    init(_ samples: [Float], channels: Int) {
        var expected = [UInt32](repeating: 0, count: channels)
        var started = false
        for frame in 0..<samples.count / channels {
            if !started && samples[frame * channels] == 0 { continue }
            for channel in 0..<channels {
                let raw = UInt32(samples[frame * channels + channel] * 8_388_608)
                let index = (raw &+ 8_388_608 &- UInt32((channel * 2_097_152) % 8_388_608)) % 8_388_608
                if started && index != expected[channel] { errors += 1 }
                expected[channel] = (index + 1) % 8_388_608
            }
            started = true
            checkedFrames += 1
        }
    }

    var description: String { "\(checkedFrames) frames, \(errors) errors" }
}
