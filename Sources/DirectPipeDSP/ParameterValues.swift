import Atomics

/// An effect's parameter values, set from any thread and read by the audio
/// thread at the start of each block: one relaxed atomic word per parameter,
/// no lock, no allocation after init.
/// Unchecked Sendable: `words` is raw memory it owns (freed in deinit), only ever accessed as UnsafeAtomic; `parameters` is immutable.
public final class ParameterValues: @unchecked Sendable {
    public let parameters: [EffectParameter]
    private let words: UnsafeMutablePointer<UnsafeAtomic<UInt32>.Storage>
    /// Bumped on every change, so the audio thread can skip unchanged blocks.
    private let generation = UnsafeAtomic<UInt32>.create(0)

    public init(_ parameters: [EffectParameter]) {
        self.parameters = parameters
        words = .allocate(capacity: max(parameters.count, 1))
        for (index, parameter) in parameters.enumerated() {
            (words + index).initialize(to: .init(parameter.defaultValue.bitPattern))
        }
    }

    deinit {
        words.deallocate()
        generation.destroy()
    }

    public var count: Int { parameters.count }

    /// The index of the parameter called `symbol`, if any.
    public func index(of symbol: String) -> Int? { parameters.firstIndex { $0.symbol == symbol } }

    /// Sets a value (clamped to the parameter's range); safe from any thread.
    public func set(_ index: Int, _ value: Float) {
        guard parameters.indices.contains(index) else { return }
        atomic(index).store(parameters[index].clamped(value).bitPattern, ordering: .relaxed)
        generation.wrappingIncrement(ordering: .releasing)
    }

    /// The current value; safe from any thread, real-time safe.
    @inline(__always) @_noAllocation
    public func value(_ index: Int) -> Float { Float(bitPattern: atomic(index).load(ordering: .relaxed)) }

    /// Changes so far (wrapping); real-time safe.
    public var changeCount: UInt32 {
        @inline(__always) @_noAllocation get { generation.load(ordering: .acquiring) }
    }

    /// Every value by symbol, for chain files and presets.
    public var snapshot: [String: Float] {
        Dictionary(parameters.indices.map { (parameters[$0].symbol, value($0)) }, uniquingKeysWith: { first, _ in first })
    }

    @inline(__always) @_noAllocation
    private func atomic(_ index: Int) -> UnsafeAtomic<UInt32> { UnsafeAtomic(at: words + index) }
}
