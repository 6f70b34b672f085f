import CDirectPipeShm
import DirectPipeDSP
import DirectPipeEngine
import Foundation
import Synchronization
import Testing

/// Editing the running chain: what stays keeps its instance, parameters change in place, effects come and
/// go with fades, and the output has no gap or step — while another thread runs the engine period by period.
@Suite(.serialized) struct ChainEditorTests {
    /// The engine on a thread of its own, fed a 200 Hz tone at −6 dBFS, its pipe output kept.
    final class Runner: @unchecked Sendable {
        let engine: Engine
        private let stop = Atomic<Bool>(false)
        private let lock = NSLock()
        private var output: [Float] = []
        private var thread: Thread?

        init(_ engine: Engine) { self.engine = engine }

        func start() {
            let thread = Thread { [self] in
                var phase = 0
                var input = [Float](repeating: 0, count: 128)
                while !stop.load(ordering: .relaxed) {
                    for frame in 0..<64 {
                        let value = 0.5 * Float(sin(2 * Double.pi * 200 * Double(phase + frame) / 48000))
                        input[frame * 2] = value
                        input[frame * 2 + 1] = value
                    }
                    phase += 64
                    input.withUnsafeBufferPointer { engine.process(input: $0.baseAddress!, frames: 64, captureTimeNs: dp_monotonic_ns()) }
                    let block = Array(engine.output(.pipe))
                    lock.withLock { output += stride(from: 0, to: block.count, by: 2).map { block[$0] } }
                    usleep(300)  // about real time's pace, so fades span several periods
                }
            }
            self.thread = thread
            thread.start()
        }

        func finish() -> [Float] {
            stop.store(true, ordering: .relaxed)
            while thread?.isFinished == false { usleep(1000) }
            return lock.withLock { output }
        }
    }

    func factory(_ entry: ChainDescription.Effect) throws -> AudioEffect {
        let effect = try BuiltinEffects.make(entry.id, channels: 2, sampleRate: 48000, maxFrames: EngineFormat.maxPeriodFrames)
        for (symbol, value) in entry.parameters { try effect.set(symbol, value) }
        effect.prepare()
        return effect
    }

    func chain(_ description: ChainDescription) throws -> EffectChain {
        EffectChain(try description.effects.map(factory), channels: 2, sampleRate: 48000, maxFrames: EngineFormat.maxPeriodFrames)
    }

    /// The EQ added, moved and removed here halves the tone's level (−6 dB at 200 Hz): switched in or out
    /// without its fade, the signal would step by a tenth of full scale.
    @Test func editsKeepWhatStaysAndNeverStepTheSignal() throws {
        let start = ChainDescription(effects: [.init(id: "gain", parameters: ["gain": -6])])
        let initial = try chain(start)
        let engine = try Engine(format: EngineFormat(periodFrames: 64), pipe: nil, chain: initial)
        let editor = ChainEditor(engine: engine, chain: initial, description: start)
        let gain = initial.slots[0].effect
        let runner = Runner(engine)
        runner.start()
        defer { _ = runner.finish() }
        usleep(100_000)

        var changes = try editor.apply(ChainDescription(effects: [.init(id: "gain", parameters: ["gain": -8])]), make: factory)
        #expect(changes == .init(parameters: 1) && editor.chain === initial, "a parameter: no new chain")
        usleep(50_000)

        changes = try editor.apply(
            ChainDescription(effects: [.init(id: "gain", parameters: ["gain": -8]), .init(id: "eq", parameters: ["b3_freq": 200, "b3_gain": -6])]),
            make: factory)
        #expect(changes.added == 1 && changes.removed == 0 && changes.moved == 0, "\(changes)")
        #expect(editor.chain.slots[0].effect === gain, "the gain kept its instance")
        usleep(50_000)

        changes = try editor.apply(
            ChainDescription(effects: [.init(id: "eq", parameters: ["b3_freq": 200, "b3_gain": -6]), .init(id: "gain", parameters: ["gain": -8])]),
            make: factory)
        #expect(changes.moved == 1 && changes.added == 0, "\(changes)")
        #expect(editor.chain.slots.contains { $0.effect === gain })
        usleep(50_000)

        changes = try editor.apply(ChainDescription(effects: [.init(id: "gain", parameters: ["gain": -6])]), make: factory)
        #expect(changes.removed == 1 && changes.parameters == 1, "\(changes)")
        #expect(editor.chain.slots.count == 1 && editor.chain.slots[0].effect === gain)

        #expect(throws: EffectError.self) {
            try editor.apply(ChainDescription(effects: [.init(id: "gain", parameters: ["volume": 1])]), make: factory)
        }
        #expect(editor.chain.slots.count == 1, "a bad edit changes nothing")
        usleep(100_000)

        let output = runner.finish()
        #expect(output.count > 48000 / 2)
        let natural = Float(2 * Double.pi * 200 / 48000) * 0.5
        let steps = zip(output.dropFirst(), output).map { abs($0 - $1) }
        #expect(steps.max()! < natural * 1.2, "largest step \(steps.max()!), the tone's own \(natural)")
        let tail = output.suffix(4800).map(abs).max()!
        #expect(abs(tail - 0.25) < 0.005, "back to −6 dB: \(tail)")
    }

    /// A gate's lookahead sets its latency, so the gate takes it in only when built: asking another value builds a
    /// new gate (faded in) and the chain's latency follows; its other parameters still change in place.
    @Test func aParameterThatSetsLatencyBuildsTheEffectAnew() throws {
        let start = ChainDescription(effects: [.init(id: "gate", parameters: ["threshold": -60])])
        let initial = try chain(start)
        #expect(initial.latencyFrames == 144, "the default lookahead, 3 ms")
        let engine = try Engine(format: EngineFormat(periodFrames: 64), pipe: nil, chain: initial)
        let editor = ChainEditor(engine: engine, chain: initial, description: start)
        let runner = Runner(engine)
        runner.start()
        defer { _ = runner.finish() }

        var changes = try editor.apply(ChainDescription(effects: [.init(id: "gate", parameters: ["threshold": -50])]), make: factory)
        #expect(changes == .init(parameters: 1) && editor.chain === initial, "the threshold: in place")
        let lowest = ChainDescription(effects: [.init(id: "gate", parameters: ["threshold": -50, "lookahead": 0])])
        changes = try editor.apply(lowest, make: factory)
        #expect(changes.added == 1 && changes.removed == 1, "\(changes)")
        let rebuilt = editor.chain.slots[0].effect
        #expect(rebuilt !== initial.slots[0].effect && editor.chain.latencyFrames == 0)
        #expect(rebuilt.values.value(rebuilt.values.index(of: "threshold")!) == -50, "built with the other values asked")
        #expect(try editor.apply(lowest, make: factory) == .init(), "the same lookahead again: nothing to do")
        changes = try editor.apply(ChainDescription(effects: [.init(id: "gate", parameters: ["lookahead": 10])]), make: factory)
        #expect(changes.added == 1 && editor.chain.latencyFrames == 480, "10 ms at 48 kHz")
    }

    @Test func theLongestRunInOrderIsWhatNeedNotFade() {
        #expect(ChainEditor.longestIncreasingRun([0, 1, 2]) == [0, 1, 2])
        #expect(ChainEditor.longestIncreasingRun([1, 0]).count == 1)
        #expect(ChainEditor.longestIncreasingRun([2, 0, 1, 3]) == [0, 1, 3])
        #expect(ChainEditor.longestIncreasingRun([]) == [])
    }
}
