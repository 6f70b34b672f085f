import CDirectPipePluginABI
import DirectPipeDSP

/// A plugin's own editor, open in a window of DirectPipe's. One subclass per format does what the format asks of a
/// host; everything here runs on the plugin thread (``PluginThread``), which ``PluginEditors`` drives.
class PluginEditor {
    let effect: PluginEffect
    let window: EditorWindow
    /// Where the plugin's editor reports: parameters moved, gestures, sizes asked for.
    let queue: EditorQueue
    /// Per parameter, the value the editor last showed or reported (NaN before the first).
    var shown: [Float]
    /// The parameters the user holds in the editor now (between a gesture's begin and end): the panel's changes
    /// to them wait until the user lets go, so the control does not jump under the mouse.
    var held: Set<Int> = []

    init(effect: PluginEffect, window: EditorWindow, queue: EditorQueue) {
        self.effect = effect
        self.window = window
        self.queue = queue
        shown = [Float](repeating: .nan, count: effect.values.count)
    }

    /// Runs the editor's idle work (VST2's `effEditIdle`, LV2's idle interface); formats that register timers
    /// and descriptors with the plugin thread do nothing here. Returns false when the editor asks to close.
    func idle() -> Bool { true }

    /// Shows a value of parameter `index` that came from elsewhere (the panel, `ctl`, a preset, a slot).
    func show(parameter index: Int, value: Float) {}

    /// The effect's parameter and value that a value event of the format's stands for (its parameter index or id,
    /// its value as the format gives it), or nil for one that is none of the effect's parameters.
    func parameter(forEvent index: UInt32, value: Double) -> (index: Int, value: Float)? { nil }

    /// The user resized the window to `width` x `height`: tell the plugin.
    func windowResized(width: Int, height: Int) {}

    /// The plugin asked for `width` x `height`.
    func resizeRequested(width: Int, height: Int) { window.resize(width: width, height: height) }

    /// Closes the plugin's side of the editor; its window is destroyed after.
    func closePlugin() {}
}

/// The queue a plugin's editor reports through (``dp_editor_queue``), owned here.
/// Unchecked Sendable: the C queue is lock-free for many producers; only the plugin thread pops.
final class EditorQueue: @unchecked Sendable {
    let pointer: UnsafeMutablePointer<dp_editor_queue>

    init() {
        pointer = .allocate(capacity: 1)
        dp_editor_queue_init(pointer)
    }

    deinit { pointer.deallocate() }

    func pop() -> dp_editor_event? {
        var event = dp_editor_event()
        return dp_editor_queue_pop(pointer, &event) ? event : nil
    }

    /// Forgets what is waiting (reports from before an editor opened).
    func drain() { while pop() != nil {} }
}
