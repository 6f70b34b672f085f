import DirectPipeDSP
import Foundation
import Synchronization

/// Changes the running chain to a new description without a click, keeping
/// what stays: an effect that is still there keeps its instance (its tails,
/// envelopes, plugin state) and only has its parameters and bypass updated.
///
/// - parameters or bypass only: set in place, smoothed by the effects; no swap;
/// - effects added, removed, moved or replaced: the ones leaving (or moving)
///   are bypassed first and their 10 ms crossfade awaited, then the engine
///   switches at a period boundary to a chain of the same slots plus the new
///   ones (which start bypassed), then those fade in. Removing an effect with
///   latency shortens the chain's delay at that moment (its dry path is gone).
///
/// Control side only; calls are serialised. A description that cannot be
/// built (an unknown effect or parameter) changes nothing.
public final class ChainEditor: Sendable {
    /// What an edit did.
    public struct Changes: Equatable, Sendable, CustomStringConvertible {
        public var parameters = 0, bypasses = 0, added = 0, removed = 0, moved = 0

        public init(parameters: Int = 0, bypasses: Int = 0, added: Int = 0, removed: Int = 0, moved: Int = 0) {
            (self.parameters, self.bypasses, self.added, self.removed, self.moved) = (parameters, bypasses, added, removed, moved)
        }
        public var switchedChain: Bool { added + removed + moved > 0 }
        public var description: String {
            "\(parameters) parameter\(parameters == 1 ? "" : "s"), \(bypasses) bypass\(bypasses == 1 ? "" : "es"), "
                + "\(added) added, \(removed) removed, \(moved) moved"
        }
    }

    /// What an edit changes: the chain running and the entries it was built from. Locked for a whole edit.
    private struct State {
        var running: EffectChain
        var entries: [ChainDescription.Effect]
    }

    private let engine: Engine
    private let state: Mutex<State>
    /// The longest a bypass fade is waited for (it takes 10 ms and a period; an engine that is not
    /// running never finishes one).
    private let fadeTimeout: TimeInterval = 0.5

    /// `chain` is the engine's chain, built from `description`.
    public init(engine: Engine, chain: EffectChain, description: ChainDescription) {
        self.engine = engine
        state = Mutex(State(running: chain, entries: description.effects))
    }

    /// The chain as it runs now.
    public var chain: EffectChain { state.withLock { $0.running } }

    /// Makes the running chain `description`'s. `make` builds a new effect (ready to go live) for an entry
    /// that does not match one running (same id, same saved state).
    public func apply(_ description: ChainDescription, make: (ChainDescription.Effect) throws -> AudioEffect) throws -> Changes {
        try state.withLock { state in try apply(description, make: make, to: &state) }
    }

    /// False when `entry` asks `effect` for another value of a parameter it takes in only when built (its lookahead):
    /// then a new effect is built with it.
    private static func keepsLatency(_ effect: AudioEffect, _ entry: ChainDescription.Effect) -> Bool {
        effect.latencySettingParameters.allSatisfy { index in
            let parameter = effect.values.parameters[index]
            guard let asked = entry.parameters[parameter.symbol] else { return true }
            return parameter.clamped(asked) == effect.values.value(index)
        }
    }

    private func apply(_ description: ChainDescription, make: (ChainDescription.Effect) throws -> AudioEffect, to state: inout State) throws
        -> Changes
    {
        let old = state.running.slots
        // Match each new entry with an unused running effect of the same id and state, in order.
        var used = Set<Int>()
        var match: [Int?] = []
        for entry in description.effects {
            let found = old.indices.first {
                !used.contains($0) && state.entries[$0].id == entry.id && state.entries[$0].state == entry.state
                    && Self.keepsLatency(old[$0].effect, entry)
            }
            if let found { used.insert(found) }
            match.append(found)
        }
        // Check every parameter and build every new effect before the running chain is touched.
        for (index, entry) in description.effects.enumerated() {
            guard let from = match[index] else { continue }
            for symbol in entry.parameters.keys where old[from].effect.values.index(of: symbol) == nil {
                throw EffectError.unknownParameter(effect: entry.id, symbol: symbol, known: old[from].effect.info.parameters.map(\.symbol))
            }
        }
        var built: [Int: AudioEffect] = [:]
        for (index, entry) in description.effects.enumerated() where match[index] == nil { built[index] = try make(entry) }

        var changes = Changes()
        let kept = match.compactMap { $0 }
        let staying = Set(Self.longestIncreasingRun(kept))  // kept in their order: no fade needed
        changes.added = built.count
        changes.removed = old.count - kept.count
        changes.moved = kept.count - staying.count
        let structural = changes.switchedChain

        var slots: [EffectSlot] = []
        var fadeIn: [(EffectSlot, Bool)] = []  // slots to bring back, and their bypass in the description
        if structural {
            // Fade out what leaves or moves, and wait for it.
            let leaving = old.indices.filter { !staying.contains($0) }
            for index in leaving { old[index].bypass = true }
            waitUntilSettled(leaving.map { old[$0] })
            for (index, entry) in description.effects.enumerated() {
                if let from = match[index] {
                    slots.append(old[from])
                    if !staying.contains(from) { fadeIn.append((old[from], entry.bypass)) }
                } else {
                    let slot = EffectSlot(built[index]!, bypass: true)
                    slots.append(slot)
                    fadeIn.append((slot, entry.bypass))
                }
            }
            let next = EffectChain(
                slots: slots, channels: state.running.channels, sampleRate: state.running.sampleRate, maxFrames: state.running.maxFrames)
            next.bypass = state.running.bypass
            try engine.install(chain: next, crossfade: false)  // shared slots: a hard switch, at a period boundary
            waitUntilLive()
            state.running = next
        } else {
            slots = old
        }
        // Parameters and bypass, on effects that stayed (new ones were built with theirs).
        for (index, entry) in description.effects.enumerated() {
            guard let from = match[index] else { continue }
            let values = old[from].effect.values
            for (symbol, value) in entry.parameters.sorted(by: { $0.key < $1.key }) {
                guard let parameter = values.index(of: symbol) else { continue }
                if values.value(parameter) != values.parameters[parameter].clamped(value) {
                    values.set(parameter, value)
                    changes.parameters += 1
                }
            }
            if staying.contains(from) || !structural, old[from].bypass != entry.bypass {
                old[from].bypass = entry.bypass
                changes.bypasses += 1
            }
        }
        for (slot, bypass) in fadeIn where !bypass { slot.bypass = false }
        if state.running.bypass != description.bypass {
            state.running.bypass = description.bypass
            changes.bypasses += 1
        }
        state.entries = description.effects
        engine.collectRetiredChains()
        return changes
    }

    private func waitUntilSettled(_ slots: [EffectSlot]) {
        guard !slots.isEmpty else { return }
        let deadline = Date().addingTimeInterval(fadeTimeout)
        // Two looks: the flag set before the bypass was asked for may still read "settled".
        Thread.sleep(forTimeInterval: 0.012)
        while Date() < deadline, !slots.allSatisfy(\.isSettled) { Thread.sleep(forTimeInterval: 0.002) }
    }

    private func waitUntilLive() {
        let deadline = Date().addingTimeInterval(fadeTimeout)
        while Date() < deadline, engine.isChainPending { Thread.sleep(forTimeInterval: 0.001) }
    }

    /// The longest run of `values` that is increasing (kept in order), as values: effects that kept
    /// their relative order need no fade.
    public static func longestIncreasingRun(_ values: [Int]) -> [Int] {
        guard !values.isEmpty else { return [] }
        var length = [Int](repeating: 1, count: values.count), previous = [Int](repeating: -1, count: values.count)
        for i in values.indices {
            for j in 0..<i where values[j] < values[i] && length[j] + 1 > length[i] {
                length[i] = length[j] + 1
                previous[i] = j
            }
        }
        var index = length.indices.max { length[$0] < length[$1] }!
        var run: [Int] = []
        while index >= 0 {
            run.append(values[index])
            index = previous[index]
        }
        return run.reversed()
    }
}
