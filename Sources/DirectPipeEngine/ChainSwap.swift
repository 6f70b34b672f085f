import Atomics
import DirectPipeDSP

/// Hands a new effect chain to the audio thread and takes the old one back,
/// without a lock: the control side parks the new chain in `pending`; the
/// audio thread takes it at the start of a period and parks the one it
/// replaced in a `retired` slot; the control side frees retired chains. The
/// audio thread never frees (or allocates) a chain.
/// Unchecked Sendable: `running` is the audio thread's alone; `pending` and the retired slots (raw, freed in deinit) are atomic words.
final class ChainSwap: @unchecked Sendable {
    /// A retained chain not yet taken by the audio thread (0 for none).
    private let pending = UnsafeAtomic<UInt>.create(0)
    /// Chains the audio thread has let go of, for the control side to release.
    private let retired: UnsafeMutablePointer<UnsafeAtomic<UInt>.Storage>
    static let retiredSlots = 8
    /// A tag in `pending`'s low bit (objects are 16-byte aligned): switch without a crossfade.
    static let hardSwitch: UInt = 1
    private let hardSwitchBit = ChainSwap.hardSwitch
    /// ``retiredSlots`` as a stored value: the audio thread touches no type metadata.
    private let retiredCount = ChainSwap.retiredSlots
    /// The chain the audio thread runs (touched by the audio thread only, after init).
    private var running: Unmanaged<EffectChain>?

    /// Audio thread: the chain it runs now.
    @_noAllocation
    func currentChain() -> Unmanaged<EffectChain>? { running }

    init(_ chain: EffectChain?) {
        running = chain.map { Unmanaged.passRetained($0) }
        retired = .allocate(capacity: Self.retiredSlots)
        retired.initialize(repeating: .init(0), count: Self.retiredSlots)
    }

    deinit {
        collectRetired()
        running?.release()
        if let chain = unmanagedChain(pending.exchange(0, ordering: .acquiring) & ~Self.hardSwitch) { chain.release() }
        pending.destroy()
        retired.deallocate()
    }

    /// Control side: `chain` goes live at the start of the next period, crossfaded from the old one over
    /// that period, or switched to at once (`crossfade` false: for chains that share slots, which must not
    /// run twice in one period). A chain given earlier that never went live is released here, as are
    /// chains the audio thread has retired.
    func install(_ chain: EffectChain, crossfade: Bool = true) {
        let bits = UInt(bitPattern: Unmanaged.passRetained(chain).toOpaque()) | (crossfade ? 0 : Self.hardSwitch)
        if let unused = unmanagedChain(pending.exchange(bits, ordering: .acquiringAndReleasing) & ~Self.hardSwitch) { unused.release() }
        collectRetired()
    }

    /// Control side: releases the chains the audio thread has replaced.
    func collectRetired() {
        for slot in 0..<Self.retiredSlots {
            if let chain = unmanagedChain(slotAtomic(slot).exchange(0, ordering: .acquiring)) { chain.release() }
        }
    }

    /// Audio thread: the chain to switch to, if one is waiting; it becomes ``current``. The outgoing
    /// chain is returned for a crossfade and must then be handed to ``retire(_:)``.
    @inline(__always) @_noAllocation
    func takePending() -> (incoming: Unmanaged<EffectChain>, outgoing: Unmanaged<EffectChain>?, crossfade: Bool)? {
        guard pending.load(ordering: .relaxed) != 0 else { return nil }
        let bits = pending.exchange(0, ordering: .acquiring)
        guard let incoming = unmanagedChain(bits & ~hardSwitchBit) else { return nil }
        let outgoing = running
        running = incoming
        return (incoming, outgoing, bits & hardSwitchBit == 0)
    }

    /// Control side: whether a chain given to ``install(_:crossfade:)`` has not gone live yet.
    var hasPending: Bool { pending.load(ordering: .acquiring) != 0 }

    /// Audio thread: parks a chain it no longer runs for the control side to release. If every slot is
    /// full (the control side stopped collecting) the chain is kept alive rather than freed here.
    @inline(__always) @_noAllocation
    func retire(_ chain: Unmanaged<EffectChain>) {
        let bits = UInt(bitPattern: chain.toOpaque())
        for slot in 0..<retiredCount where slotAtomic(slot).compareExchange(expected: 0, desired: bits, ordering: .releasing).exchanged {
            return
        }
    }

    @inline(__always) @_noAllocation
    private func slotAtomic(_ slot: Int) -> UnsafeAtomic<UInt> { UnsafeAtomic(at: retired + slot) }

}

/// The chain a word of ``ChainSwap`` holds, if any.
@inline(__always) @_noAllocation
private func unmanagedChain(_ bits: UInt) -> Unmanaged<EffectChain>? {
    guard let pointer = UnsafeRawPointer(bitPattern: bits) else { return nil }
    return Unmanaged.fromOpaque(pointer)
}
