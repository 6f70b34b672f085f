import Atomics
import Foundation

/// Noise removal with DeepFilterNet 3, the high-quality choice: a deep filter over a 48 kHz spectrum, clearer than
/// RNNoise on babble and keyboards, at about 15 % of a core per channel here.
///
/// Live, its model never runs on the audio thread: each channel's frames go to a ``FrameWorker`` and come back
/// ``slack`` frames later (a period's frames and one more, so a frame is always handed over a whole period before it
/// is played). When the worker falls behind (the frames handed over in earlier periods not all done), the effect
/// hands over to RNNoise, run beside it on the audio thread and lined up with it (or to the dry signal when RNNoise
/// is missing), crossfading over 10 ms, counts the hand-over, and goes back the same way once the worker has kept up
/// for a second. Offline (``live`` false) it runs the model in place, the same every time.
///
/// Parameters: an attenuation limit (DeepFilterNet's own, dB, 100 = none), and the voice gate of ``RNNoiseEffect``
/// driven by DeepFilterNet's local SNR (mapped to 0…1: −5 dB → 0, +20 dB → 1), which is also what it publishes as
/// its voice probability (RNNoise's while it stands in). Latency: a frame gathered, the model's 3 frames, the worker's
/// slack (live), and the resamplers' at other rates.
/// Unchecked Sendable: AudioEffect's contract: streams, buffers and the fade are process()'s own (audio thread);
/// each model belongs to its worker thread (or, offline, to process()).
public final class DeepFilterEffect: AudioEffect, @unchecked Sendable {
    public static let info = EffectInfo(
        id: "deepfilter", name: "Noise removal (DeepFilterNet 3)", format: .builtin, audioInputs: 2, audioOutputs: 2,
        parameters: RNNoiseEffect.noiseRemovalParameters, author: "Hendrik Schröter (DeepFilterNet)", category: "Restoration")

    /// DeepFilterNet's own delay: its output lines up with its input three frames earlier (measured).
    public static let modelDelayFrames = 3
    /// Frames the worker has before its result is played (live; 0 offline).
    public let slack: Int
    private let frameSize = 480
    private let live: Bool
    private let library: DeepFilterLibrary
    private var models: [OpaquePointer] = []
    /// One per channel, live, each the only user of its model; made once the parameters exist (each reads the
    /// attenuation limit itself).
    private var workers: [FrameWorker] = []
    private let workerDelay: Duration?
    private let streams: [ModelFrameStream]
    /// RNNoise beside it (live, when its library is here and made a state for every channel); else the dry signal.
    private let rnnoise: RNNoiseLibrary?
    private var standInModels: [OpaquePointer] = []
    /// Per channel, a ring of stand-in frames (and their voice probabilities), played `standInLag` frames after they
    /// were made: lined up with DeepFilterNet's output (RNNoise's output is two frames behind its input, the dry
    /// signal none).
    private let standIn: UnsafeMutablePointer<Float>
    private let standInVoice: UnsafeMutablePointer<Float>
    private let standInLag: Int
    private let scratch: UnsafeMutablePointer<Float>
    private let gates: UnsafeMutablePointer<VoiceActivityGate>
    /// Per channel: the next frame's number and the crossfade between DeepFilterNet and the stand-in.
    private let lanes: UnsafeMutablePointer<Lane>
    private let handoverCount = UnsafeAtomic<Int>.create(0)
    private let standingIn = UnsafeAtomic<Bool>.create(false)
    private var appliedLimit: Float = 100

    /// One channel's live state (audio thread).
    private struct Lane {
        var sequence = 0
        /// 0: DeepFilterNet plays; 1: the stand-in plays.
        var mix: Float = 0
        var mixTarget: Float = 0
        var framesKeptUp = 0
    }

    /// An instance on the runtime found by the default search; throws naming what is missing when there is none.
    /// `periodFrames`: the engine's period (live), which sets the worker's slack.
    public convenience init(channels: Int, sampleRate: Double, maxFrames: Int, live: Bool, periodFrames: Int = 480) throws(EffectError) {
        switch DeepFilterLibrary.shared {
        case .success(let library):
            try self.init(
                library: library, rnnoise: try? RNNoiseLibrary.shared.get(), channels: channels, sampleRate: sampleRate, maxFrames: maxFrames,
                live: live, periodFrames: periodFrames)
        case .failure(let missing): throw .unsupported(effect: Self.info.id, reason: missing.description)
        }
    }

    /// `rnnoise`: the stand-in when the worker falls behind (nil: the dry signal). `periodFrames`: the engine's period
    /// (live). `workerDelay`: a pause before each frame on the worker (tests: a worker slower than real time).
    public init(
        library: DeepFilterLibrary, rnnoise: RNNoiseLibrary?, channels: Int, sampleRate: Double, maxFrames: Int, live: Bool,
        periodFrames: Int = 480, workerDelay: Duration? = nil
    ) throws(EffectError) {
        self.library = library
        self.live = live
        self.workerDelay = workerDelay
        slack = live ? Int((Double(periodFrames) * DeepFilterLibrary.sampleRate / sampleRate / 480).rounded(.up)) + 1 : 0
        var streams: [ModelFrameStream] = []
        for _ in 0..<channels {
            streams.append(try ModelFrameStream(chainRate: sampleRate, modelRate: DeepFilterLibrary.sampleRate, frameSize: 480, maxFrames: maxFrames))
        }
        self.streams = streams
        // RNNoise stands in only if it has a state for every channel (else the dry signal, lined up, for all).
        var standIns: [OpaquePointer] = []
        if live, let rnnoise {
            for _ in 0..<channels { if let model = rnnoise.create(nil) { standIns.append(model) } }
            if standIns.count < channels {
                for model in standIns { rnnoise.destroy(model) }
                standIns = []
            }
        }
        self.rnnoise = standIns.isEmpty ? nil : rnnoise
        standInModels = standIns
        standInLag = slack + Self.modelDelayFrames - (standIns.isEmpty ? 0 : RNNoiseEffect.modelDelay / 480)
        standIn = .allocate(capacity: channels * (standInLag + 1) * 480)
        standIn.initialize(repeating: 0, count: channels * (standInLag + 1) * 480)
        standInVoice = .allocate(capacity: channels * (standInLag + 1))
        standInVoice.initialize(repeating: 1, count: channels * (standInLag + 1))
        scratch = .allocate(capacity: 480)
        scratch.initialize(repeating: 0, count: 480)
        gates = .allocate(capacity: channels)
        gates.initialize(repeating: VoiceActivityGate(frameSize: 480, sampleRate: DeepFilterLibrary.sampleRate), count: channels)
        lanes = .allocate(capacity: channels)
        lanes.initialize(repeating: Lane(), count: channels)
        super.init(info: Self.info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        try startModels()
    }

    /// Makes a model per channel and, live, a worker for each.
    private func startModels() throws(EffectError) {
        for _ in 0..<channels {
            guard let model = library.makeModel(attenuationLimit: values.value(0)) else {
                throw .failed(effect: Self.info.id, reason: "df_create failed (\(library.folder)/\(DeepFilterLibrary.modelName))")
            }
            models.append(model)
        }
        guard library.frameLength(models[0]) == 480 else {
            throw .failed(effect: Self.info.id, reason: "frames of \(library.frameLength(models[0])) samples, not 480")
        }
        guard live else { return }
        let processFrame = library.processFrame, setLimit = library.setAttenuationLimit, values = values
        let capacity = max(16, 2 * slack + 2)
        workers = models.enumerated().map { channel, model in
            let box = ModelBox(model)
            return FrameWorker(frameSize: 480, capacity: capacity, name: "deepfilter \(channel)", extraDelay: workerDelay) { frame in
                let limit = values.value(0)
                if limit != box.limit {
                    box.limit = limit
                    setLimit(box.model, limit)
                }
                return processFrame(box.model, frame, frame)
            }
        }
    }

    /// Stops the workers, then frees the models (a model belongs to its worker until it has stopped).
    private func stopModels() {
        for worker in workers { worker.stop() }
        workers = []
        for model in models { library.free(model) }
        models = []
    }

    deinit {
        stopModels()
        if let rnnoise { for model in standInModels { rnnoise.destroy(model) } }
        standIn.deallocate()
        standInVoice.deallocate()
        scratch.deallocate()
        gates.deinitialize(count: channels)
        gates.deallocate()
        lanes.deinitialize(count: channels)
        lanes.deallocate()
        handoverCount.destroy()
        standingIn.destroy()
    }

    public override var latencyFrames: Int {
        streams[0].latencyFrames + Int((Double((Self.modelDelayFrames + slack) * frameSize) * sampleRate / DeepFilterLibrary.sampleRate).rounded())
    }

    public override var detectsVoice: Bool { true }

    public override var note: String? {
        let count = handovers
        guard count > 0 else { return nil }
        let times = count == 1 ? "once" : "\(count) times"
        return isStandingIn
            ? "behind real time: \(standInName) stands in (handed over \(times))"
            : "fell behind real time \(times); \(standInName) stood in"
    }

    /// Times it handed over to the stand-in because a worker fell behind (every channel's counted).
    public var handovers: Int { handoverCount.load(ordering: .relaxed) }

    /// True while the stand-in (RNNoise, or the dry signal) plays instead of DeepFilterNet.
    public var isStandingIn: Bool { standingIn.load(ordering: .relaxed) }

    /// What stands in: "RNNoise" or "the dry signal".
    public var standInName: String { rnnoise == nil ? "the dry signal" : "RNNoise" }

    /// True when every worker has finished every frame handed to it (tests pace themselves on it; same thread as process()).
    public var workersCaughtUp: Bool { workers.indices.allSatisfy { workers[$0].newestFinished >= lanes[$0].sequence - 1 } }

    /// Frames the worker never got (its ring was full: far behind).
    public var droppedFrames: Int { workers.reduce(0) { $0 + $1.dropped } }

    public override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        let values = valuesView.takeUnretainedValue()
        let limit = values.value(0), threshold = values.value(1) / 100, hold = values.value(2) / 1000
        // Live, each worker sets the limit on its own model: the audio thread never calls into one.
        if !live, limit != appliedLimit {
            appliedLimit = limit
            for model in models { library.setAttenuationLimit(model, limit) }
        }
        var loudest: Float = -1
        for channel in 0..<channels {
            if live {
                processLive(channel, buffers[channel], frames: frames, threshold: threshold, hold: hold, loudest: &loudest)
            } else {
                let model = models[channel], processFrame = library.processFrame, gate = gates + channel
                streams[channel].process(buffers[channel], frames: frames) { frame in
                    let probability = Self.voiceProbability(localSNR: processFrame(model, frame, frame))
                    loudest = max(loudest, probability)
                    gate.pointee.process(frame, count: 480, probability: probability, threshold: threshold, holdSeconds: hold)
                }
            }
        }
        if loudest >= 0 { publishVoiceProbability(loudest) }
    }

    /// One channel live: each frame to the worker, the frame `slack` back from it, crossfaded with the stand-in.
    private func processLive(
        _ channel: Int, _ samples: UnsafeMutablePointer<Float>, frames: Int, threshold: Float, hold: Float, loudest: inout Float
    ) {
        let worker = workers[channel], ringFrames = standInLag + 1, ring = standIn + channel * ringFrames * 480, size = frameSize
        let voices = standInVoice + channel * ringFrames
        let taken = scratch, gate = gates + channel, lag = standInLag, slack = slack, lane = lanes + channel
        let standInModel = rnnoise == nil ? nil : standInModels[channel], processStandIn = rnnoise?.processFrame
        // Frames handed over before this period must be done by now; those of this period need not be.
        let firstOfPeriod = lane.pointee.sequence
        streams[channel].process(samples, frames: frames) { frame in
            let sequence = lane.pointee.sequence
            worker.submit(frame, sequence: sequence)
            // This frame's stand-in, kept until it lines up with DeepFilterNet's output.
            let made = ring + (sequence % ringFrames) * size
            made.update(from: frame, count: size)
            if let standInModel, let processStandIn {
                for index in 0..<size { made[index] *= 32768 }
                voices[sequence % ringFrames] = processStandIn(standInModel, made, made)
                for index in 0..<size { made[index] /= 32768 }
            }
            let linedSlot = (sequence + ringFrames - lag) % ringFrames, lined = ring + linedSlot * size
            let wanted = sequence - slack
            let localSNR = wanted >= 0 ? worker.take(wanted, into: taken) : 0
            if wanted < 0 { taken.update(repeating: 0, count: size) }  // the first frames: nothing yet, silence
            let behind = wanted >= 0 && (localSNR == nil || worker.newestFinished < firstOfPeriod - 1)
            steer(lane, behind: behind)
            let ours = localSNR == nil ? lined : taken
            for index in 0..<size {
                let mix = lane.pointee.mix, target = lane.pointee.mixTarget
                if mix != target { lane.pointee.mix = target > mix ? min(target, mix + 1 / 480) : max(target, mix - 1 / 480) }
                frame[index] = ours[index] + lane.pointee.mix * (lined[index] - ours[index])
            }
            let probability = localSNR.map { Self.voiceProbability(localSNR: $0) } ?? voices[linedSlot]
            loudest = max(loudest, probability)
            gate.pointee.process(frame, count: size, probability: probability, threshold: threshold, holdSeconds: hold)
            lane.pointee.sequence = sequence + 1
        }
    }

    /// Decides, once per frame, which of DeepFilterNet and the stand-in a channel plays.
    private func steer(_ lane: UnsafeMutablePointer<Lane>, behind: Bool) {
        if behind {
            lane.pointee.framesKeptUp = 0
            if lane.pointee.mixTarget == 0 {
                lane.pointee.mixTarget = 1
                handoverCount.wrappingIncrement(ordering: .relaxed)
                standingIn.store(true, ordering: .relaxed)
            }
        } else if lane.pointee.mixTarget == 1 {
            lane.pointee.framesKeptUp += 1
            if lane.pointee.framesKeptUp >= 100 {
                lane.pointee.mixTarget = 0
                standingIn.store(false, ordering: .relaxed)
            }
        }
    }

    /// Forgets the signal's history: new models (and workers), the stand-in's, the streams and gates. Not real-time safe.
    public override func reset() {
        stopModels()
        try? startModels()
        if let rnnoise {
            for index in standInModels.indices {
                guard let fresh = rnnoise.create(nil) else { continue }  // none to spare: the old state carries on
                rnnoise.destroy(standInModels[index])
                standInModels[index] = fresh
            }
        }
        for stream in streams { stream.reset() }
        standIn.update(repeating: 0, count: channels * (standInLag + 1) * 480)
        for channel in 0..<channels {
            gates[channel].reset()
            lanes[channel] = Lane()
        }
    }

    /// DeepFilterNet's local SNR (dB) as a voice probability: −5 dB or less → 0, +20 dB or more → 1.
    @inline(__always)
    static func voiceProbability(localSNR: Float) -> Float { min(1, max(0, (localSNR + 5) / 25)) }
}

/// A model pointer handed to a worker thread, which alone uses it from then on.
/// Unchecked Sendable: ownership moves to the worker; the effect frees it only after the worker has stopped.
private final class ModelBox: @unchecked Sendable {
    let model: OpaquePointer
    /// The attenuation limit the model has now.
    var limit: Float = 100
    init(_ model: OpaquePointer) { self.model = model }
}
