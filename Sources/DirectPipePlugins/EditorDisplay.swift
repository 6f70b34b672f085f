import CDirectPipePluginABI

/// DirectPipe's connection to the X server the editors' windows are on: opened when the first editor opens and
/// closed when the last one closes (so a host without editors open holds no X client), watched by the plugin
/// thread, which is the only one that uses it.
/// Unchecked Sendable: used on the plugin thread only.
final class EditorDisplay: @unchecked Sendable {
    let x11: OpaquePointer

    /// Opens `$DISPLAY` (on the plugin thread).
    static func open() throws(EditorError) -> EditorDisplay { try EditorDisplay() }

    private init() throws(EditorError) {
        var error = [CChar](repeating: 0, count: 512)
        guard let x11 = dp_x11_open(nil, &error, Int32(error.count)) else {
            throw .noDisplay(String(nulTerminated: error))
        }
        self.x11 = x11
    }

    deinit { dp_x11_close(x11) }

    var fileDescriptor: Int32 { dp_x11_fd(x11) }

    /// A window titled `title` of `width` x `height` (not shown yet); fixed in size unless `resizable`.
    func makeWindow(title: String, width: Int, height: Int, resizable: Bool) throws(EditorError) -> EditorWindow {
        let id = dp_x11_window_create(x11, title, Int32(width), Int32(height), resizable)
        guard id != 0 else { throw .noDisplay("the X server refused a window") }
        return EditorWindow(display: self, id: id, width: width, height: height, resizable: resizable)
    }

    /// The next event for a window of ours, if any is waiting.
    func nextEvent() -> dp_x11_event? {
        var event = dp_x11_event()
        return dp_x11_next_event(x11, &event) ? event : nil
    }
}

/// A top-level window of DirectPipe's that a plugin's editor is embedded in.
final class EditorWindow {
    let display: EditorDisplay
    /// The X11 window id, which plugins are given as their parent.
    let id: UInt
    private(set) var width: Int
    private(set) var height: Int
    var resizable: Bool

    init(display: EditorDisplay, id: UInt, width: Int, height: Int, resizable: Bool) {
        self.display = display
        self.id = id
        self.width = width
        self.height = height
        self.resizable = resizable
    }

    func show() { dp_x11_window_show(display.x11, id) }

    /// Sizes the window to `width` x `height` (what the plugin asked for).
    func resize(width: Int, height: Int) {
        guard width > 0, height > 0, width != self.width || height != self.height else { return }
        self.width = width
        self.height = height
        dp_x11_window_resize(display.x11, id, Int32(width), Int32(height), resizable)
    }

    /// Records a size the user gave the window; true when it is new.
    func userResized(width: Int, height: Int) -> Bool {
        guard width != self.width || height != self.height else { return false }
        self.width = width
        self.height = height
        return true
    }

    func destroy() { dp_x11_window_destroy(display.x11, id) }
}
