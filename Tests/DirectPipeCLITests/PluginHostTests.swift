import DirectPipeAudioFile
import Foundation
import Testing

/// Our LV2 and LADSPA host against the reference hosts on real Debian
/// plugins: `directpipe process` must give exactly what lv2apply and
/// applyplugin give, and run the plugins they cannot.
@Suite(.serialized) struct PluginHostTests {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("dp-plugins-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A float WAV: per channel, a sine (220 Hz × channel number) at −10 dBFS plus a little noise.
    func testSignal(_ name: String, channels: Int, frames: Int = 24000) throws -> String {
        var noise = SystemRandomNumberGenerator()
        var samples: [Float] = []
        for frame in 0..<frames {
            for channel in 0..<channels {
                samples.append(
                    0.3 * Float(sin(2 * Double.pi * 220 * Double(channel + 1) * Double(frame) / 48000))
                        + Float.random(in: -0.05...0.05, using: &noise))
            }
        }
        let writer = try AudioFileWriter(path: path(name), sampleRate: 48000, channels: channels)
        try samples.withUnsafeBufferPointer { try writer.write($0) }
        try writer.finish()
        return path(name)
    }

    func process(_ arguments: [String]) throws -> TestProcess {
        let run = try TestProcess(Programs.directpipe, ["process"] + arguments)
        run.finish()
        return run
    }

    func samples(_ file: String) throws -> [Float] { try AudioFileContents(path: file).samples }

    /// Plugins lv2apply can run (audio and control ports only). lv2apply runs one frame at a time, so we do
    /// too; mono plugins get a mono file (lv2apply maps channels to ports one to one). lv2apply does not
    /// scale an lv2:sampleRate port's default by the rate, as the specification asks (we do): such ports
    /// are set explicitly, in the plugin's own unit, for both.
    @Test(arguments: [
        ("http://drobilla.net/plugins/mda/Overdrive", 2, [String: Float]()), ("http://drobilla.net/plugins/mda/Leslie", 2, [:]),
        ("http://drobilla.net/plugins/mda/Delay", 2, [:]), ("http://calf.sourceforge.net/plugins/Compressor", 2, [:]),
        ("http://calf.sourceforge.net/plugins/Phaser", 2, [:]), ("http://lsp-plug.in/plugins/lv2/compressor_stereo", 2, [:]),
        ("http://plugin.org.uk/swh-plugins/sc4", 2, [:]), ("http://plugin.org.uk/swh-plugins/lowpass_iir", 1, ["cutoff": 1000, "stages": 2]),
        ("http://plugin.org.uk/swh-plugins/singlePara", 1, ["gain": 6, "fc": 440, "bw": 1]),
    ])
    func lv2OutputIsBitExactWithLv2apply(uri: String, channels: Int, controls: [String: Float]) throws {
        let input = try testSignal("in\(channels).wav", channels: channels)
        let reference = path("lv2apply.wav"), ours = path("ours.wav")
        let settings = controls.sorted { $0.key < $1.key }
        let lv2apply = try TestProcess(
            URL(fileURLWithPath: "/usr/bin/lv2apply"), ["-i", input, "-o", reference] + settings.flatMap { ["-c", $0.key, "\($0.value)"] } + [uri])
        #expect(lv2apply.finish() == 0, "\(lv2apply.errorOutput)")
        let run = try process(["--effect", uri, "--block", "1"] + settings.flatMap { ["--set", "\($0.key)=\($0.value)"] } + [input, ours])
        #expect(run.process.terminationStatus == 0, "\(run.errorOutput)")
        let expected = try samples(reference), got = try samples(ours)
        #expect(got.count == expected.count)
        let differing = zip(got, expected).filter { $0 != $1 }.count
        #expect(differing == 0, "\(uri): \(differing) of \(got.count) samples differ")
    }

    /// A 16-bit mono WAV, as applyplugin reads (it scales by 1/32768 and writes floor(y × 32768)).
    func pcm16(_ name: String, frames: Int = 24000) throws -> String {
        var data = Data()
        var noise = SystemRandomNumberGenerator()
        func append<T: FixedWidthInteger>(_ value: T) { withUnsafeBytes(of: value.littleEndian) { data.append(contentsOf: $0) } }
        data.append(contentsOf: Array("RIFF".utf8)); append(UInt32(36 + frames * 2)); data.append(contentsOf: Array("WAVEfmt ".utf8))
        append(UInt32(16)); append(UInt16(1)); append(UInt16(1)); append(UInt32(48000)); append(UInt32(96000)); append(UInt16(2)); append(UInt16(16))
        data.append(contentsOf: Array("data".utf8)); append(UInt32(frames * 2))
        for frame in 0..<frames {
            append(Int16(8000 * sin(2 * Double.pi * 300 * Double(frame) / 48000)) &+ Int16.random(in: -500...500, using: &noise))
        }
        try data.write(to: URL(fileURLWithPath: path(name)))
        return path(name)
    }

    /// LADSPA plugins through applyplugin (its block is 2048 frames; every control value given, as it asks).
    /// applyplugin reads and writes only 16-bit files, so we compare after its own output step, floor(y × 32768);
    /// where our float sits within 10⁻⁴ of a step, libsndfile's and applyplugin's input scaling (one ulp
    /// apart) may land it on either side, and either side counts as equal.
    @Test(arguments: [
        ("filter.so", "lpf", [("cutoff_frequency_hz", 1000.0)]), ("filter.so", "hpf", [("cutoff_frequency_hz", 300.0)]),
        ("amp.so", "amp_mono", [("gain", 0.5)]), ("delay.so", "delay_5s", [("delay_seconds", 0.1), ("dry_wet_balance", 0.4)]),
        (
            "sc4m_1916.so", "sc4m",
            [
                ("rms_peak", 0.5), ("attack_time_ms", 10), ("release_time_ms", 100), ("threshold_level_db", -20), ("ratio_1_n", 4),
                ("knee_radius_db", 3), ("makeup_gain_db", 2),
            ]
        ),
    ])
    func ladspaOutputEqualsApplyplugin(file: String, label: String, controls: [(String, Double)]) throws {
        let input = try pcm16("in16.wav")
        let reference = path("applyplugin.wav"), ours = path("ours.wav")
        let applyplugin = try TestProcess(
            URL(fileURLWithPath: "/usr/bin/applyplugin"), [input, reference, "/usr/lib/ladspa/\(file)", label] + controls.map { "\($0.1)" })
        #expect(applyplugin.finish() == 0, "\(applyplugin.output)\(applyplugin.errorOutput)")
        let run = try process(
            ["--effect", "\(file):\(label)", "--block", "2048"] + controls.flatMap { ["--set", "\($0.0)=\($0.1)"] } + [input, ours])
        #expect(run.process.terminationStatus == 0, "\(run.errorOutput)")
        let expected = try samples(reference).map { Int(($0 * 32768).rounded()) }
        let got = try samples(ours).map { Double($0) * 32768 }
        #expect(got.count == expected.count)
        let differing = zip(got, expected).filter { value, reference in
            let step = Int(max(-32768, min(32767, value.rounded(.down))))
            let onAStep = abs(value - value.rounded()) < 1e-4 && Int(value.rounded()) == reference
            return step != reference && !onAStep
        }.count
        #expect(differing == 0, "\(file):\(label): \(differing) of \(got.count) samples differ")
    }

    /// Plugins lv2apply cannot run (atom ports, the options feature, a sidechain input) work in ours.
    @Test func pluginsLv2applyCannotRunProcessCorrectly() throws {
        let low = path("low.wav"), high = path("high.wav")
        for (name, hertz) in [(low, 100.0), (high, 5000.0)] {
            let writer = try AudioFileWriter(path: name, sampleRate: 48000, channels: 2)
            let tone = (0..<48000).flatMap { frame -> [Float] in
                let v = 0.25 * Float(sin(2 * Double.pi * hertz * Double(frame) / 48000)); return [v, v]
            }
            try tone.withUnsafeBufferPointer { try writer.write($0) }
            try writer.finish()
        }
        func level(_ file: String) throws -> Double {
            let s = try samples(file).suffix(48000)
            return 20 * log10((s.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(s.count)).squareRoot() / (0.25 / 2.0.squareRoot()))
        }
        // x42 fil4 (atom ports): its high-pass at 1 kHz takes 100 Hz down, leaves 5 kHz.
        let fil4 = ["--effect", "http://gareus.org/oss/lv2/fil4#stereo", "--set", "HighPass=1", "--set", "HPfreq=1000"]
        #expect(try process(fil4 + [low, path("fil4-low.wav")]).process.terminationStatus == 0)
        #expect(try process(fil4 + [high, path("fil4-high.wav")]).process.terminationStatus == 0)
        #expect(try level(path("fil4-low.wav")) < -30)
        #expect(abs(try level(path("fil4-high.wav"))) < 1)
        // x42 dpl (options feature, latency port): +20 dB into a −6 dB limit never goes over it, latency reported.
        let dpl = try process([
            "--effect", "http://gareus.org/oss/lv2/dpl#stereo", "--set", "gain=20", "--set", "threshold=-6", high, path("dpl.wav"),
        ])
        #expect(dpl.process.terminationStatus == 0, "\(dpl.errorOutput)")
        #expect(try samples(path("dpl.wav")).map(abs).max()! <= Float(pow(10, -6.0 / 20)) * 1.001)
        #expect(dpl.errorOutput.contains("latency 64 frames") || dpl.errorOutput.contains("latency 48 frames"), "\(dpl.errorOutput)")
        // zam's stereo compressor (a third, sidechain input: silent here) on a loud tone: turned down, still there.
        let zam = try process(["--effect", "urn:zamaudio:ZamCompX2", "--set", "thr=-30", "--set", "rat=10", high, path("zam.wav")])
        #expect(zam.process.terminationStatus == 0, "\(zam.errorOutput)")
        let compressed = try level(path("zam.wav"))
        #expect(compressed < -3 && compressed > -40, "ZamCompX2: \(compressed) dB")
        // zam's mono EQ (lv2apply crashes on it) as a pair on stereo: +12 dB at 5 kHz on both channels.
        let eq = try process(["--effect", "urn:zamaudio:ZamEQ2", "--set", "boost2=12", "--set", "f2=5000", high, path("zameq.wav")])
        #expect(eq.process.terminationStatus == 0, "\(eq.errorOutput)")
        #expect(abs(try level(path("zameq.wav")) - 12) < 1)
        let both = try samples(path("zameq.wav"))
        #expect(stride(from: 0, to: both.count, by: 2).allSatisfy { both[$0] == both[$0 + 1] }, "both channels processed alike")
    }

    @Test func processExplainsMistakesAndKeepsTheOutputFile() throws {
        let input = try testSignal("in.wav", channels: 2, frames: 4800)
        let output = path("keep.wav")
        try Data("precious".utf8).write(to: URL(fileURLWithPath: output))
        let chain = path("bad.json")
        try #"{"effects": [{"id": "gain", "parameters": {"gain": "loud"}}]}"#.write(toFile: chain, atomically: true, encoding: .utf8)
        let cases: [([String], String)] = [
            (["--effect", "nosuch", input, output], "no effect 'nosuch'"),
            (["--effect", "http://example.org/none", input, output], "no effect 'http://example.org/none'"),
            (["--effect", "nosuch.so:x", input, output], "no nosuch.so in LADSPA_PATH"),
            (["--effect", "filter.so:nolabel", input, output], "filter.so has no plugin labelled 'nolabel'"),
            (["--effect", "gain", "--set", "volume=3", input, output], "gain has no parameter 'volume' (it has: gain)"),
            (["--chain", chain, input, output], "bad.json: expected Float at effects[0].parameters.gain"),
            (["--effect", "gain", path("none.wav"), output], "none.wav"),
        ]
        for (arguments, message) in cases {
            let run = try process(arguments)
            #expect(run.process.terminationStatus != 0, "\(arguments)")
            #expect(run.errorOutput.contains(message), "\(arguments): \(run.errorOutput)")
            #expect(try String(contentsOfFile: output, encoding: .utf8) == "precious")
        }
    }
}
