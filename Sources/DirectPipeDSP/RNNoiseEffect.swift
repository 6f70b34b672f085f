/// Noise removal with RNNoise, the recurrent network OBS and EasyEffects use: far stronger than speexdsp's on
/// fans, keyboards and hum, and it tells how likely each 10 ms is to be voice. One model per channel, at
/// 48 kHz (resampled around it at other rates), on frames of 480 samples in 16-bit scale, as the model was trained.
///
/// Parameters: an attenuation limit (the noisy signal mixed back so the noise is turned down by at most that
/// much: 100 dB is no limit), and a voice gate (silence while the voice probability stays under the threshold,
/// after a hold). Latency: a frame gathered plus RNNoise's own delay of two frames (30 ms at 48 kHz, measured), plus
/// the resamplers' at other rates.
/// The library is loaded at run time (``RNNoiseLibrary``); without it the effect cannot be made and says why.
/// Unchecked Sendable: AudioEffect's contract: the models, streams and gates are process()'s own (audio thread).
public final class RNNoiseEffect: AudioEffect, @unchecked Sendable {
    public static let info = EffectInfo(
        id: "rnnoise", name: "Noise removal (RNNoise)", format: .builtin, audioInputs: 2, audioOutputs: 2,
        parameters: noiseRemovalParameters, author: "Xiph.Org (RNNoise)", category: "Restoration")

    /// A neural noise remover's parameters (RNNoise's and DeepFilterNet's): an attenuation limit and a voice gate.
    public static let noiseRemovalParameters = [
        EffectParameter("limit", "Attenuation limit (100 = none)", 0, 100, default: 100, unit: "dB"),
        EffectParameter("gate", "Voice gate threshold (0 = off)", 0, 99, default: 0, unit: "%"),
        EffectParameter("hold", "Voice gate hold", 0, 2000, default: 300, unit: "ms"),
    ]

    /// RNNoise's samples are 16-bit integers' scale.
    private static let scale: Float = 32768
    private let library: RNNoiseLibrary
    /// One RNNoise state per channel (made again by ``reset()``, which forgets the network's memory).
    private let models: UnsafeMutablePointer<OpaquePointer?>
    private let streams: [ModelFrameStream]
    private let gates: UnsafeMutablePointer<VoiceActivityGate>
    /// Each channel's two frames before the one being processed (older first): the oldest is the noisy sound that
    /// lines up with RNNoise's output, mixed back under an attenuation limit.
    private let previous: UnsafeMutablePointer<Float>
    private let scratch: UnsafeMutablePointer<Float>
    private let frameSize = RNNoiseLibrary.frameSize

    /// An instance on the library found by the default search; throws naming what is missing when there is none.
    public convenience init(channels: Int, sampleRate: Double, maxFrames: Int) throws(EffectError) {
        switch RNNoiseLibrary.shared {
        case .success(let library): try self.init(library: library, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
        case .failure(let missing): throw .unsupported(effect: Self.info.id, reason: missing.description)
        }
    }

    public init(library: RNNoiseLibrary, channels: Int, sampleRate: Double, maxFrames: Int) throws(EffectError) {
        self.library = library
        models = .allocate(capacity: channels)
        models.initialize(repeating: nil, count: channels)
        for channel in 0..<channels {
            models[channel] = library.create(nil)
            guard models[channel] != nil else {
                Self.destroy(models, channels: channels, library: library)
                throw .failed(effect: Self.info.id, reason: "rnnoise_create failed (\(library.path))")
            }
        }
        var streams: [ModelFrameStream] = []
        do {
            for _ in 0..<channels {
                streams.append(
                    try ModelFrameStream(
                        chainRate: sampleRate, modelRate: RNNoiseLibrary.sampleRate, frameSize: RNNoiseLibrary.frameSize, maxFrames: maxFrames))
            }
        } catch {
            Self.destroy(models, channels: channels, library: library)
            throw error
        }
        self.streams = streams
        gates = .allocate(capacity: channels)
        gates.initialize(repeating: VoiceActivityGate(frameSize: RNNoiseLibrary.frameSize, sampleRate: RNNoiseLibrary.sampleRate), count: channels)
        previous = .allocate(capacity: channels * Self.modelDelay)
        previous.initialize(repeating: 0, count: channels * Self.modelDelay)
        scratch = .allocate(capacity: RNNoiseLibrary.frameSize)
        scratch.initialize(repeating: 0, count: RNNoiseLibrary.frameSize)
        super.init(info: Self.info, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
    }

    deinit {
        Self.destroy(models, channels: channels, library: library)
        gates.deinitialize(count: channels)
        gates.deallocate()
        previous.deallocate()
        scratch.deallocate()
    }

    /// RNNoise's own delay: its output lines up with its input two frames earlier (960 samples, measured against
    /// pyrnnoise's own processing).
    public static let modelDelay = 2 * RNNoiseLibrary.frameSize

    /// The stream's delay and the model's.
    public override var latencyFrames: Int {
        streams[0].latencyFrames + Int((Double(Self.modelDelay) * sampleRate / RNNoiseLibrary.sampleRate).rounded())
    }

    public override var detectsVoice: Bool { true }

    public override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        let values = valuesView.takeUnretainedValue()
        let limit = values.value(0), threshold = values.value(1) / 100, hold = values.value(2) / 1000
        // The share of the noisy signal mixed back: none at 100 dB (bit for bit RNNoise's output).
        let dryShare: Float = limit >= 100 ? 0 : decibelsToGain(-limit)
        let processFrame = library.processFrame, size = frameSize, incoming = scratch
        var loudest: Float = -1
        for channel in 0..<channels {
            let model = models[channel], noisy = previous + channel * Self.modelDelay, gate = gates + channel
            streams[channel].process(buffers[channel], frames: frames) { frame in
                for index in 0..<size {
                    incoming[index] = frame[index]
                    frame[index] *= Self.scale
                }
                let probability = processFrame(model, frame, frame)
                loudest = max(loudest, probability)
                for index in 0..<size { frame[index] /= Self.scale }
                if dryShare > 0 {
                    for index in 0..<size { frame[index] += dryShare * (noisy[index] - frame[index]) }
                }
                noisy.update(from: noisy + size, count: size)
                (noisy + size).update(from: incoming, count: size)
                gate.pointee.process(frame, count: size, probability: probability, threshold: threshold, holdSeconds: hold)
            }
        }
        if loudest >= 0 { publishVoiceProbability(loudest) }
    }

    public override func reset() {
        for channel in 0..<channels {
            library.destroy(models[channel])
            models[channel] = library.create(nil)
        }
        for stream in streams { stream.reset() }
        previous.update(repeating: 0, count: channels * Self.modelDelay)
        for channel in 0..<channels { gates[channel].reset() }
    }

    private static func destroy(_ models: UnsafeMutablePointer<OpaquePointer?>, channels: Int, library: RNNoiseLibrary) {
        for channel in 0..<channels where models[channel] != nil { library.destroy(models[channel]) }
        models.deallocate()
    }
}
