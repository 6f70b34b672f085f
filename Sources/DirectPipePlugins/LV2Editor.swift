import CDirectPipeLV2
import CDirectPipePluginABI
import CLilv
import DirectPipeDSP
import Foundation

/// An LV2 plugin's X11 UI (`ui:X11UI`) embedded in our window through `ui:parent`, idled through its idle
/// interface, sized to the window it makes (and to what it asks through `ui:resize`), given the port map. Control
/// ports both ways: what it writes (float protocol) and touches reaches the effect, the values of its control inputs
/// set elsewhere and of its control outputs (meters) reach it as port events; atoms both ways (atom:eventTransfer): what it writes to an
/// atom input is delivered to the plugin before its next run, what the plugin's atom outputs carry reaches it.
final class LV2Editor: PluginEditor {
    private let ui: OpaquePointer
    private let lv2: LV2Effect
    /// The control output ports and the value each last showed.
    private var outputs: [(port: Int, shown: Float)]
    /// Idles left in which the window follows the size of the UI's own window (known once the UI mapped it).
    private var sizing = 60

    init(
        _ effect: LV2Effect, ui reference: LV2UIReference, instance: UnsafeMutablePointer<LilvInstance>, display: EditorDisplay,
        title: String
    ) throws(EditorError) {
        lv2 = effect
        let queue = EditorQueue()
        let window = try display.makeWindow(title: title, width: 400, height: 300, resizable: false)
        window.show()  // mapped before the UI embeds in it
        var error = [CChar](repeating: 0, count: 512)
        let extensionData = reference.needsInstance ? lilv_instance_get_descriptor(instance)?.pointee.extension_data : nil
        let symbols = effect.plugin.symbols.map { strdup($0) }
        defer { for symbol in symbols { free(symbol) } }
        let made = symbols.map { UnsafePointer<CChar>($0) }.withUnsafeBufferPointer { list in
            dp_lv2_ui_new(
                LV2World.shared.urids, reference.binary, reference.uri, effect.info.id, reference.bundle, window.id,
                reference.needsInstance ? lilv_instance_get_handle(instance) : nil, extensionData, effect.sampleRate, list.baseAddress,
                UInt32(list.count), queue.pointer, effect.toPlugin, &error, error.count)
        }
        guard let ui = made else {
            window.destroy()
            throw .failed(effect: effect.info.id, reason: String(nulTerminated: error))
        }
        self.ui = ui
        outputs = effect.plugin.ports.enumerated().compactMap { $1 == .controlOutput ? ($0, .nan) : nil }
        super.init(effect: effect, window: window, queue: queue)
        effect.editorListening.store(true, ordering: .relaxed)
        followWidgetSize()
    }

    /// Sizes the window as the UI's own window is.
    private func followWidgetSize() {
        var width: Int32 = 0, height: Int32 = 0
        if dp_x11_window_size(window.display.x11, dp_lv2_ui_widget(ui), &width, &height), width > 1, height > 1 {
            window.resize(width: Int(width), height: Int(height))
        }
    }

    override func idle() -> Bool {
        if sizing > 0 {
            sizing -= 1
            followWidgetSize()
        }
        for (offset, output) in outputs.enumerated() {
            let value = lv2.control(0, output.port).pointee
            if value != output.shown {
                outputs[offset].shown = value
                dp_lv2_ui_port_event(ui, UInt32(output.port), value)
            }
        }
        if let toUI = lv2.toUI {
            var port: UInt32 = 0
            while let atom = dp_lv2_atom_ring_read(toUI, &port) { dp_lv2_ui_atom_event(ui, port, atom) }
        }
        return dp_lv2_ui_idle(ui) == 0
    }

    override func show(parameter index: Int, value: Float) {
        guard let port = lv2.controlInputs.first(where: { $0.parameter == index })?.port else { return }
        dp_lv2_ui_port_event(ui, UInt32(port), value)
    }

    override func parameter(forEvent index: UInt32, value: Double) -> (index: Int, value: Float)? {
        lv2.controlInputs.first { $0.port == Int(index) }.map { ($0.parameter, Float(value)) }
    }

    override func closePlugin() {
        lv2.editorListening.store(false, ordering: .relaxed)
        dp_lv2_ui_free(ui)
        if let toUI = lv2.toUI {  // what the plugin sent meanwhile: for no one now
            var port: UInt32 = 0
            while dp_lv2_atom_ring_read(toUI, &port) != nil {}
        }
    }
}
