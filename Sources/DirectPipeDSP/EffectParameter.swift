/// One adjustable value of an effect: what the panel, the API and presets show and set.
///
/// Built-ins declare theirs; LV2 and LADSPA parameters are read from the plugin
/// (ranges, defaults, units, scale points).
public struct EffectParameter: Sendable, Codable, Equatable {
    /// How a value moves between its bounds.
    public enum Kind: String, Sendable, Codable {
        /// Any value in the range; changes are smoothed.
        case continuous
        /// Whole numbers only; changes apply at once.
        case integer
        /// Off (0) or on (1).
        case toggle
        /// One of ``EffectParameter/choices``.
        case choice
    }

    /// A named value (a plugin's scale point, a built-in's mode).
    public struct Choice: Sendable, Codable, Equatable {
        public var value: Float
        public var label: String
        public init(_ value: Float, _ label: String) {
            self.value = value
            self.label = label
        }
    }

    /// Stable name used in chain files and the API (an LV2 port symbol, a LADSPA port name made symbolic).
    public var symbol: String
    public var name: String
    public var minimum: Float
    public var maximum: Float
    public var defaultValue: Float
    /// A unit symbol ("dB", "Hz", "ms", ":1", "%"), or "" when the value has none.
    public var unit: String
    public var kind: Kind
    /// Shown and swept on a logarithmic scale (frequencies, times).
    public var logarithmic: Bool
    public var choices: [Choice]

    public init(
        _ symbol: String, _ name: String, _ minimum: Float, _ maximum: Float, default defaultValue: Float, unit: String = "",
        kind: Kind = .continuous, logarithmic: Bool = false, choices: [Choice] = []
    ) {
        self.symbol = symbol
        self.name = name
        self.minimum = minimum
        self.maximum = maximum
        self.defaultValue = defaultValue
        self.unit = unit
        self.kind = kind
        self.logarithmic = logarithmic
        self.choices = choices
    }

    /// `value` brought into range (and to a whole number or a choice where the kind asks for one).
    public func clamped(_ value: Float) -> Float {
        guard value.isFinite else { return defaultValue }
        var clamped = min(max(value, min(minimum, maximum)), max(minimum, maximum))
        switch kind {
        case .continuous: break
        case .integer: clamped = clamped.rounded()
        case .toggle: clamped = clamped >= 0.5 ? 1 : 0
        case .choice:
            if let nearest = choices.min(by: { abs($0.value - value) < abs($1.value - value) }) { clamped = nearest.value }
        }
        return clamped
    }
}
