import CSamplerate

/// One channel's way through a model that works on fixed frames at its own rate (RNNoise: 480 samples at
/// 48 kHz) from a chain at any rate: resampled to the model's rate (libsamplerate, where the rates differ), cut
/// into frames, each frame handed to the model in place, resampled back, and played out a fixed delay later.
///
/// The delay is fixed and known (``latencyFrames``): the output starts with as many zeros as the longest the
/// model's frames and the resamplers can keep samples back, so it never runs dry whatever the block sizes; how
/// far the resamplers shift the sound is measured once, on an impulse, when the stream is made. Everything is
/// allocated here; ``process(_:frames:model:)`` allocates nothing (libsamplerate's `src_process` neither).
/// Unchecked Sendable: its buffers and converter states are process()'s own (the audio thread, one at a time).
public final class ModelFrameStream: @unchecked Sendable {
    public let frameSize: Int
    /// Chain-rate frames from a sample in to the same sound out, but for the model's own delay.
    public let latencyFrames: Int
    /// Times the output ran dry (zeros played): 0 unless the delay was set too short. For tests.
    public private(set) var underruns = 0

    private let ratio: Double  // model rate / chain rate
    private let toModel: OpaquePointer?  // nil when the rates are equal
    private let fromModel: OpaquePointer?
    private let gathered: UnsafeMutablePointer<Float>  // at the model's rate, waiting for a whole frame
    private let gatheredCapacity: Int
    private var gatheredCount = 0
    private let played: UnsafeMutablePointer<Float>  // at the chain's rate, waiting to be played
    private let playedCapacity: Int
    private var playedStart = 0
    private var playedEnd: Int

    /// A stream for a chain at `chainRate` in blocks of at most `maxFrames`, to a model of `frameSize` at `modelRate`.
    public init(chainRate: Double, modelRate: Double, frameSize: Int, maxFrames: Int) throws(EffectError) {
        self.frameSize = frameSize
        ratio = modelRate / chainRate
        var shift = 0, countLag = 0
        if chainRate != modelRate {
            var error: Int32 = 0
            toModel = src_new(Int32(SRC_SINC_FASTEST), 1, &error)
            fromModel = src_new(Int32(SRC_SINC_FASTEST), 1, &error)
            guard toModel != nil, fromModel != nil else {
                if let toModel { src_delete(toModel) }
                throw .failed(effect: "resampler", reason: "libsamplerate: \(String(cString: src_strerror(error)))")
            }
            (shift, countLag) = Self.measureResampling(chainRate: chainRate, modelRate: modelRate)
        } else {
            toModel = nil
            fromModel = nil
        }
        // The longest wait: a frame less one sample gathering at the model's rate, and what the resamplers hold back.
        let prefill = Int((Double(frameSize) / ratio).rounded(.up)) + (toModel == nil ? 0 : countLag + 16)
        latencyFrames = prefill + shift
        gatheredCapacity = frameSize + Int((Double(maxFrames) * ratio).rounded(.up)) + 64
        gathered = .allocate(capacity: gatheredCapacity)
        gathered.initialize(repeating: 0, count: gatheredCapacity)
        playedCapacity = 2 * (prefill + maxFrames + Int((Double(frameSize) / ratio).rounded(.up)) + 64)
        played = .allocate(capacity: playedCapacity)
        played.initialize(repeating: 0, count: playedCapacity)
        playedEnd = prefill
    }

    deinit {
        if let toModel { src_delete(toModel) }
        if let fromModel { src_delete(fromModel) }
        gathered.deallocate()
        played.deallocate()
    }

    /// Takes `frames` samples in, runs `model` on every whole frame gathered (in place, at the model's rate), and
    /// puts as many samples out, in place. Real-time safe.
    @inline(__always)
    public func process(_ samples: UnsafeMutablePointer<Float>, frames: Int, model: (UnsafeMutablePointer<Float>) -> Void) {
        gather(samples, frames: frames)
        var start = 0
        while gatheredCount - start >= frameSize {
            let frame = gathered + start
            model(frame)
            play(frame, count: frameSize)
            start += frameSize
        }
        if start > 0 {
            gathered.update(from: gathered + start, count: gatheredCount - start)
            gatheredCount -= start
        }
        let available = min(frames, playedEnd - playedStart)
        samples.update(from: played + playedStart, count: available)
        if available < frames {
            (samples + available).update(repeating: 0, count: frames - available)
            underruns += 1
        }
        playedStart += available
    }

    /// Forgets what is in flight (the output's fixed delay stays). Not real-time safe.
    public func reset() {
        if let toModel { src_reset(toModel) }
        if let fromModel { src_reset(fromModel) }
        gatheredCount = 0
        let prefill = playedEnd - playedStart
        played.update(repeating: 0, count: playedCapacity)
        playedStart = 0
        playedEnd = prefill
    }

    private func gather(_ samples: UnsafeMutablePointer<Float>, frames: Int) {
        guard let toModel else {
            (gathered + gatheredCount).update(from: samples, count: frames)
            gatheredCount += frames
            return
        }
        gatheredCount += Self.convert(
            toModel, ratio: ratio, samples, count: frames, into: gathered + gatheredCount, room: gatheredCapacity - gatheredCount)
    }

    private func play(_ frame: UnsafeMutablePointer<Float>, count: Int) {
        let room = Int((Double(count) / ratio).rounded(.up)) + 32
        if playedEnd + room > playedCapacity {
            played.update(from: played + playedStart, count: playedEnd - playedStart)
            playedEnd -= playedStart
            playedStart = 0
        }
        guard let fromModel else {
            (played + playedEnd).update(from: frame, count: count)
            playedEnd += count
            return
        }
        playedEnd += Self.convert(fromModel, ratio: 1 / ratio, frame, count: count, into: played + playedEnd, room: playedCapacity - playedEnd)
    }

    /// Runs `count` samples through a converter; returns how many it wrote (all the input is taken while there is room).
    @inline(__always)
    private static func convert(
        _ state: OpaquePointer, ratio: Double, _ input: UnsafeMutablePointer<Float>, count: Int, into output: UnsafeMutablePointer<Float>, room: Int
    ) -> Int {
        var used = 0, written = 0
        while used < count, written < room {
            var data = SRC_DATA(
                data_in: input + used, data_out: output + written, input_frames: count - used, output_frames: room - written,
                input_frames_used: 0, output_frames_gen: 0, end_of_input: 0, src_ratio: ratio)
            guard src_process(state, &data) == 0, data.input_frames_used + data.output_frames_gen > 0 else { break }
            used += data.input_frames_used
            written += data.output_frames_gen
        }
        return written
    }

    /// What the two converters do to the sound and to the count, measured on fresh ones: an impulse's shift
    /// (chain-rate samples, rounded) and how many samples they hold back from a long run (rounded up).
    private static func measureResampling(chainRate: Double, modelRate: Double) -> (shift: Int, countLag: Int) {
        var error: Int32 = 0
        guard let there = src_new(Int32(SRC_SINC_FASTEST), 1, &error) else { return (0, 0) }
        defer { src_delete(there) }
        guard let back = src_new(Int32(SRC_SINC_FASTEST), 1, &error) else { return (0, 0) }
        defer { src_delete(back) }
        let length = Int(chainRate / 10), at = length / 4, ratio = modelRate / chainRate
        var input = [Float](repeating: 0, count: length)
        input[at] = 1
        var middle = [Float](repeating: 0, count: Int(Double(length) * ratio) + 64)
        var output = [Float](repeating: 0, count: length + 64)
        let middleCount = input.withUnsafeMutableBufferPointer { source in
            middle.withUnsafeMutableBufferPointer {
                convert(there, ratio: ratio, source.baseAddress!, count: length, into: $0.baseAddress!, room: $0.count)
            }
        }
        let outputCount = middle.withUnsafeMutableBufferPointer { source in
            output.withUnsafeMutableBufferPointer {
                convert(back, ratio: 1 / ratio, source.baseAddress!, count: middleCount, into: $0.baseAddress!, room: $0.count)
            }
        }
        let peak = output[0..<outputCount].indices.max { abs(output[$0]) < abs(output[$1]) } ?? at
        return (peak - at, max(0, length - outputCount))
    }
}
