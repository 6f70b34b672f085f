import DirectPipeDSP
import Foundation
import Testing

/// An effect that turns to NaN (or blows up) after a while, like a broken plugin.
final class BreakingEffect: AudioEffect, @unchecked Sendable {
    let after: Int
    let value: Float
    private var seen = 0

    init(after: Int, value: Float, channels: Int) {
        self.after = after
        self.value = value
        super.init(
            info: EffectInfo(id: "breaking", name: "Breaking", format: .builtin, audioInputs: 1, audioOutputs: 1, parameters: []),
            channels: channels, sampleRate: 48000, maxFrames: 64)
    }

    override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        for frame in 0..<frames {
            seen += 1
            if seen > after { for channel in 0..<channels { buffers[channel][frame] = value } }
        }
    }
}

@Suite struct ChainTests {
    let rate = 48000.0

    func gain(_ decibels: Float, channels: Int = 1) throws -> AudioEffect {
        let effect = GainEffect(channels: channels, sampleRate: rate, maxFrames: 64)
        try effect.set("gain", decibels)
        return effect
    }

    @Test(arguments: [Float.nan, .infinity, 1e6])
    func aPluginThatBreaksIsTakenOutAndTheRestGoesOn(value: Float) throws {
        let chain = EffectChain(
            [BreakingEffect(after: 1000, value: value, channels: 1), try gain(-6.0206)], channels: 1, sampleRate: rate, maxFrames: 64)
        let input = sine(440, frames: 4800)
        let out = run(chainEffect(chain), [input])[0]
        #expect(out.allSatisfy { $0.isFinite })
        #expect(chain.faultedEffects == [0])
        // The block it broke in is muted; from the next on, the input passes round it and the gain still applies.
        for frame in 960..<1024 { #expect(out[frame] == 0) }
        for frame in 1024..<4800 { #expect(abs(out[frame] - input[frame] * 0.5) < 1e-6) }
    }

    @Test func bypassCrossfadesWithoutAClickAndKeepsTimeAligned() throws {
        let limiter = LimiterEffect(channels: 1, sampleRate: rate, maxFrames: 64)
        let chain = EffectChain([try gain(-12), limiter], channels: 1, sampleRate: rate, maxFrames: 64)
        #expect(chain.latencyFrames == limiter.latencyFrames)
        let wrapper = chainEffect(chain)
        let input = sine(200, amplitude: 0.8, frames: 48000)
        var out = run(wrapper, [Array(input[..<24000])])[0]
        chain.slots[0].bypass = true
        out += run(wrapper, [Array(input[24000...])])[0]
        let steps = zip(out.dropFirst(), out).map { abs($0 - $1) }
        let natural = Float(2 * Double.pi * 200 / rate) * 0.8
        #expect(steps.max()! < natural * 1.1, "no click: largest step \(steps.max()!) vs the sine's \(natural)")
        // Fully bypassed: the input, delayed by the limiter only.
        let latency = chain.latencyFrames
        for frame in 40000..<48000 { #expect(abs(out[frame] - input[frame - latency]) < 1e-6) }
    }

    @Test func masterBypassPassesTheInputDelayedByTheChainsLatency() throws {
        let chain = EffectChain(
            [GateEffect(channels: 1, sampleRate: rate, maxFrames: 64), try gain(-20)], channels: 1, sampleRate: rate, maxFrames: 64)
        chain.bypass = true
        let input = sine(300, frames: 9600)
        let out = run(chainEffect(chain), [input])[0]
        let latency = chain.latencyFrames, faded = 480 + latency  // after the 10 ms crossfade
        #expect(Array(out[faded...]) == Array(input[(faded - latency)..<(9600 - latency)]))
    }

    @Test func parameterChangesAreSmoothed() throws {
        let effect = try gain(0)
        let input = [Float](repeating: 0.5, count: 9600)
        var out = run(effect, [Array(input[..<2400])])[0]
        try effect.set("gain", -40)
        out += run(effect, [Array(input[2400...])])[0]
        let steps = zip(out.dropFirst(), out).map { abs($0 - $1) }
        #expect(steps.max()! < 0.01, "a 40 dB change glides (largest step \(steps.max()!))")
        #expect(abs(out.last! - 0.005) < 1e-4, "and arrives")
    }

    @Test func theVoiceChainIsMadeOfBuiltIns() throws {
        for effect in ChainDescription.voice.effects {
            let made = try BuiltinEffects.make(effect.id, channels: 2, sampleRate: rate, maxFrames: 128)
            for (symbol, value) in effect.parameters { try made.set(symbol, value) }
        }
    }

    @Test func chainFilesRoundTripAndBadOnesAreExplained() throws {
        let json = String(decoding: ChainDescription.voice.encoded(), as: UTF8.self)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dp-chain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let good = folder.appendingPathComponent("voice.json")
        try json.write(to: good, atomically: true, encoding: .utf8)
        #expect(try ChainDescription(contentsOf: good.path) == .voice)
        for (text, reason) in [
            (#"{"effects": [{"id": "gain", "parameters": {"gain": "loud"}}]}"#, "expected Float at effects[0].parameters.gain"),
            (#"{"effects": [{"parameters": {}}]}"#, "missing \"id\" at effects[0]"), (#"{"effects": ["#, "not valid JSON"),
        ] {
            let bad = folder.appendingPathComponent("bad.json")
            try text.write(to: bad, atomically: true, encoding: .utf8)
            #expect(throws: ChainFileError.self) { try ChainDescription(contentsOf: bad.path) }
            do { _ = try ChainDescription(contentsOf: bad.path) } catch { #expect(error.description.contains(reason), "\(error)") }
        }
    }

    @Test func unknownParametersAreNamed() throws {
        let effect = GainEffect(channels: 1, sampleRate: rate, maxFrames: 64)
        #expect(throws: EffectError.unknownParameter(effect: "gain", symbol: "volume", known: ["gain"])) { try effect.set("volume", 1) }
        try effect.set("gain", 1000)  // clamped to the range
        #expect(effect.values.value(0) == 24)
    }
}

/// A chain as an effect, for the `run` helper.
func chainEffect(_ chain: EffectChain) -> AudioEffect { ChainRunner(chain) }

private final class ChainRunner: AudioEffect, @unchecked Sendable {
    let chain: EffectChain
    init(_ chain: EffectChain) {
        self.chain = chain
        super.init(
            info: EffectInfo(id: "runner", name: "", format: .builtin, audioInputs: 1, audioOutputs: 1, parameters: []),
            channels: chain.channels, sampleRate: chain.sampleRate, maxFrames: chain.maxFrames)
    }
    override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) { chain.process(buffers, frames: frames) }
}
