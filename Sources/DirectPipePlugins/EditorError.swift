/// Why a plugin's editor cannot open (each says what is missing and, where it can, how to get it).
public enum EditorError: Error, Equatable, CustomStringConvertible {
    /// The effect has no editor of its own (a built-in, LADSPA, or a plugin without one): the panel's controls are
    /// its editor.
    case none(effect: String)
    /// No X display to open a window on.
    case noDisplay(String)
    /// The plugin's editor would not open.
    case failed(effect: String, reason: String)

    public var description: String {
        switch self {
        case .none(let effect): "\(effect) has no editor of its own (its controls are in the panel and `directpipe ctl param`)"
        case .noDisplay(let reason): "cannot open an editor: \(reason)"
        case .failed(let effect, let reason): "\(effect)'s editor: \(reason) (its controls are in the panel and `directpipe ctl param`)"
        }
    }
}
