import CDirectPipeLV2
import CDirectPipePluginABI
import DirectPipeDSP
import Foundation
import Synchronization
import Testing

@testable import DirectPipePlugins

/// Plugins' own editors, in windows on a private Xvfb: opened at the plugin's size and drawn, a control dragged with
/// the mouse reaching the effect's parameters and the reports, a value set elsewhere reaching the editor, closed.
/// ZAM's compressor (a DPF build with an OpenGL editor) in each format Debian ships it in.
@Suite(.serialized) struct PluginEditorTests {
    static let zamComp = ["urn:zamaudio:ZamComp", "vst2:ZamComp-vst.so", "clap:ZamComp.clap", "vst3:ZamComp.vst3"]

    /// Runs `effect` block after block on a thread of its own, as the audio thread would (CLAP editors' changes come
    /// out of the plugin's process call), until stopped.
    final class AudioLoop: Sendable {
        private let running = Atomic<Bool>(true)
        private let stopped = Atomic<Bool>(false)

        init(_ effect: AudioEffect) {
            Thread.detachNewThread { [self] in
                let buffer = PlanarBuffer(channels: effect.channels, capacity: 256)
                while running.load(ordering: .relaxed) {
                    effect.process(buffer.pointers, frames: 256)
                    usleep(5000)
                }
                stopped.store(true, ordering: .releasing)
            }
        }

        func stop() {
            running.store(false, ordering: .relaxed)
            while !stopped.load(ordering: .acquiring) { usleep(1000) }
        }
    }

    /// The RMS level in dBFS of the last second of two seconds of a −6 dBFS 1 kHz tone through `effect`.
    static func level(_ effect: AudioEffect) -> Float {
        let buffer = PlanarBuffer(channels: effect.channels, capacity: 256)
        var sum: Float = 0, count = 0
        for block in 0..<375 {
            for channel in 0..<effect.channels {
                for frame in 0..<256 { buffer[channel][frame] = 0.5 * sin(2 * .pi * 1000 * Float(block * 256 + frame) / 48000) }
            }
            effect.process(buffer.pointers, frames: 256)
            guard block >= 187 else { continue }
            for frame in 0..<256 { sum += buffer[0][frame] * buffer[0][frame] }
            count += 256
        }
        return 10 * log10(max(sum / Float(count), 1e-12))
    }

    @Test(arguments: zamComp)
    func anEditorOpensDrawsFollowsTheMouseAndTheEngine(_ id: String) async throws {
        let screen = try EditorScreen()
        let format = id.hasPrefix("urn:") ? "lv2" : String(id.prefix { $0 != ":" })
        let effect = try EffectFactory(channels: 2, sampleRate: 48000, maxFrames: 256, liveWorker: false).make(id)
        let audio = AudioLoop(effect)
        let editors = PluginEditors()
        #expect(PluginEditors.hasEditor(effect))
        let title = "ZamComp (\(format)) — DirectPipe"
        try editors.open(effect, title: title)
        #expect(editors.isOpen(effect) && editors.count == 1)

        // Mapped at the editor's own size, and drawn (ZAM's editor is 800 x 107, knobs on grey).
        let window = try #require(screen.wait(for: title) { $0?.mapped == true })
        #expect(window.width == 800 && window.height == 107)
        let drawn = screen.waitForDrawing(window, "zamcomp-\(format)")
        #expect(drawn.distinct > 200 && drawn.deviation > 10, "a blank editor: \(drawn)")

        // A drag down on the threshold knob (the third; at its top, 0 dB) lowers the effect's threshold, reported.
        let threshold = try #require(effect.values.parameters.firstIndex { $0.name.lowercased().contains("threshold") })
        let before = effect.values.value(threshold)
        var reports = editors.reports.makeAsyncIterator()
        screen.drag(window, x: 210, y: 72, dx: 0, dy: 60)
        let deadline = Date().addingTimeInterval(20)
        while effect.values.value(threshold) == before, Date() < deadline { try await Task.sleep(for: .milliseconds(50)) }
        try #require(effect.values.value(threshold) < before, "the drag did not move the threshold")
        if case .changed(let changed, let values) = await reports.next() {  // one was sent: the value came that way
            #expect(changed === effect && values[effect.values.parameters[threshold].symbol] != nil)
        } else {
            Issue.record("no report of the moved control")
        }
        // And it is heard: a loud tone comes out quieter than through the same compressor left at its threshold.
        audio.stop()
        let reference = try EffectFactory(channels: 2, sampleRate: 48000, maxFrames: 256, liveWorker: false).make(id)
        let compressed = Self.level(effect), untouched = Self.level(reference)
        #expect(compressed < untouched - 1, "\(compressed) dB against \(untouched) dB")
        let running = AudioLoop(effect)
        defer { running.stop() }

        // A value set elsewhere (the panel, ctl) shows in the editor: the ratio knob's region is drawn anew.
        let ratio = try #require(effect.values.parameters.firstIndex { $0.name.lowercased().contains("ratio") })
        let knob = (x: 250, y: 30, width: 80, height: 77)
        let still = screen.screenshot(window, "zamcomp-\(format)-ratio-before", part: knob)
        effect.values.set(ratio, effect.values.parameters[ratio].maximum)
        var after = still
        let shown = Date().addingTimeInterval(20)
        while after.checksum == still.checksum, Date() < shown {
            try await Task.sleep(for: .milliseconds(100))
            after = screen.screenshot(window, "zamcomp-\(format)-ratio-after", part: knob)
        }
        #expect(after.checksum != still.checksum, "the editor did not show the new ratio")
        _ = screen.screenshot(window, "zamcomp-\(format)-after")

        // Closed: the window is gone, and with the last editor the X connection.
        #expect(editors.close(effect))
        #expect(screen.wait(for: title) { $0 == nil } == nil)
        #expect(!editors.isOpen(effect) && editors.count == 0)
        #expect(!editors.close(effect))
    }

    /// This process's threads by name (the editors' own, such as Mesa's renderers, among them).
    static func threadNames() -> [String] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.compactMap { try? String(contentsOfFile: "/proc/self/task/\($0)/comm", encoding: .utf8) }
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.sorted()
    }

    /// Closing gives back what opening took: the X server has the clients it had before (ours and the plugin's
    /// connections closed), and opening and closing again leaves no more editor threads than the first time did.
    @Test(arguments: zamComp)
    func closingLeavesNoXClientsAndNoThreadsBehind(_ id: String) throws {
        let screen = try EditorScreen()
        let effect = try EffectFactory(channels: 2, sampleRate: 48000, maxFrames: 256, liveWorker: false).make(id)
        let editors = PluginEditors()
        let clients = screen.clients()
        try #require(clients > 0, "the probe counts the server's clients (X-Resource)")
        func openAndClose() throws {
            try editors.open(effect, title: "ZamComp")
            let window = try #require(screen.wait(for: "ZamComp") { $0?.mapped == true })
            #expect(screen.waitForDrawing(window, "zamcomp-cycle").distinct > 200)
            #expect(screen.clients() > clients, "the editor connected")
            #expect(editors.close(effect))
            #expect(screen.wait(for: "ZamComp") { $0 == nil } == nil)
        }
        try openAndClose()
        #expect(screen.waitUntil { screen.clients() == clients }, "every X connection closed")  // counted out soon after
        let editorThreads = { Self.threadNames().filter { !$0.contains("qos") && !$0.hasPrefix("DirectPipe") } }
        let after = editorThreads()
        try openAndClose()
        try openAndClose()
        #expect(screen.clients() == clients)
        #expect(editorThreads().count <= after.count, "\(editorThreads()) after, \(after) before")
    }

    /// Other makers' LV2 UIs: LSP's (its own toolkit, talking to its plugin through atom ports both ways) and x42's
    /// (robtk, OpenGL) open, draw themselves at their size and close.
    @Test(arguments: ["http://lsp-plug.in/plugins/lv2/compressor_stereo", "http://gareus.org/oss/lv2/fil4#stereo"])
    func otherMakersLV2EditorsOpenAndDraw(_ id: String) throws {
        let screen = try EditorScreen()
        let effect = try EffectFactory(channels: 2, sampleRate: 48000, maxFrames: 256, liveWorker: false).make(id)
        let audio = AudioLoop(effect)
        defer { audio.stop() }
        let editors = PluginEditors()
        try editors.open(effect, title: effect.info.name)
        let window = try #require(screen.wait(for: effect.info.name) { $0?.mapped == true })
        let name = id.hasPrefix("http://lsp") ? "lsp-compressor-lv2" : "x42-fil4-lv2"
        let drawn = screen.waitForDrawing(window, name)
        #expect(drawn.distinct > 100 && drawn.deviation > 5, "a blank editor: \(drawn)")
        #expect(window.width > 300 && window.height > 150, "its own size: \(window)")
        if id.hasPrefix("http://lsp"), let lv2 = effect as? LV2Effect, let toPlugin = lv2.toPlugin, let toUI = lv2.toUI {
            // LSP's UI and plugin talk through atom ports (in_ui, out_ui): the UI's messages reach the plugin's run,
            // the plugin's (its graphs' data) reach the UI.
            #expect(screen.waitUntil { dp_lv2_atom_ring_moved(toPlugin) > 0 }, "no atom from the UI reached the plugin")
            #expect(screen.waitUntil { dp_lv2_atom_ring_moved(toUI) > 0 }, "no atom from the plugin reached the UI")
        } else if id.hasPrefix("http://lsp") {
            Issue.record("LSP's compressor has a UI and atom ports: both rings expected")
        }
        #expect(editors.close(effect))
        #expect(screen.wait(for: effect.info.name) { $0 == nil } == nil)
    }

    /// While the user holds a control in the editor (its gesture begun, as the plugin reports it), a change to it from
    /// elsewhere is not shown, so it does not jump under the mouse; let go, the editor is shown the value. Rounds of
    /// the editors' loop are counted, not timed.
    @Test func aControlHeldInTheEditorWaitsForTheUserToLetGo() throws {
        let screen = try EditorScreen()
        let effect = try #require(
            try EffectFactory(channels: 2, sampleRate: 48000, maxFrames: 256, liveWorker: false).make("vst3:ZamComp.vst3") as? VST3Effect)
        let editors = PluginEditors()
        try editors.open(effect, title: "ZamComp")
        defer { editors.close(effect) }
        let ratio = try #require(effect.values.parameters.firstIndex { $0.name.lowercased().contains("ratio") })
        func rounds(_ count: Int) -> Bool {
            let start = editors.rounds.load(ordering: .acquiring)
            return screen.waitUntil { editors.rounds.load(ordering: .acquiring) >= start + count }
        }
        let id = effect.parameterID(ratio)
        #expect(dp_editor_queue_push(effect.editorQueue.pointer, DP_EDITOR_GESTURE_BEGIN.rawValue, id, 0))
        #expect(rounds(2))
        let before = try #require(editors.shownValues(effect)?[ratio])
        effect.values.set(ratio, effect.values.parameters[ratio].maximum)  // the panel moves it meanwhile
        #expect(rounds(3))
        #expect(editors.shownValues(effect)?[ratio] == before, "held: not moved under the mouse")
        #expect(dp_editor_queue_push(effect.editorQueue.pointer, DP_EDITOR_GESTURE_END.rawValue, id, 0))
        #expect(screen.waitUntil { editors.shownValues(effect)?[ratio] == effect.values.value(ratio) }, "let go: shown")
    }

    /// Calf's plugins have GTK editors: not offered (DirectPipe runs no GTK main loop), and asking says so.
    @Test func anEditorOfAnotherToolkitIsNotOfferedAndSaysWhy() throws {
        let effect = try EffectFactory(channels: 2, sampleRate: 48000, maxFrames: 256, liveWorker: false)
            .make("http://calf.sourceforge.net/plugins/Reverb")
        #expect(!PluginEditors.hasEditor(effect))
        let error = #expect(throws: EditorError.self) { try PluginEditors().open(effect, title: "Reverb") }
        #expect("\(error!)".contains("its editor is a GTK 2 UI, which DirectPipe does not host"), "\(error!)")
    }

    @Test func anEffectWithoutAnEditorSaysSo() throws {
        let effect = try EffectFactory(channels: 2, sampleRate: 48000, maxFrames: 256, liveWorker: false).make("gain")
        #expect(!PluginEditors.hasEditor(effect))
        #expect(throws: EditorError.none(effect: "gain")) { try PluginEditors().open(effect, title: "gain") }
    }

    @Test func noDisplayIsAClearError() throws {
        unsetenv("DISPLAY")
        let effect = try EffectFactory(channels: 2, sampleRate: 48000, maxFrames: 256, liveWorker: false).make("vst2:ZamComp-vst.so")
        let error = #expect(throws: EditorError.self) { try PluginEditors().open(effect, title: "ZamComp") }
        #expect("\(error!)".contains("DISPLAY is not set"))
        setenv("DISPLAY", ":4242", 1)  // a display no server answers
        defer { unsetenv("DISPLAY") }
        let refused = #expect(throws: EditorError.self) { try PluginEditors().open(effect, title: "ZamComp") }
        #expect("\(refused!)".contains("cannot open X display ':4242'"))
    }
}
