import DirectPipeDSP
import DirectPipePlugins
import Foundation
import Testing

/// The same plugin in several formats, as Debian ships it (ZAM's in LV2, LADSPA, VST2 and CLAP; LSP's and
/// Dragonfly's in LV2 and VST2), run by DirectPipe on the same input with the same parameters: the same output,
/// the same parameters, the same latency; state kept across instances in each format's own way.
@Suite struct PluginFormatTests {
    /// Offline (deterministic), 256-frame blocks at 48 kHz.
    func factory(channels: Int) -> EffectFactory { EffectFactory(channels: channels, sampleRate: 48000, maxFrames: 256, liveWorker: false) }

    /// Two seconds of speech-like bursts in noise at different levels (a compressor and a gate have work to do):
    /// deterministic, so every format gets the same samples.
    func signal(channels: Int, frames: Int = 96000) -> [[Float]] {
        var state: UInt32 = 12345
        func noise() -> Float {
            state = state &* 1_664_525 &+ 1_013_904_223
            return Float(Int32(bitPattern: state)) / Float(Int32.max)
        }
        return (0..<channels).map { channel in
            (0..<frames).map { frame in
                let burst = (frame / 6000) % 3 == 0 ? Float(0.5) : ((frame / 6000) % 3 == 1 ? 0.05 : 0.002)
                let tone = sinf(Float(frame) * 2 * .pi * (220 + 110 * Float(channel)) / 48000)
                return burst * (0.7 * tone + 0.3 * noise())
            }
        }
    }

    /// `effect`'s output for `input`, block by block.
    func run(_ effect: AudioEffect, _ input: [[Float]]) -> [[Float]] {
        let channels = input.count, frames = input[0].count
        let buffer = PlanarBuffer(channels: channels, capacity: 256)
        var output = [[Float]](repeating: [], count: channels)
        var start = 0
        while start < frames {
            let count = min(256, frames - start)
            for channel in 0..<channels { for frame in 0..<count { buffer[channel][frame] = input[channel][start + frame] } }
            effect.process(buffer.pointers, frames: count)
            for channel in 0..<channels { output[channel].append(contentsOf: UnsafeBufferPointer(start: buffer[channel], count: count)) }
            start += count
        }
        return output
    }

    /// The largest difference between two outputs, and the level of the first (so that "equal" is not "both silent").
    func compare(_ a: [[Float]], _ b: [[Float]]) -> (difference: Float, peak: Float) {
        var difference: Float = 0, peak: Float = 0
        for (x, y) in zip(a.joined(), b.joined()) {
            difference = max(difference, abs(x - y))
            peak = max(peak, abs(x))
        }
        return (difference, peak)
    }

    /// A plugin as each format names it, and the parameters (by name, in the LV2 version's units) it is run with.
    struct Case: Sendable, CustomStringConvertible {
        var name: String
        var channels: Int
        var ids: [String]
        /// Values by parameter name (the names the formats share), as fractions of the LV2 version's range:
        /// fractions a float holds exactly, so that VST2's normalized values (DPF: `n * (max - min) + min`)
        /// become the same real values the other formats are given.
        var settings: [String: Float]
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(
            name: "ZamComp", channels: 1,
            ids: ["urn:zamaudio:ZamComp", "ZamComp-ladspa.so:ZamComp", "vst2:ZamComp-vst.so", "vst3:ZamComp.vst3", "clap:ZamComp.clap"],
            settings: ["Threshold": 0.625, "Ratio": 0.25, "Makeup": 0.25]),
        Case(
            name: "ZamCompX2", channels: 2,
            ids: ["urn:zamaudio:ZamCompX2", "ZamCompX2-ladspa.so:ZamCompX2", "vst2:ZamCompX2-vst.so", "vst3:ZamCompX2.vst3", "clap:ZamCompX2.clap"],
            settings: ["Threshold": 0.5, "Ratio": 0.375, "Knee": 0.5]),
        Case(
            name: "ZamGate", channels: 1,
            ids: ["urn:zamaudio:ZamGate", "ZamGate-ladspa.so:ZamGate", "vst2:ZamGate-vst.so", "vst3:ZamGate.vst3", "clap:ZamGate.clap"],
            settings: ["Threshold": 0.5]),
        Case(
            name: "ZaMaximX2", channels: 2,
            ids: ["urn:zamaudio:ZaMaximX2", "ZaMaximX2-ladspa.so:ZaMaximX2", "vst2:ZaMaximX2-vst.so", "vst3:ZaMaximX2.vst3", "clap:ZaMaximX2.clap"],
            settings: ["Threshold": 0.75]),
    ]

    /// Sets `settings` (fractions of `reference`'s ranges, by parameter name) on `effect`: real values, or the
    /// fraction itself for a VST2 parameter shown as 0…1. A LADSPA plugin first gets the reference's defaults:
    /// LADSPA cannot declare any default but a few points of the range (low, middle, high…), so its own differ.
    func apply(_ settings: [String: Float], to effect: AudioEffect, reference: EffectInfo) throws {
        if effect.info.format == .ladspa {
            for parameter in reference.parameters {
                if let same = effect.info.parameters.first(where: { $0.name == parameter.name }) {
                    try effect.set(same.symbol, parameter.defaultValue)
                }
            }
        }
        for (name, fraction) in settings {
            let parameter = try #require(
                effect.info.parameters.first { $0.name == name }, "\(effect.info.id) has \(effect.info.parameters.map(\.name))")
            let range = try #require(reference.parameters.first { $0.name == name })
            let normalized = effect.info.format == .vst2 && parameter.kind == .continuous
            try effect.set(parameter.symbol, normalized ? fraction : fraction * (range.maximum - range.minimum) + range.minimum)
        }
    }

    @Test(arguments: cases)
    func everyFormatGivesTheSameOutput(_ plugin: Case) throws {
        let factory = factory(channels: plugin.channels)
        let input = signal(channels: plugin.channels)
        var outputs: [(String, [[Float]])] = []
        let reference = try factory.info(plugin.ids[0])
        for id in plugin.ids {
            let effect = try factory.make(id)
            try apply(plugin.settings, to: effect, reference: reference)
            effect.prepare()
            outputs.append((id, run(effect, input)))
        }
        let (first, expected) = outputs[0]
        let (_, inputPeak) = compare(input, input)
        for (id, output) in outputs.dropFirst() {
            let (difference, peak) = compare(expected, output)
            #expect(peak > inputPeak / 100, "\(first) gave a signal")
            #expect(difference == 0, "\(id) differs from \(first) by up to \(difference) (peak \(peak))")
        }
    }

    /// LSP's and Dragonfly's VST2 builds (LSP's VST2 code is its own, not DPF's) against their LV2 builds, at their
    /// defaults: LSP's the same output bit for bit. Dragonfly's reverb modulates its delays randomly (two LV2
    /// instances of it differ from each other), so its two builds are held to the same level (RMS within 0.2 dB).
    @Test(arguments: [
        ("http://lsp-plug.in/plugins/lv2/compressor_stereo", "vst2:lsp-plugins/compressor-stereo.so", true),
        ("http://lsp-plug.in/plugins/lv2/gate_stereo", "vst2:lsp-plugins/gate-stereo.so", true),
        ("http://lsp-plug.in/plugins/lv2/para_equalizer_x16_stereo", "vst2:lsp-plugins/para-equalizer-x16-stereo.so", true),
        ("urn:dragonfly:room", "vst2:DragonflyRoomReverb-vst.so", false),
    ])
    func otherVST2BuildsGiveTheirLV2Output(_ lv2: String, _ vst2: String, _ deterministic: Bool) throws {
        let factory = factory(channels: 2)
        let input = signal(channels: 2)
        let outputs = try [lv2, vst2].map { id in
            let effect = try factory.make(id)
            effect.prepare()
            return (output: run(effect, input), latency: effect.latencyFrames, parameters: effect.info.parameters.count)
        }
        let (difference, peak) = compare(outputs[0].output, outputs[1].output)
        #expect(peak > 0.001, "\(lv2) gave a signal")
        #expect(outputs[0].latency == outputs[1].latency && outputs[0].parameters == outputs[1].parameters)
        if deterministic {
            #expect(difference == 0, "\(vst2) differs from \(lv2) by up to \(difference)")
        } else {
            func rms(_ output: [[Float]]) -> Float { sqrtf(output.joined().reduce(0) { $0 + $1 * $1 } / Float(output.joined().count)) }
            let decibels = 20 * log10f(rms(outputs[1].output) / rms(outputs[0].output))
            #expect(abs(decibels) < 0.2, "\(vst2) is \(decibels) dB from \(lv2)")
        }
    }

    /// A VST2 plugin's programs are its presets (no VST2 build in Debian has more than one, DPF's builds show one):
    /// the suite's shell part lists its three by name, and one loaded sets the parameter to the plugin's value for
    /// it, also when an effect is described from it (as chain files are made).
    @Test func aVST2PluginsProgramsAreItsPresets() throws {
        let factory = factory(channels: 2)
        let id = "vst2:" + TestPlugins.native.appendingPathComponent("format-test/vst/dp_shell-vst.so").path + "#\(0x4470_4831)"
        let programs = factory.presets(id)
        #expect(programs.map(\.label) == ["Low", "Middle", "High"] && programs.map(\.uri) == ["program:0", "program:1", "program:2"])
        let effect = try factory.make(id)
        #expect(effect.values.snapshot["level"] == 0.5)
        try factory.loadPreset("program:2", into: effect)
        #expect(effect.values.snapshot["level"] == 0.8)
        #expect(try factory.describe(id, parameters: [:], preset: "program:0").parameters["level"] == 0.2)
        #expect(throws: EffectError.self) { try factory.loadPreset("program:9", into: effect) }
    }

    /// VST3 preset files: the DPF test plugin's state (gain −6 dB, polarity inverted) written as a `.vstpreset` into its
    /// bundle's presets folder is listed among its presets and loads, by its path, into a new instance: the same
    /// parameters and output. A file for another class and bytes that are not a preset are refused, saying why.
    @Test func aVST3PresetFileIsListedAndLoads() throws {
        let factory = factory(channels: 2)
        let id = TestPlugins.testFilter("vst3")
        let source = try factory.make(id)
        try source.set("gain", -6)
        let input = signal(channels: 2, frames: 4800)
        _ = run(source, input)  // the processor has the gain now
        try source.restore(state: try Self.replacing("normal", with: "inverted", in: try #require(source.savedState())))
        var preset = try #require(factory.vst3Preset(of: source))
        let folder = TestPlugins.dpf.appendingPathComponent("dptest-filter.vst3/Contents/Resources/Presets")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = folder.appendingPathComponent("Quieter and inverted.vstpreset")
        try preset.encoded.write(to: file)
        #expect(try VST3PresetFile(preset.encoded) == preset)
        #expect(factory.presets(id).contains { $0.uri == file.path && $0.label == "Quieter and inverted" }, "\(factory.presets(id))")
        let loaded = try factory.make(id)
        try factory.loadPreset(file.path, into: loaded)
        #expect(abs((loaded.values.snapshot["gain"] ?? 0) + 6) < 1e-4, "\(loaded.values.snapshot)")
        source.reset()
        #expect(compare(run(source, input), run(loaded, input)).difference == 0)
        preset.classID = String(repeating: "0", count: 32)
        try preset.encoded.write(to: file)
        #expect(factory.presets(id).isEmpty, "a file for another class is not this plugin's")
        do {
            try factory.loadPreset(file.path, into: loaded)
            Issue.record("a preset for another class was loaded")
        } catch { #expect("\(error)".contains("is for another plugin")) }
        try Data("not a preset".utf8).write(to: file)
        do {
            try factory.loadPreset(file.path, into: loaded)
            Issue.record("bytes that are not a preset were loaded")
        } catch { #expect("\(error)".contains("does not start with VST3")) }
        try FileManager.default.removeItem(at: file)
    }

    /// CLAP's threads as a plugin sees them (the suite's gain plugin checks with the host's thread-check): it processes
    /// on the audio thread (it outputs NaN otherwise) and asks from there for a main-thread callback, which the plugin
    /// thread serves; on the main thread, the plugin reports a new latency (32 frames), which the effect then shows.
    /// Waited for, not timed.
    @Test func aCLAPPluginsThreadsAreTheOnesItIsPromised() throws {
        let effect = try factory(channels: 2).make("clap:" + TestPlugins.native.appendingPathComponent("format-test/clap/dp_gain.clap").path)
        try effect.set("gain", 0.5)
        let input = signal(channels: 2, frames: 2048)
        let output = run(effect, input)
        #expect(zip(output.joined(), input.joined()).allSatisfy { $0 == $1 * 0.5 }, "processed on the audio thread, at the gain sent")
        var waited = 0
        while effect.latencyFrames != 32, waited < 1000 {
            usleep(10_000)
            waited += 1
        }
        #expect(effect.latencyFrames == 32, "the callback ran on the main thread and its latency was heard")
    }

    @Test(arguments: cases)
    func parametersAreNamedAndRangedAsInLV2(_ plugin: Case) throws {
        let factory = factory(channels: plugin.channels)
        let lv2 = try factory.info(plugin.ids[0])
        for id in plugin.ids.dropFirst() {
            let other = try factory.info(id)
            #expect(other.format == EffectInfo.format(of: id))
            #expect(other.audioInputs == lv2.audioInputs && other.audioOutputs == lv2.audioOutputs, "\(id)")
            for parameter in lv2.parameters {
                let same = try #require(
                    other.parameters.first { $0.name == parameter.name }, "\(id) has no \(parameter.name): \(other.parameters.map(\.name))")
                switch other.format {
                case .vst2:
                    // VST2 shows values as 0…1 (its format); whole-number and switch parameters keep their kind.
                    if parameter.kind == .toggle { #expect(same.kind == .toggle, "\(id) \(parameter.name)") }
                    if parameter.kind == .integer {
                        #expect(same.kind == .integer && same.minimum == parameter.minimum && same.maximum == parameter.maximum)
                    }
                case .ladspa:
                    // Ranges as LV2's; defaults only as near as LADSPA's hints reach (see `apply`).
                    #expect(
                        same.minimum == parameter.minimum && same.maximum == parameter.maximum, "\(id) \(parameter.name): \(same) vs \(parameter)")
                default:
                    #expect(
                        same.minimum == parameter.minimum && same.maximum == parameter.maximum, "\(id) \(parameter.name): \(same) vs \(parameter)")
                    #expect(abs(same.defaultValue - parameter.defaultValue) <= abs(parameter.defaultValue) * 1e-6, "\(id) \(parameter.name)")
                }
            }
        }
    }

    @Test func latencyIsReportedAlikeInEveryFormat() throws {
        let factory = factory(channels: 2)
        let latencies = try Self.cases[3].ids.map { id in
            let effect = try factory.make(id)
            effect.prepare()
            return (id: id, frames: effect.latencyFrames)
        }
        #expect(latencies[0].frames > 0, "ZaMaximX2 looks ahead: \(latencies)")
        #expect(Set(latencies.map(\.frames)).count == 1, "\(latencies)")
    }

    /// A VST3 state (component and controller) made by one instance restores another: the parameters come back, and
    /// the output is the first's. (ZAM's VST2 and CLAP builds keep no state beyond their parameters, which chain
    /// files keep; the DPF test plugin's state is carried in all four formats that have state, below.)
    @Test func aVST3StateIsKeptAcrossInstances() throws {
        let id = "vst3:ZamCompX2.vst3"
        let factory = factory(channels: 2)
        let first = try factory.make(id)
        try apply(["Threshold": 0.25, "Ratio": 0.5], to: first, reference: try factory.info("urn:zamaudio:ZamCompX2"))
        let input = signal(channels: 2, frames: 4096)
        _ = run(first, input)  // the plugin has the values now
        let state = try #require(first.savedState(), "\(id) saves state")
        let second = try factory.make(id)
        try second.restore(state: state)
        for (symbol, value) in first.values.snapshot {
            // Through the normalized value and back: as near as a float carries it.
            #expect(abs((second.values.snapshot[symbol] ?? .nan) - value) <= max(abs(value), 1) * 1e-6, "\(symbol)")
        }
        let threshold = try #require(first.info.parameters.first { $0.name == "Threshold" })
        #expect(second.values.snapshot[threshold.symbol] != first.info.parameters.first { $0.name == "Threshold" }?.defaultValue)
        first.reset()
        second.reset()
        #expect(compare(run(first, input), run(second, input)).difference == 0)
        #expect(throws: EffectError.self) { try second.restore(state: "vst3-state:not base64!") }
    }

    @Test func idsNameTheirFileAndAWrongOneSaysWhereItLooked() throws {
        #expect(EffectInfo.format(of: "vst2:ZamComp-vst.so") == .vst2)
        #expect(EffectInfo.format(of: "clap:ZamComp.clap") == .clap)
        #expect(EffectInfo.format(of: "vst3:ZamComp.vst3") == .vst3)
        let reference = try #require(PluginFolders.Reference("vst2:Shell.so#1234"))
        #expect(reference.file == "Shell.so" && reference.part == "1234" && reference.id == "vst2:Shell.so#1234")
        do {
            _ = try factory(channels: 2).make("vst2:NoSuch-vst.so")
            Issue.record("a missing VST2 file was accepted")
        } catch {
            #expect("\(error)".contains("no NoSuch-vst.so in the VST2 folders") && "\(error)".contains("/usr/lib/vst"))
        }
        do {
            _ = try factory(channels: 2).make("clap:ZamComp.clap#com.nosuch")
            Issue.record("a missing CLAP plugin id was accepted")
        } catch {
            #expect("\(error)".contains("has no plugin com.nosuch"))
        }
    }

    // MARK: The DPF test plugin: one source, DPF's own LV2, LADSPA, VST2 and CLAP

    static let dpfFormats = ["lv2", "ladspa", "vst2", "vst3", "clap"]

    @Test func theDPFTestPluginIsOneEffectInEveryFormat() throws {
        let factory = factory(channels: 2)
        let reference = try factory.info(TestPlugins.testFilter("lv2"))
        let input = signal(channels: 2)
        var outputs: [(String, [[Float]])] = []
        for format in Self.dpfFormats {
            let effect = try factory.make(TestPlugins.testFilter(format))
            #expect(effect.info.name == "DirectPipe Test Filter" && effect.info.author == "DirectPipe", "\(format): \(effect.info)")
            for name in ["Gain", "Cutoff", "Mode"] { #expect(effect.info.parameters.contains { $0.name == name }, "\(format) has \(name)") }
            try apply(["Gain": 0.375, "Cutoff": 0.25], to: effect, reference: reference)  // -6 dB, 5015 Hz
            let mode = try #require(effect.info.parameters.first { $0.name == "Mode" })
            try effect.set(mode.symbol, 2)  // Highpass
            effect.prepare()
            #expect(effect.latencyFrames == 64, "\(format) reports the declared latency")
            outputs.append((format, run(effect, input)))
        }
        let (_, expected) = outputs[0]
        // The filtered signal, 64 frames late: silence first, then the signal.
        #expect(expected[0][0..<64].allSatisfy { $0 == 0 } && expected[0][64...].contains { abs($0) > 0.01 })
        for (format, output) in outputs.dropFirst() {
            #expect(compare(expected, output).difference == 0, "\(format) differs from lv2 by \(compare(expected, output).difference)")
        }
    }

    @Test func theDPFTestPluginShowsItsNamedValuesAndBypass() throws {
        let factory = factory(channels: 2)
        for format in ["lv2", "vst3", "clap"] {
            let mode = try #require(try factory.info(TestPlugins.testFilter(format)).parameters.first { $0.name == "Mode" })
            #expect(mode.kind == .choice && mode.choices.map(\.label) == ["Off", "Lowpass", "Highpass"], "\(format): \(mode)")
        }
        let vst2Mode = try #require(try factory.info(TestPlugins.testFilter("vst2")).parameters.first { $0.name == "Mode" })
        #expect(vst2Mode.kind == .integer && vst2Mode.minimum == 0 && vst2Mode.maximum == 2)
        for format in ["vst2", "vst3", "clap"] {
            let bypass = try #require(try factory.info(TestPlugins.testFilter(format)).parameters.first { $0.name == "Bypass" }, "\(format)")
            #expect(bypass.kind == .toggle && bypass.defaultValue == 0, "\(format): \(bypass)")
        }
        // VST3 carries units (CLAP has no field for them, and DPF's CLAP texts are bare numbers).
        #expect(try factory.info(TestPlugins.testFilter("vst3")).parameters.first { $0.name == "Gain" }?.unit == "dB")
        #expect(
            try factory.info(TestPlugins.testFilter("clap")).parameters.contains { $0.name == "Peak" } == false, "output parameters are not settable")
    }

    /// The plugin's state (its polarity) saved in each format's own way, changed, and restored into a new instance:
    /// the output is the normal one inverted, and the restored instance saves what it was given.
    @Test(arguments: ["lv2", "vst2", "vst3", "clap"])
    func theDPFTestPluginsStateTravelsInItsFormatsOwnWay(_ format: String) throws {
        let factory = factory(channels: 2)
        let id = TestPlugins.testFilter(format)
        let normal = try factory.make(id)
        let saved = try #require(normal.savedState(), "\(format) saves state")
        let inverted = try Self.replacing("normal", with: "inverted", in: saved)
        let restored = try factory.make(id)
        try restored.restore(state: inverted)
        let input = signal(channels: 2, frames: 8192)
        let (a, b) = (run(normal, input), run(restored, input))
        #expect(a.joined().contains { abs($0) > 0.01 })
        #expect(zip(a.joined(), b.joined()).allSatisfy { $0 == -$1 }, "\(format): the restored state inverts the output")
        #expect(try Self.decoded(try #require(restored.savedState())).contains("inverted"), "\(format) saves the state it was given")
    }

    /// A parameter changed while the plugin runs (as the API changes one) is heard: the DPF plugin with its filter
    /// off is a gain; once the glide has settled, the output is the input, 64 frames late, at the new gain.
    @Test(arguments: ["vst2", "vst3", "clap"])
    func aParameterChangedWhileRunningIsHeard(_ format: String) throws {
        let effect = try factory(channels: 2).make(TestPlugins.testFilter(format))
        try effect.set("mode", 0)
        let input = signal(channels: 2, frames: 9600)
        _ = run(effect, input)
        try effect.set("gain", format == "vst2" ? 0.25 : -12)  // VST2 takes -24…24 dB as 0…1
        let output = run(effect, input)
        let gain: Float = powf(10, -12 / 20)
        let settled = 4800..<9600  // 50 ms after the change: well past the 10 ms glide and the 64-frame delay
        let worst = settled.map { abs(output[0][$0] - input[0][$0 - 64] * gain) }.max() ?? 1
        #expect(worst < 1e-5, "\(format): \(worst)")
    }

    /// A saved state as text: the Turtle itself (LV2), or the bytes after the format's prefix (VST2, CLAP), read
    /// as Latin-1 so that any byte is a character.
    static func decoded(_ state: String) throws -> String {
        guard state.hasPrefix("vst2-chunk:") || state.hasPrefix("clap-state:") || state.hasPrefix("vst3-state:") else { return state }
        // VST3's is two blocks (component, controller): the component's carries the plugin's state.
        let data = try #require(Data(base64Encoded: String(state.split(separator: ":", omittingEmptySubsequences: false)[1])))
        return String(decoding: data.map { UInt16($0) }, as: UTF16.self)
    }

    /// `state` with `old` replaced by `new` inside it, encoded back as it came.
    static func replacing(_ old: String, with new: String, in state: String) throws -> String {
        let text = try decoded(state).replacingOccurrences(of: old, with: new)
        guard state.hasPrefix("vst2-chunk:") || state.hasPrefix("clap-state:") || state.hasPrefix("vst3-state:") else { return text }
        let bytes = Data(text.utf16.map { UInt8(truncatingIfNeeded: $0) }).base64EncodedString()
        var parts = state.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        parts[1] = bytes
        return parts.joined(separator: ":")
    }
}
