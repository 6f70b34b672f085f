import CDirectPipePluginABI
import DirectPipeDSP

/// A VST2 plugin's editor: `effEditOpen` given our window (the plugin makes its own child in it), sized by
/// `effEditGetRect` and by the plugin's `sizeWindow` requests, idled with `effEditIdle`. What the user moves reaches
/// us through the host callback (`audioMasterAutomate`, normalized; begin and end edit). The plugin's editor reads
/// parameter values from the plugin itself, which the audio thread keeps current: nothing to show it.
final class VST2Editor: PluginEditor {
    private let instance: VST2Instance
    private let vst2: VST2Effect

    init(_ effect: VST2Effect, instance: VST2Instance, display: EditorDisplay, title: String) throws(EditorError) {
        self.instance = instance
        vst2 = effect
        effect.editorQueue.drain()
        let before = Self.rect(instance)
        let window = try display.makeWindow(title: title, width: before?.width ?? 400, height: before?.height ?? 300, resizable: false)
        window.show()  // mapped before the plugin embeds in it, as DPF's and JUCE's editors expect
        let opened = instance.dispatch(Int32(DP_VST2_EDIT_OPEN.rawValue), pointer: UnsafeMutableRawPointer(bitPattern: window.id))
        guard opened != 0 || Self.rect(instance) != nil else {
            window.destroy()
            throw .failed(effect: effect.info.id, reason: "effEditOpen refused the window")
        }
        if let after = Self.rect(instance) { window.resize(width: after.width, height: after.height) }
        super.init(effect: effect, window: window, queue: effect.editorQueue)
    }

    /// The editor's size from `effEditGetRect`, if it gives one.
    private static func rect(_ instance: VST2Instance) -> (width: Int, height: Int)? {
        var rect: UnsafeMutablePointer<dp_vst2_rect>?
        withUnsafeMutablePointer(to: &rect) { _ = instance.dispatch(Int32(DP_VST2_EDIT_GET_RECT.rawValue), pointer: UnsafeMutableRawPointer($0)) }
        guard let rect else { return nil }
        let width = Int(rect.pointee.right) - Int(rect.pointee.left), height = Int(rect.pointee.bottom) - Int(rect.pointee.top)
        return width > 0 && height > 0 ? (width, height) : nil
    }

    override func idle() -> Bool {
        instance.dispatch(Int32(DP_VST2_EDIT_IDLE.rawValue))
        return true
    }

    override func parameter(forEvent index: UInt32, value: Double) -> (index: Int, value: Float)? {
        guard Int(index) < vst2.parameterCount else { return nil }
        return (Int(index), vst2.plainValue(Int(index), normalized: Float(value)))
    }

    override func closePlugin() { instance.dispatch(Int32(DP_VST2_EDIT_CLOSE.rawValue)) }
}
