import Atomics

/// One effect's place in a chain: the effect, its bypass (a 10 ms crossfade
/// to the dry signal, delayed by the effect's latency, while the effect keeps
/// running so tails ring on), and the guard that mutes the block in which it
/// produces NaN, infinity or a blow-up and takes it out of the signal from then on.
/// Unchecked Sendable: `mix`, the dry buffer and delay line are process()'s own (audio thread); bypass, fault and settled are atomics.
public final class EffectSlot: @unchecked Sendable {
    public let effect: AudioEffect
    private let bypassFlag = UnsafeAtomic<Bool>.create(false)
    private let faultFlag = UnsafeAtomic<Bool>.create(false)
    /// Whether the bypass crossfade had reached its end at the last block (published for the control side).
    private let settledFlag = UnsafeAtomic<Bool>.create(true)
    /// The effect without reference counting, for the audio thread (`effect` keeps it alive).
    private let effectView: Unmanaged<AudioEffect>
    private let dry: PlanarBuffer
    private let dryDelay: DelayLine
    // Views for the audio thread, without reference counting (the properties above keep them alive).
    private let dryChannels: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    private let dryDelayView: Unmanaged<DelayLine>
    private let channels: Int
    private let hasLatency: Bool
    /// Checks the effect's output (a chain's master slot does not: its effects' slots have).
    private let guarded: Bool
    private var mix: Float = 0  // 0 = the effect, 1 = dry
    private let mixStep: Float
    /// Beyond this (+60 dBFS) a plugin has blown up, not just turned up.
    public static let blowUpLevel: Float = 1000

    public init(_ effect: AudioEffect, bypass: Bool = false, guarded: Bool = true) {
        self.effect = effect
        effectView = Unmanaged.passUnretained(effect)
        dry = PlanarBuffer(channels: effect.channels, capacity: effect.maxFrames)
        dryDelay = DelayLine(channels: effect.channels, length: effect.latencyFrames)
        dryChannels = dry.pointers
        dryDelayView = Unmanaged.passUnretained(dryDelay)
        channels = effect.channels
        hasLatency = effect.latencyFrames > 0
        self.guarded = guarded
        mixStep = Float(1 / (0.010 * effect.sampleRate))
        bypassFlag.store(bypass, ordering: .relaxed)
        mix = bypass ? 1 : 0
    }

    deinit {
        bypassFlag.destroy()
        faultFlag.destroy()
        settledFlag.destroy()
    }

    /// Whether the last block ended with the bypass crossfade complete (fully in, or fully bypassed).
    /// The control side waits for this before taking an effect out of the signal path.
    public var isSettled: Bool { settledFlag.load(ordering: .acquiring) }

    /// Bypassed: the dry signal passes (after a crossfade); any thread.
    public var bypass: Bool {
        get { bypassFlag.load(ordering: .relaxed) }
        set { bypassFlag.store(newValue, ordering: .relaxed) }
    }

    /// The effect produced NaN, infinity or a blow-up and has been taken out of the signal.
    public var faulted: Bool { faultFlag.load(ordering: .relaxed) }

    /// Puts a faulted effect back (after resetting it); not on the audio thread.
    public func clearFault() {
        effect.reset()
        faultFlag.store(false, ordering: .relaxed)
    }

    /// Real-time safe.
    @_noAllocation
    func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        if faultFlag.load(ordering: .relaxed) { return }
        let target: Float = bypassFlag.load(ordering: .relaxed) ? 1 : 0
        defer { settledFlag.store(mix == target, ordering: .releasing) }
        // The dry signal is needed for a bypass only (now, or later: a delay line is fed all along).
        let latent = hasLatency, fading = mix != 0  // read first: `||` would capture self in its autoclosure
        let needsDry = latent || fading || target != 0
        if needsDry {
            for channel in 0..<channels { copySamples(from: buffers[channel], to: dryChannels[channel], count: frames) }
        }
        // A virtual call the compiler cannot check: each effect's own process is real-time safe by contract,
        // and the allocation-counting test runs plugins and built-ins through here.
        let effect = effectView
        _unsafePerformance { effect._withUnsafeGuaranteedRef { $0.process(buffers, frames: frames) } }
        var sound = true
        if guarded { sound = outputIsSound(buffers, frames: frames) }
        if !sound {
            faultFlag.store(true, ordering: .relaxed)
            for channel in 0..<channels { for frame in 0..<frames { buffers[channel][frame] = 0 } }  // this block muted
            return
        }
        guard needsDry else { return }
        let dryChannels = dryChannels
        dryDelayView._withUnsafeGuaranteedRef { $0.process(dryChannels, frames: frames) }
        if mix == target && target == 0 { return }
        if mix == target {  // fully bypassed
            for channel in 0..<channels { copySamples(from: dryChannels[channel], to: buffers[channel], count: frames) }
            return
        }
        for frame in 0..<frames {
            mix = target > mix ? min(mix + mixStep, target) : max(mix - mixStep, target)
            for channel in 0..<channels {
                let wet = buffers[channel][frame]
                buffers[channel][frame] = wet + (dryChannels[channel][frame] - wet) * mix
            }
        }
    }

    /// No NaN, no infinity, nothing beyond ``blowUpLevel`` (branch-free, so the loop vectorises).
    @_noAllocation
    private func outputIsSound(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) -> Bool {
        let limit: Float = 1000
        var bad: UInt32 = 0
        for channel in 0..<channels {
            let samples = buffers[channel]
            for frame in 0..<frames { bad |= abs(samples[frame]) <= limit ? 0 : 1 }  // NaN compares false
        }
        return bad == 0
    }
}
