/// Effects in series, as the audio thread runs them: built off the audio
/// thread, then handed over whole (see the engine's chain swap).
///
/// ``process(_:frames:)`` allocates nothing and takes no lock: each slot
/// guards against NaN and blow-ups, bypasses crossfade, and a master bypass
/// crossfades to the input delayed by the chain's latency.
public final class EffectChain: Sendable {
    public let slots: [EffectSlot]
    public let channels: Int
    public let sampleRate: Double
    public let maxFrames: Int
    /// The whole chain's latency in frames (the sum of its effects').
    public let latencyFrames: Int
    /// The chain's own master bypass, as a slot around a pass-through.
    private let master: EffectSlot
    private let masterView: Unmanaged<EffectSlot>

    public convenience init(_ effects: [AudioEffect], channels: Int, sampleRate: Double, maxFrames: Int, bypassed: [Bool] = []) {
        self.init(
            slots: effects.enumerated().map { EffectSlot($1, bypass: bypassed.indices.contains($0) && bypassed[$0]) }, channels: channels,
            sampleRate: sampleRate, maxFrames: maxFrames)
    }

    /// A chain of existing slots: an edited chain keeps the slots (effects, their state and bypass) that stay.
    /// A slot must not run in two chains at once (see the engine's hard switch).
    public init(slots: [EffectSlot], channels: Int, sampleRate: Double, maxFrames: Int) {
        self.slots = slots
        self.channels = channels
        self.sampleRate = sampleRate
        self.maxFrames = maxFrames
        latencyFrames = slots.reduce(0) { $0 + $1.effect.latencyFrames }
        master = EffectSlot(
            ChainBody(slots: slots, channels: channels, sampleRate: sampleRate, maxFrames: maxFrames, latency: latencyFrames), guarded: false)
        masterView = Unmanaged.passUnretained(master)
    }

    /// Master bypass: the input passes unprocessed (the effects keep running, for their tails); any thread.
    public var bypass: Bool {
        get { master.bypass }
        set { master.bypass = newValue }
    }

    /// Effects taken out because they produced NaN, infinity or a blow-up.
    public var faultedEffects: [Int] { slots.indices.filter { slots[$0].faulted } }

    /// Processes every channel in place. Real-time safe.
    @_noAllocation
    public func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        masterView._withUnsafeGuaranteedRef { $0.process(buffers, frames: frames) }
    }
}

/// The chain's slots as one effect, so the master bypass is a slot like any other.
/// Unchecked Sendable: AudioEffect's contract; `views` is raw memory filled in init, then only read, and freed in deinit.
private final class ChainBody: AudioEffect, @unchecked Sendable {
    private let slots: [EffectSlot]
    /// The slots without reference counting, for the audio thread (`slots` keeps them alive).
    private let views: UnsafeMutablePointer<Unmanaged<EffectSlot>>
    private let count: Int
    private let latency: Int

    init(slots: [EffectSlot], channels: Int, sampleRate: Double, maxFrames: Int, latency: Int) {
        self.slots = slots
        count = slots.count
        views = .allocate(capacity: max(slots.count, 1))
        for (index, slot) in slots.enumerated() { (views + index).initialize(to: .passUnretained(slot)) }
        self.latency = latency
        super.init(
            info: EffectInfo(id: "chain", name: "Chain", format: .builtin, audioInputs: channels, audioOutputs: channels, parameters: []),
            channels: channels, sampleRate: sampleRate, maxFrames: maxFrames)
    }

    deinit { views.deallocate() }

    override var latencyFrames: Int { latency }

    @_noAllocation
    override func process(_ buffers: UnsafePointer<UnsafeMutablePointer<Float>>, frames: Int) {
        for index in 0..<count { views[index]._withUnsafeGuaranteedRef { $0.process(buffers, frames: frames) } }
    }
}
