import Atomics

/// One effect's place in a chain: the effect, its bypass (a 10 ms crossfade
/// to the dry signal, delayed by the effect's latency, while the effect keeps
/// running so tails ring on), and the guard that takes it out when it
/// produces NaN, infinity or a blow-up.
public final class EffectSlot: @unchecked Sendable {
    public let effect: AudioEffect
    private let bypassFlag = UnsafeAtomic<Bool>.create(false)
    private let faultFlag = UnsafeAtomic<Bool>.create(false)
    /// The effect without reference counting, for the audio thread (`effect` keeps it alive).
    private let effectView: Unmanaged<AudioEffect>
    private let dry: PlanarBuffer
    private let dryDelay: DelayLine
    // Views for the audio thread, without reference counting (the properties above keep them alive).
    private let dryChannels: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    private let dryDelayView: Unmanaged<DelayLine>
    private let channels: Int
    private var mix: Float = 0  // 0 = the effect, 1 = dry
    private let mixStep: Float
    /// Beyond this (+60 dBFS) a plugin has blown up, not just turned up.
    static let blowUpLevel: Float = 1000

    public init(_ effect: AudioEffect, bypass: Bool = false) {
        self.effect = effect
        effectView = Unmanaged.passUnretained(effect)
        dry = PlanarBuffer(channels: effect.channels, capacity: effect.maxFrames)
        dryDelay = DelayLine(channels: effect.channels, length: effect.latencyFrames)
        dryChannels = dry.pointers
        dryDelayView = Unmanaged.passUnretained(dryDelay)
        channels = effect.channels
        mixStep = Float(1 / (0.010 * effect.sampleRate))
        bypassFlag.store(bypass, ordering: .relaxed)
        mix = bypass ? 1 : 0
    }

    deinit {
        bypassFlag.destroy()
        faultFlag.destroy()
    }

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
        for channel in 0..<channels { copySamples(from: buffers[channel], to: dryChannels[channel], count: frames) }
        // A virtual call the compiler cannot check: each effect's own process is real-time safe by contract,
        // and the allocation-counting test runs plugins and built-ins through here.
        let effect = effectView
        _unsafePerformance { effect._withUnsafeGuaranteedRef { $0.process(buffers, frames: frames) } }
        for channel in 0..<channels {
            let samples = buffers[channel]
            for frame in 0..<frames where !(abs(samples[frame]) <= Self.blowUpLevel) {  // false for NaN too
                faultFlag.store(true, ordering: .relaxed)
                for restore in 0..<channels { copySamples(from: dryChannels[restore], to: buffers[restore], count: frames) }
                return
            }
        }
        let dryChannels = dryChannels
        dryDelayView._withUnsafeGuaranteedRef { $0.process(dryChannels, frames: frames) }
        let target: Float = bypassFlag.load(ordering: .relaxed) ? 1 : 0
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
}
