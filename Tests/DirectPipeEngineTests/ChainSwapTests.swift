import CDirectPipeShm
import DirectPipeDSP
import DirectPipeEngine
import Foundation
import Testing

/// The engine's chain: run in the signal path, replaced whole between periods with a crossfade, and
/// the replaced chain freed on the control side, never on the audio thread.
@Suite struct ChainSwapTests {
    func gainChain(_ decibels: Float) throws -> EffectChain {
        let gain = GainEffect(channels: 2, sampleRate: 48000, maxFrames: EngineFormat.maxPeriodFrames)
        try gain.set("gain", decibels)
        return EffectChain([gain], channels: 2, sampleRate: 48000, maxFrames: EngineFormat.maxPeriodFrames)
    }

    func period(_ engine: Engine, level: Float = 0.5) -> [Float] {
        let input = [Float](repeating: level, count: 64 * 2)
        input.withUnsafeBufferPointer { engine.process(input: $0.baseAddress!, frames: 64, captureTimeNs: dp_monotonic_ns()) }
        return Array(engine.output(.pipe))
    }

    @Test func aNewChainFadesInOverOnePeriodAndTheOldOneIsFreedOffTheAudioThread() throws {
        let engine = try Engine(format: EngineFormat(periodFrames: 64), pipe: nil, chain: try gainChain(-6.0206))
        for _ in 0..<10 { _ = period(engine) }
        #expect(period(engine).allSatisfy { abs($0 - 0.25) < 1e-5 })
        try {
            let next = try gainChain(-12.0412)
            try engine.install(chain: next)
        }()
        let fade = period(engine)
        let left = stride(from: 0, to: fade.count, by: 2).map { fade[$0] }
        #expect(abs(left.first! - (0.25 - 0.125 / 64)) < 1e-4 && abs(left.last! - 0.125) < 1e-5, "linear from 0.25 to 0.125: \(left)")
        #expect(zip(left.dropFirst(), left).allSatisfy { $0 < $1 }, "monotonic")
        #expect(period(engine).allSatisfy { abs($0 - 0.125) < 1e-5 })
    }

    @Test func chainsAreReleasedOnceRetiredAndCollected() throws {
        let engine = try Engine(format: EngineFormat(periodFrames: 64), pipe: nil)
        weak var first: EffectChain?
        weak var second: EffectChain?
        try {
            let a = try gainChain(-6), b = try gainChain(-3)
            first = a
            second = b
            try engine.install(chain: a)
            _ = period(engine)  // a goes live
            try engine.install(chain: b)
        }()
        #expect(first != nil, "still live until the next period")
        _ = period(engine)  // b takes over; a is parked for the control side
        #expect(first != nil, "the audio thread never frees it")
        engine.collectRetiredChains()
        #expect(first == nil, "freed here, on the control side")
        #expect(second != nil, "the live chain stays")
    }

    @Test func aChainNeverRunIsReleasedWhenReplacedBeforeItWentLive() throws {
        let engine = try Engine(format: EngineFormat(periodFrames: 64), pipe: nil)
        weak var skipped: EffectChain?
        try {
            let a = try gainChain(-6)
            skipped = a
            try engine.install(chain: a)
            try engine.install(chain: try gainChain(-3))  // before any period: a never runs
        }()
        #expect(skipped == nil)
        #expect(period(engine).allSatisfy { abs($0 - 0.5 * pow(10, -3.0 / 20)) < 1e-5 }, "the chain given last runs, without a fade from nothing")
    }

    @Test func aChainOfAnotherFormatIsRefused() throws {
        let engine = try Engine(format: EngineFormat(periodFrames: 64, channelMode: .mono), pipe: nil)
        #expect(throws: EngineError.self) { try engine.install(chain: try gainChain(0)) }
        let small = EffectChain([], channels: 1, sampleRate: 48000, maxFrames: 128)
        #expect(throws: EngineError.self) { try engine.install(chain: small) }
    }
}
