import CDirectPipePluginABI
import DirectPipeDSP
import Foundation

/// A VST3 plugin's editor: the controller's view embedded in our window (`X11EmbedWindowID`), given a frame that
/// resizes the window when the view asks (`resizeView`) and answers for the host's run loop, whose timers and
/// descriptors are the plugin thread's. What the user moves arrives through the component handler (begin, perform
/// and end edit, normalized); a value set elsewhere is shown through the controller's `setParamNormalized`.
final class VST3Editor: PluginEditor {
    private let instance: OpaquePointer
    private let vst3: VST3Effect
    private let editor: OpaquePointer
    private let loop: VST3EditorLoop

    init(_ effect: VST3Effect, instance: OpaquePointer, display: EditorDisplay, title: String) throws(EditorError) {
        self.instance = instance
        vst3 = effect
        effect.editorQueue.drain()
        let loop = VST3EditorLoop()
        self.loop = loop
        var width: Int32 = 0, height: Int32 = 0, resizable = false
        var error = [CChar](repeating: 0, count: 256)
        var runLoop = loop.functions
        guard let editor = dp_vst3_editor_new(instance, &runLoop, effect.editorQueue.pointer, &width, &height, &resizable, &error, error.count) else {
            throw .failed(effect: effect.info.id, reason: String(nulTerminated: error))
        }
        self.editor = editor
        let window: EditorWindow
        do {
            window = try display.makeWindow(
                title: title, width: width > 0 ? Int(width) : 400, height: height > 0 ? Int(height) : 300, resizable: resizable)
        } catch {
            dp_vst3_editor_close(editor)
            throw error
        }
        window.show()  // mapped before the view embeds in it
        guard dp_vst3_editor_attach(editor, display.x11, window.id) else {
            dp_vst3_editor_close(editor)
            loop.removeAll()
            window.destroy()
            throw .failed(effect: effect.info.id, reason: "its view refused our X11 window")
        }
        super.init(effect: effect, window: window, queue: effect.editorQueue)
    }

    override func parameter(forEvent index: UInt32, value: Double) -> (index: Int, value: Float)? {
        guard let parameter = (0..<vst3.parameterCount).first(where: { vst3.parameterID($0) == index }) else { return nil }
        return (parameter, vst3.plainValue(parameter, normalized: Float(value)))
    }

    override func show(parameter index: Int, value: Float) {
        dp_vst3_instance_set_controller_value(instance, vst3.parameterID(index), Double(vst3.normalizedValue(index, value)))
    }

    override func windowResized(width: Int, height: Int) {
        guard window.resizable else { return }
        dp_vst3_editor_resized(editor, Int32(width), Int32(height))
    }

    /// The frame resized the window and told the view already; this keeps the window's size on record.
    override func resizeRequested(width: Int, height: Int) { _ = window.userResized(width: width, height: height) }

    override func closePlugin() {
        dp_vst3_editor_close(editor)
        loop.removeAll()  // what the plugin left registered
    }
}

/// The host's run loop as VST3 editors on Linux ask for it: each timer or descriptor a plugin's handler registers is
/// one of the plugin thread's, calling the handler back. Used on the plugin thread only.
final class VST3EditorLoop {
    private let timers = PluginThreadRegistrations<UnsafeMutableRawPointer>()
    /// By handler: JUCE registers several descriptors under one handler and unregisters them together.
    private let descriptors = PluginThreadRegistrations<UnsafeMutableRawPointer>()

    /// The C functions that reach this loop.
    var functions: dp_vst3_run_loop {
        dp_vst3_run_loop(
            context: Unmanaged.passUnretained(self).toOpaque(),
            register_timer: { context, handler, milliseconds in
                guard let context, let handler else { return false }
                return Unmanaged<VST3EditorLoop>.fromOpaque(context).takeUnretainedValue().addTimer(handler, Int(milliseconds))
            },
            unregister_timer: { context, handler in
                guard let context, let handler else { return }
                Unmanaged<VST3EditorLoop>.fromOpaque(context).takeUnretainedValue().removeTimer(handler)
            },
            register_fd: { context, handler, fd in
                guard let context, let handler else { return false }
                return Unmanaged<VST3EditorLoop>.fromOpaque(context).takeUnretainedValue().watch(handler, fd)
            },
            unregister_fd: { context, handler in
                guard let context, let handler else { return }
                Unmanaged<VST3EditorLoop>.fromOpaque(context).takeUnretainedValue().unwatch(handler)
            })
    }

    private func addTimer(_ handler: UnsafeMutableRawPointer, _ milliseconds: Int) -> Bool {
        guard PluginThread.shared.isCurrent else { return false }
        timers.end(handler)
        timers.add(handler, PluginThread.shared.addTimer(every: milliseconds) { dp_vst3_timer_fired(handler) })
        return true
    }

    private func removeTimer(_ handler: UnsafeMutableRawPointer) { timers.end(handler) }

    private func watch(_ handler: UnsafeMutableRawPointer, _ fd: Int32) -> Bool {
        guard PluginThread.shared.isCurrent else { return false }
        descriptors.add(handler, PluginThread.shared.watch(fd, events: Int16(POLLIN)) { _ in dp_vst3_fd_ready(handler, fd) })
        return true
    }

    private func unwatch(_ handler: UnsafeMutableRawPointer) { descriptors.end(handler) }

    /// Ends every timer and watch left (without calling the handlers: some plugins free them in `removed`).
    func removeAll() {
        timers.endAll()
        descriptors.endAll()
    }
}
