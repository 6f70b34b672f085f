import CDirectPipePluginABI
import DirectPipeDSP
import Foundation
import Synchronization

/// The plugin editors open now, each in its window, and what keeps them and the engine in agreement. Editors run
/// on the plugin thread (``PluginThread``): about 30 times a second it idles them, takes what they reported
/// (a parameter moved: set on the effect at once, so the audio thread sends it to the plugin in its next block,
/// and reported to whoever follows ``reports``), and shows each editor the values that changed elsewhere (the
/// panel, `ctl`, a preset), but not one the user holds in the editor then. The X connection is opened with the
/// first editor and closed with the last.
public final class PluginEditors: Sendable {
    /// What an editor did that the rest of DirectPipe should know.
    public enum Report: Sendable {
        /// The user moved controls in `effect`'s editor: its parameters now have these values (by symbol).
        case changed(AudioEffect, [String: Float])
        /// `effect`'s editor was closed from its window (or by the plugin).
        case closed(AudioEffect)
    }

    /// Every report, in order, for the life of this object.
    public let reports: AsyncStream<Report>
    private let continuation: AsyncStream<Report>.Continuation
    /// The effects whose editors are open (readable from any thread without waiting for the plugin thread).
    private let openEffects = Mutex<Set<ObjectIdentifier>>([])
    private let open: PluginThreadOwned
    /// Editor rounds run so far (idle, reports taken, values shown): what a test waits on instead of the clock.
    let rounds = Atomic<Int>(0)

    public init() {
        (reports, continuation) = AsyncStream.makeStream(of: Report.self)
        open = PluginThreadOwned()
    }

    deinit {
        closeAll()
        continuation.finish()
    }

    /// Whether `effect` has an editor DirectPipe can open.
    public static func hasEditor(_ effect: AudioEffect) -> Bool { (effect as? PluginEffect)?.hasEditor ?? false }

    /// Whether `effect`'s editor is open now.
    public func isOpen(_ effect: AudioEffect) -> Bool { openEffects.withLock { $0.contains(ObjectIdentifier(effect)) } }

    /// How many editors are open.
    public var count: Int { openEffects.withLock { $0.count } }

    /// Opens `effect`'s editor in a window titled `title` (nothing if it is open already).
    public func open(_ effect: AudioEffect, title: String) throws(EditorError) {
        guard let plugin = effect as? PluginEffect, plugin.hasEditor else {
            if let reason = (effect as? PluginEffect)?.editorUnavailable { throw .failed(effect: effect.info.id, reason: reason) }
            throw .none(effect: effect.info.id)
        }
        try PluginThread.shared.run { () throws(EditorError) in
            guard open.editors[ObjectIdentifier(plugin)] == nil else { return }
            // A connection opened for an editor that then fails is closed again as it goes out of scope.
            let display: EditorDisplay
            if let opened = open.display { display = opened } else { display = try EditorDisplay.open() }
            let editor = try plugin.openEditor(on: display, title: title)
            if open.display == nil { start(display) }
            open.editors[ObjectIdentifier(plugin)] = editor
            openEffects.withLock { _ = $0.insert(ObjectIdentifier(plugin)) }
            showChanges(editor)
        }
    }

    /// Closes `effect`'s editor; false when none was open.
    @discardableResult
    public func close(_ effect: AudioEffect) -> Bool {
        PluginThread.shared.run { closeOnPluginThread(ObjectIdentifier(effect), told: false) }
    }

    /// Closes the editors of effects not in `effects` (after the chain changed: an effect removed or replaced).
    public func closeAll(except effects: [AudioEffect]) {
        let keep = Set(effects.map(ObjectIdentifier.init))
        guard openEffects.withLock({ !$0.isSubset(of: keep) }) else { return }
        PluginThread.shared.run {
            for id in Array(open.editors.keys) where !keep.contains(id) { _ = closeOnPluginThread(id, told: false) }
        }
    }

    /// Closes every editor (the host stops).
    public func closeAll() {
        guard count > 0 else { return }
        PluginThread.shared.run { for id in Array(open.editors.keys) { _ = closeOnPluginThread(id, told: false) } }
    }

    // MARK: On the plugin thread

    private func start(_ display: EditorDisplay) {
        open.display = display
        open.watch = PluginThread.shared.watch(display.fileDescriptor, events: Int16(POLLIN)) { [unowned self] _ in windowEvents() }
        open.timer = PluginThread.shared.addTimer(every: 30) { [unowned self] in tick() }
    }

    private func stop() {
        if let watch = open.watch { PluginThread.shared.remove(watch) }
        if let timer = open.timer { PluginThread.shared.remove(timer) }
        open.watch = nil
        open.timer = nil
        open.display = nil  // closes the connection
    }

    private func closeOnPluginThread(_ id: ObjectIdentifier, told: Bool) -> Bool {
        guard let editor = open.editors.removeValue(forKey: id) else { return false }
        editor.closePlugin()
        editor.window.destroy()
        openEffects.withLock { _ = $0.remove(id) }
        if told { continuation.yield(.closed(editor.effect)) }
        if open.editors.isEmpty { stop() }
        return true
    }

    private func windowEvents() {
        while let event = open.display?.nextEvent() {
            guard let (id, editor) = open.editors.first(where: { $0.value.window.id == event.window }) else { continue }
            switch Int(event.kind) {
            case Int(DP_X11_CLOSE_ASKED.rawValue):
                _ = closeOnPluginThread(id, told: true)
            case Int(DP_X11_RESIZED.rawValue):
                if editor.window.userResized(width: Int(event.width), height: Int(event.height)) {
                    editor.windowResized(width: Int(event.width), height: Int(event.height))
                }
            default: break
            }
        }
    }

    private func tick() {
        windowEvents()
        for (id, editor) in open.editors {
            var changes: [String: Float] = [:]
            var closing = !editor.idle()
            while let event = editor.queue.pop() {
                switch Int(event.kind) {
                case Int(DP_EDITOR_VALUE.rawValue):
                    guard let (index, value) = editor.parameter(forEvent: event.index, value: event.value) else { continue }
                    let values = editor.effect.values
                    values.set(index, value)
                    editor.shown[index] = values.value(index)
                    changes[values.parameters[index].symbol] = values.value(index)
                case Int(DP_EDITOR_GESTURE_BEGIN.rawValue):
                    if let (index, _) = editor.parameter(forEvent: event.index, value: 0) { editor.held.insert(index) }
                case Int(DP_EDITOR_GESTURE_END.rawValue):
                    if let (index, _) = editor.parameter(forEvent: event.index, value: 0) { editor.held.remove(index) }
                case Int(DP_EDITOR_RESIZE.rawValue):
                    editor.resizeRequested(width: Int(event.index), height: Int(event.value))
                case Int(DP_EDITOR_CLOSE.rawValue):
                    closing = true
                default: break
                }
            }
            if !changes.isEmpty { continuation.yield(.changed(editor.effect, changes)) }
            if closing {
                _ = closeOnPluginThread(id, told: true)
            } else {
                showChanges(editor)
            }
        }
        rounds.add(1, ordering: .releasing)
    }

    /// The values `effect`'s editor was last shown or reported (nil: none open); for tests.
    func shownValues(_ effect: AudioEffect) -> [Float]? { PluginThread.shared.run { open.editors[ObjectIdentifier(effect)]?.shown } }

    /// Shows the editor each value that changed elsewhere since it last saw it (every value, the first time).
    private func showChanges(_ editor: PluginEditor) {
        let values = editor.effect.values
        for index in 0..<values.count where !editor.held.contains(index) {
            let value = values.value(index)
            if value != editor.shown[index] {
                editor.shown[index] = value
                editor.show(parameter: index, value: value)
            }
        }
    }
}

/// What ``PluginEditors`` keeps on the plugin thread.
/// Unchecked Sendable: touched on the plugin thread only.
private final class PluginThreadOwned: @unchecked Sendable {
    var editors: [ObjectIdentifier: PluginEditor] = [:]
    var display: EditorDisplay?
    var watch: Int?
    var timer: Int?
}
