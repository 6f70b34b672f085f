import DirectPipeDSP
import DirectPipePlugins
import Foundation
import Testing

/// What the host reads from real LV2 and LADSPA plugins: parameters with their ranges, defaults, units
/// and scale points; presets; state; how mono plugins map onto a stereo chain.
@Suite struct PluginDescriptionTests {
    let factory = EffectFactory(channels: 2, sampleRate: 48000, maxFrames: 256, liveWorker: false)

    func parameter(_ info: EffectInfo, _ symbol: String) throws -> EffectParameter {
        try #require(info.parameters.first { $0.symbol == symbol }, "\(info.id) has \(info.parameters.map(\.symbol))")
    }

    @Test func lv2ParametersCarryRangesUnitsKindsAndScalePoints() throws {
        let fil4 = try factory.info("http://gareus.org/oss/lv2/fil4#stereo")
        #expect(fil4.format == .lv2 && fil4.audioInputs == 2 && fil4.audioOutputs == 2)
        let frequency = try parameter(fil4, "HPfreq")
        #expect(frequency.minimum == 5 && frequency.maximum == 1250 && frequency.defaultValue == 20)
        #expect(frequency.unit == "Hz" && frequency.logarithmic)
        #expect(try parameter(fil4, "enable").kind == .toggle)
        let resonance = try parameter(fil4, "HPQ")
        #expect(resonance.choices.map(\.value).sorted() == [0, 0.7, 1.0].map { Float($0) }, "\(resonance.choices)")
        #expect(try parameter(factory.info("http://gareus.org/oss/lv2/dpl#stereo"), "threshold").unit == "dB")
        // lv2:sampleRate ranges are fractions of the rate: scaled to Hz at 48 kHz.
        let cutoff = try parameter(factory.info("http://plugin.org.uk/swh-plugins/lowpass_iir"), "cutoff")
        #expect(abs(cutoff.maximum - 0.45 * 48000) < 0.01 && abs(cutoff.defaultValue - 0.337525 * 48000) < 0.1)
    }

    @Test func ladspaHintsBecomeRangesAndDefaults() throws {
        let lpf = try factory.info("filter.so:lpf")
        #expect(lpf.format == .ladspa && lpf.author.contains("Richard Furse"))
        let cutoff = try parameter(lpf, "cutoff_frequency_hz")
        #expect(cutoff.minimum == 0 && cutoff.maximum == 24000 && cutoff.defaultValue == 440)  // 0.5 × srate, DEFAULT_440
        #expect(cutoff.logarithmic == false)  // logarithmic with a lower bound of 0 cannot be shown on a log scale
        let delay = try factory.info("delay.so:delay_5s")
        #expect(try parameter(delay, "delay_seconds").defaultValue == 1)  // DEFAULT_1
        #expect(try parameter(delay, "dry_wet_balance").defaultValue == 0.5)  // DEFAULT_MIDDLE of 0…1
    }

    @Test func lv2PresetsAreListedAndLoaded() throws {
        let uri = "http://calf.sourceforge.net/plugins/Reverb"
        let presets = factory.presets(uri)
        let room = try #require(presets.first { $0.label == "Room" }, "\(presets)")
        let effect = try factory.make(uri)
        let before = effect.values.snapshot
        try factory.loadPreset(room.uri, into: effect)
        let after = effect.values.snapshot
        #expect(after != before, "the preset set parameters")
        #expect(throws: EffectError.self) { try factory.loadPreset("urn:nosuch:preset", into: effect) }
        #expect(throws: EffectError.self) { try factory.loadPreset(room.uri, into: try factory.make("gain")) }
    }

    /// One effect described for a chain from a preset: the preset's values, the given ones on top.
    @Test func anEffectDescribedFromAPresetHasItsValuesWithTheGivenOnesOnTop() throws {
        let uri = "http://calf.sourceforge.net/plugins/Reverb"
        let room = try #require(factory.presets(uri).first { $0.label == "Room" })
        let loaded = try factory.make(uri)
        try factory.loadPreset(room.uri, into: loaded)
        let (symbol, presetValue) = try #require(loaded.values.snapshot.first { $0.value != 0 })
        let other = try #require(loaded.values.snapshot.keys.first { $0 != symbol })
        let described = try factory.describe(uri, parameters: [other: 0.5], preset: room.uri)
        #expect(described.parameters[symbol] == presetValue, "the preset's value")
        #expect(described.parameters[other] == 0.5, "the given value wins")
        #expect(try factory.describe(uri, parameters: ["x": 1]) == ChainDescription.Effect(id: uri, parameters: ["x": 1]))
        #expect(throws: EffectError.self) { try factory.describe(uri, parameters: [:], preset: "urn:nosuch:preset") }
    }

    @Test func lv2StateRoundTripsThroughAChainDescription() throws {
        let uri = "http://gareus.org/oss/lv2/fil4#stereo"
        let chain = try factory.chain(ChainDescription(effects: [.init(id: uri, parameters: ["HighPass": 1, "HPfreq": 300])]))
        let described = EffectFactory.describe(chain)
        let state = try #require(described.effects[0].state, "fil4 saves state")
        #expect(state.contains("urn:directpipe:state"))
        #expect(described.effects[0].parameters["HPfreq"] == 300)
        // The description builds an equal chain: same output for the same input.
        let again = try factory.chain(described)
        let first = PlanarBuffer(channels: 2, capacity: 256), second = PlanarBuffer(channels: 2, capacity: 256)
        for frame in 0..<256 {
            for channel in 0..<2 { first[channel][frame] = Float(sin(Double(frame) * 0.05)); second[channel][frame] = first[channel][frame] }
        }
        chain.process(first.pointers, frames: 256)
        again.process(second.pointers, frames: 256)
        for channel in 0..<2 {
            #expect(Array(UnsafeBufferPointer(start: first[channel], count: 256)) == Array(UnsafeBufferPointer(start: second[channel], count: 256)))
        }
        #expect(throws: EffectError.self) {
            try factory.chain(ChainDescription(effects: [.init(id: uri, state: "this is not turtle @@@")]))
        }
    }

    @Test func aMonoPluginRunsAsAPairOnAStereoChain() throws {
        let info = try factory.info("urn:zamaudio:ZamEQ2")
        #expect(info.audioInputs == 1 && info.audioOutputs == 1)
        let effect = try factory.make("urn:zamaudio:ZamEQ2")
        try effect.set("boost1", 12)
        let buffer = PlanarBuffer(channels: 2, capacity: 256)
        for block in 0..<20 {
            for frame in 0..<256 { buffer[0][frame] = 0.1 * Float(sin(Double(block * 256 + frame) * 2 * .pi * 500 / 48000)); buffer[1][frame] = 0 }
            effect.process(buffer.pointers, frames: 256)
        }
        let left = UnsafeBufferPointer(start: buffer[0], count: 256).map(abs).max()!
        let right = UnsafeBufferPointer(start: buffer[1], count: 256).map(abs).max()!
        #expect(left > 0.3, "12 dB at 500 Hz on the left: \(left)")
        #expect(right == 0, "the right instance had silence")
    }

    @Test func unusablePluginsAreRefusedWithTheirReason() throws {
        #expect(throws: EffectError.unknownEffect("http://example.org/none")) { try factory.make("http://example.org/none") }
        do {
            _ = try factory.make("http://plugin.org.uk/swh-plugins/mbeq")  // its library misses an FFTW symbol on Debian 12
            Issue.record("mbeq should not instantiate")
        } catch {
            #expect("\(error)".contains("instantiate failed"))
        }
    }

    @Test func aThreadedWorkerRunsBesideTheAudio() throws {
        // LSP plugins schedule work (worker feature); live, it runs on the worker thread.
        let live = EffectFactory(channels: 2, sampleRate: 48000, maxFrames: 256, liveWorker: true)
        let chain = try live.chain(ChainDescription(effects: [.init(id: "http://lsp-plug.in/plugins/lv2/compressor_stereo")]))
        let buffer = PlanarBuffer(channels: 2, capacity: 256)
        for block in 0..<200 {
            for channel in 0..<2 { for frame in 0..<256 { buffer[channel][frame] = 0.3 * Float(sin(Double(block * 256 + frame) * 0.02)) } }
            chain.process(buffer.pointers, frames: 256)
        }
        #expect(chain.faultedEffects.isEmpty)
        #expect(UnsafeBufferPointer(start: buffer[0], count: 256).contains { $0 != 0 })
    }
}
