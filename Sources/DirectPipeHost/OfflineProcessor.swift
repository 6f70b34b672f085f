import DirectPipeAudioFile
import DirectPipeDSP
import DirectPipePlugins
import Foundation

/// A file through a chain, offline, block by block as the engine runs it (`directpipe process`): the file's
/// channels map onto the effects' ports, the output has the input's length (the chain's latency is reported,
/// not removed) and is written atomically, as 32-bit float WAV or 24-bit FLAC by its extension.
public struct OfflineProcessor: Sendable {
    /// Frames per block: the engine's period, for output that matches a live run's.
    public var blockFrames: Int
    /// Prepare plugins as `directpipe run` does (one frame of silence first), to reproduce its output exactly.
    public var asLive: Bool

    public init(blockFrames: Int = 128, asLive: Bool = false) {
        self.blockFrames = blockFrames
        self.asLive = asLive
    }

    /// What a run did: frames, channels, the chain's effects and latency, and the effects taken out for a fault.
    public struct Result: Sendable {
        public var frames: Int
        public var channels: Int
        public var latencyFrames: Int
        /// The chain's effects' ids, in order.
        public var effects: [String]
        /// The ids of effects that produced NaN, infinity or a blow-up and were taken out.
        public var faultedEffects: [String]
        /// The output's loudness (EBU R 128): integrated and the highest true peak of the whole file.
        public var loudness: LoudnessMeter.Reading
    }

    /// Runs `input` through the chain `describe` gives (it may use the factory, e.g. to load a preset) into `output`.
    public func process(_ input: String, to output: String, chain describe: (EffectFactory) throws -> ChainDescription) throws -> Result {
        let contents = try AudioFileContents(path: input)
        let channels = contents.channels
        let factory = EffectFactory(
            channels: channels, sampleRate: Double(contents.sampleRate), maxFrames: blockFrames, liveWorker: false, warmUp: asLive)
        let chain = try factory.chain(try describe(factory))
        let writer = try AudioFileWriter(path: output, sampleRate: contents.sampleRate, channels: channels)
        let buffer = PlanarBuffer(channels: channels, capacity: blockFrames)
        var interleaved = [Float](repeating: 0, count: blockFrames * channels)
        let loudness = try LoudnessMeter(channels: channels, sampleRate: Double(contents.sampleRate))
        var frame = 0
        try contents.samples.withUnsafeBufferPointer { samples in
            while frame < contents.frames {
                let frames = min(blockFrames, contents.frames - frame)
                buffer.deinterleave(samples.baseAddress! + frame * channels, frames: frames)
                chain.process(buffer.pointers, frames: frames)
                try interleaved.withUnsafeMutableBufferPointer { out in
                    buffer.interleave(into: out.baseAddress!, frames: frames)
                    try writer.write(UnsafeBufferPointer(rebasing: out[0..<frames * channels]))
                    loudness.add(out.baseAddress!, frames: frames)
                }
                frame += frames
            }
        }
        try writer.finish()
        return Result(
            frames: contents.frames, channels: channels, latencyFrames: chain.latencyFrames, effects: chain.slots.map(\.effect.info.id),
            faultedEffects: chain.faultedEffects.map { chain.slots[$0].effect.info.id }, loudness: loudness.reading)
    }
}
