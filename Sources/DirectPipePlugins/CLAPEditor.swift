import CDirectPipePluginABI
import DirectPipeDSP
import Foundation

/// A CLAP plugin's editor, through its `gui` extension with the X11 API, embedded in our window. The host side it
/// needs: `gui` (resize requests and closing, through the editor queue), and the plugin thread's timers and
/// descriptors as `timer-support` and `posix-fd-support` (DPF's editors refuse to open without a timer). What the
/// user moves arrives as the parameter and gesture events the plugin sends out of its process call; the plugin's
/// editor learns of other changes from the parameter events the audio thread sends it: nothing to show it.
final class CLAPEditor: PluginEditor {
    private let instance: CLAPInstance
    private let clap: CLAPEffect
    private let gui: UnsafePointer<dp_clap_plugin_gui>
    private let loop: CLAPEditorLoop

    init(_ effect: CLAPEffect, instance: CLAPInstance, display: EditorDisplay, title: String) throws(EditorError) {
        guard let gui = instance.extension(DP_CLAP_EXT_GUI)?.assumingMemoryBound(to: dp_clap_plugin_gui.self) else {
            throw .none(effect: effect.info.id)
        }
        self.instance = instance
        clap = effect
        self.gui = gui
        loop = CLAPEditorLoop(instance)
        effect.editorQueue.drain()
        let window = try display.makeWindow(title: title, width: 400, height: 300, resizable: false)
        window.show()
        loop.attach(to: instance.host)
        var width: UInt32 = 0, height: UInt32 = 0, resizable = false
        guard dp_clap_gui_open(instance.plugin, gui, window.id, &width, &height, &resizable) else {
            loop.detach(from: instance.host)
            window.destroy()
            throw .failed(effect: effect.info.id, reason: "it has no embeddable X11 editor (its gui extension refused)")
        }
        window.resizable = resizable
        window.resize(width: Int(width), height: Int(height))
        super.init(effect: effect, window: window, queue: effect.editorQueue)
    }

    override func parameter(forEvent index: UInt32, value: Double) -> (index: Int, value: Float)? {
        clap.plugin.parameterIDs.firstIndex(of: index).map { ($0, Float(value)) }
    }

    override func windowResized(width: Int, height: Int) {
        guard window.resizable else { return }
        var w = UInt32(width), h = UInt32(height)
        _ = gui.pointee.adjust_size?(instance.plugin, &w, &h)
        _ = gui.pointee.set_size?(instance.plugin, w, h)
    }

    override func resizeRequested(width: Int, height: Int) {
        window.resize(width: width, height: height)
        _ = gui.pointee.set_size?(instance.plugin, UInt32(width), UInt32(height))
    }

    override func closePlugin() {
        _ = gui.pointee.hide?(instance.plugin)
        gui.pointee.destroy?(instance.plugin)
        loop.detach(from: instance.host)
    }
}

/// The plugin thread's timers and descriptors as a CLAP plugin asks for them (`timer-support`, `posix-fd-support`):
/// each timer or descriptor the plugin registers is one of the plugin thread's, calling the plugin back.
/// Used on the plugin thread only.
final class CLAPEditorLoop {
    private let instance: CLAPInstance
    private let timerSupport: UnsafePointer<dp_clap_plugin_timer_support>?
    private let fdSupport: UnsafePointer<dp_clap_plugin_posix_fd_support>?
    private let timers = PluginThreadRegistrations<dp_clap_id>()
    private let descriptors = PluginThreadRegistrations<Int32>()
    private var nextTimer: dp_clap_id = 1

    init(_ instance: CLAPInstance) {
        self.instance = instance
        timerSupport = instance.extension(DP_CLAP_EXT_TIMER_SUPPORT)?.assumingMemoryBound(to: dp_clap_plugin_timer_support.self)
        fdSupport = instance.extension(DP_CLAP_EXT_POSIX_FD_SUPPORT)?.assumingMemoryBound(to: dp_clap_plugin_posix_fd_support.self)
    }

    /// Answers `host`'s timer and descriptor requests from now on.
    func attach(to host: UnsafeMutablePointer<dp_clap_host>) {
        host.pointee.loop = Unmanaged.passUnretained(self).toOpaque()
        host.pointee.register_timer = { loop, period, id in
            guard let loop, let id else { return false }
            return Unmanaged<CLAPEditorLoop>.fromOpaque(loop).takeUnretainedValue().addTimer(period, id)
        }
        host.pointee.unregister_timer = { loop, id in
            guard let loop else { return false }
            return Unmanaged<CLAPEditorLoop>.fromOpaque(loop).takeUnretainedValue().removeTimer(id)
        }
        host.pointee.register_fd = { loop, fd, flags in
            guard let loop else { return false }
            return Unmanaged<CLAPEditorLoop>.fromOpaque(loop).takeUnretainedValue().watch(fd, flags)
        }
        host.pointee.modify_fd = { loop, fd, flags in
            guard let loop else { return false }
            return Unmanaged<CLAPEditorLoop>.fromOpaque(loop).takeUnretainedValue().rewatch(fd, flags)
        }
        host.pointee.unregister_fd = { loop, fd in
            guard let loop else { return false }
            return Unmanaged<CLAPEditorLoop>.fromOpaque(loop).takeUnretainedValue().unwatch(fd)
        }
    }

    /// Stops answering, and ends what the plugin left registered.
    func detach(from host: UnsafeMutablePointer<dp_clap_host>) {
        host.pointee.register_timer = nil
        host.pointee.unregister_timer = nil
        host.pointee.register_fd = nil
        host.pointee.modify_fd = nil
        host.pointee.unregister_fd = nil
        host.pointee.loop = nil
        timers.endAll()
        descriptors.endAll()
    }

    private func addTimer(_ period: UInt32, _ id: UnsafeMutablePointer<dp_clap_id>) -> Bool {
        guard PluginThread.shared.isCurrent, let timerSupport else { return false }
        let clapID = nextTimer
        nextTimer += 1
        let plugin = instance.plugin
        timers.add(clapID, PluginThread.shared.addTimer(every: Int(period)) { dp_clap_on_timer(plugin, timerSupport, clapID) })
        id.pointee = clapID
        return true
    }

    private func removeTimer(_ id: dp_clap_id) -> Bool { PluginThread.shared.isCurrent && timers.end(id) }

    private static func pollEvents(_ flags: UInt32) -> Int16 {
        (flags & UInt32(DP_CLAP_FD_READ) != 0 ? Int16(POLLIN) : 0) | (flags & UInt32(DP_CLAP_FD_WRITE) != 0 ? Int16(POLLOUT) : 0)
    }

    private func watch(_ fd: Int32, _ flags: UInt32) -> Bool {
        guard PluginThread.shared.isCurrent, let fdSupport, descriptors.first(fd) == nil else { return false }
        let plugin = instance.plugin
        let id = PluginThread.shared.watch(fd, events: Self.pollEvents(flags)) { seen in
            let flags =
                (seen & Int16(POLLIN) != 0 ? UInt32(DP_CLAP_FD_READ) : 0) | (seen & Int16(POLLOUT) != 0 ? UInt32(DP_CLAP_FD_WRITE) : 0)
                | (seen & Int16(POLLERR | POLLHUP) != 0 ? UInt32(DP_CLAP_FD_ERROR) : 0)
            dp_clap_on_fd(plugin, fdSupport, fd, flags)
        }
        descriptors.add(fd, id)
        return true
    }

    private func rewatch(_ fd: Int32, _ flags: UInt32) -> Bool {
        guard PluginThread.shared.isCurrent, let id = descriptors.first(fd) else { return false }
        PluginThread.shared.rewatch(id, events: Self.pollEvents(flags))
        return true
    }

    private func unwatch(_ fd: Int32) -> Bool { PluginThread.shared.isCurrent && descriptors.end(fd) }
}
