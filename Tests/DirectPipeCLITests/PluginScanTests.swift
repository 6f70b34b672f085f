import DirectPipeAudioFile
import Foundation
import Testing

/// `directpipe plugins scan` on plugins built to misbehave (Tests/Native/ladspa_misbehaving.c): one
/// that crashes the scanning process, one that hangs it, one whose library aborts when listed, one that
/// outputs NaN, and a good one that must still be found after all of them.
@Suite(.serialized) struct PluginScanTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-scan-\(UUID().uuidString)")
    var plugins: String { Programs.nativeDirectory.appendingPathComponent("ladspa-test").path }

    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["LADSPA_PATH"] = plugins
        environment["LV2_PATH"] = home.appendingPathComponent("no-lv2").path  // the LV2 part is the real scan's business
        environment["XDG_CACHE_HOME"] = home.appendingPathComponent("cache").path
        return environment
    }

    func plugins(_ arguments: [String]) throws -> TestProcess {
        let run = try TestProcess(Programs.directpipe, ["plugins"] + arguments, environment: environment)
        run.finish(timeout: 120)
        return run
    }

    @Test func scanSurvivesPluginsThatCrashHangOrAbortAndCachesTheResult() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let scan = try plugins(["scan", "--timeout", "2", "--json"])
        #expect(scan.process.terminationStatus == 0, "\(scan.errorOutput)")
        let records = try #require(try JSONSerialization.jsonObject(with: Data(scan.output.utf8)) as? [[String: Any]], "\(scan.output)")
        func record(_ id: String) -> [String: Any]? { records.first { ($0["id"] as? String)?.hasSuffix(id) == true } }
        #expect(record("dp_good.so:dp_gain")?.string("status") == "ok", "\(records)")
        #expect(record("dp_nan.so:dp_nan")?.string("status") == "failed")
        #expect(record("dp_nan.so:dp_nan")?.string("reason")?.contains("not finite") == true)
        #expect(record("dp_crash.so:dp_crash")?.string("status") == "crashed")
        #expect(record("dp_crash.so:dp_crash")?.string("reason")?.contains("signal 11") == true, "\(records)")
        #expect(record("dp_hang.so:dp_hang")?.string("status") == "hung")
        #expect(record("dp_hang.so:dp_hang")?.string("reason")?.contains("within 2 s") == true)
        #expect(record("dp_load_crash.so")?.string("status") == "crashed", "the library itself: \(records)")
        #expect(record("dp_load_crash.so")?.string("reason")?.contains("signal 6") == true)
        #expect(
            scan.errorOutput.contains("ok         \(plugins)/dp_good.so:dp_gain") || scan.errorOutput.contains("dp_good.so:dp_gain"),
            "progress: \(scan.errorOutput)")

        // The cache answers `list` without scanning again: working effects only, or everything with --all.
        let cache = home.appendingPathComponent("cache/directpipe/plugins.json")
        #expect(FileManager.default.fileExists(atPath: cache.path))
        let list = try plugins(["list", "--format", "ladspa"])
        #expect(list.output.contains("dp_good.so:dp_gain"))
        #expect(!list.output.contains("dp_crash"))
        #expect(!list.errorOutput.contains("scanning"))
        let all = try plugins(["list", "--format", "ladspa", "--all"])
        #expect(all.output.contains("dp_crash.so:dp_crash") && all.output.contains("[crashed"), "\(all.output)")
        let search = try plugins(["list", "--search", "DEESS"])
        #expect(search.output.contains("builtin deesser"), "\(search.output)")
    }

    /// VST2, VST3 and CLAP plugins built to crash, hang or abort when listed or run (Tests/Native/format_misbehaving.c)
    /// are blocklisted with their reason; a VST2 shell is listed as its parts; the DPF test plugin is found and works
    /// in each format after them; a shell's part processes as itself.
    @Test func vstAndClapPluginsThatCrashHangOrAbortAreBlocklistedAndShellsListedAsTheirParts() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let formats = Programs.nativeDirectory.appendingPathComponent("format-test").path
        let dpf = Programs.nativeDirectory.appendingPathComponent("dpf/bin").path
        var environment = environment
        environment["LADSPA_PATH"] = home.appendingPathComponent("no-ladspa").path
        environment["VST_PATH"] = "\(formats)/vst:\(dpf)"
        environment["VST3_PATH"] = "\(formats)/vst3:\(dpf)"
        environment["CLAP_PATH"] = "\(formats)/clap:\(dpf)"
        let scan = try TestProcess(Programs.directpipe, ["plugins", "scan", "--timeout", "2", "--json"], environment: environment)
        #expect(scan.finish(timeout: 120) == 0, "\(scan.errorOutput)")
        let records = try #require(try JSONSerialization.jsonObject(with: Data(scan.output.utf8)) as? [[String: Any]], "\(scan.output)")
        func record(_ id: String) -> [String: Any]? { records.first { $0["id"] as? String == id } }
        #expect(record("vst2:dp_crash-vst.so")?.string("status") == "crashed", "\(records)")
        #expect(record("vst2:dp_crash-vst.so")?.string("reason")?.contains("signal 11") == true)
        #expect(record("vst2:dp_hang-vst.so")?.string("status") == "hung")
        #expect(record("vst3:dp_abort.vst3")?.string("status") == "crashed")
        #expect(record("vst3:dp_abort.vst3")?.string("reason")?.contains("signal 6") == true)
        #expect(record("clap:dp_hang.clap")?.string("status") == "hung")
        #expect(record("vst2:dp_nan-vst.so")?.string("reason")?.contains("not finite") == true, "\(records)")
        #expect(record("clap:dp_gain.clap")?.string("status") == "ok", "\(records)")
        let half = "vst2:dp_shell-vst.so#\(0x4470_4831)", double = "vst2:dp_shell-vst.so#\(0x4470_4432)"
        #expect(record(half)?.string("status") == "ok" && record(double)?.string("status") == "ok", "\(records)")
        #expect(((record(half)?["info"] as? [String: Any])?["name"] as? String) == "DP Half")
        #expect(record("vst2:dp_shell-vst.so") == nil, "the shell itself is not an effect")
        for id in ["vst2:dptest-filter-vst.so", "vst3:dptest-filter.vst3", "clap:dptest-filter.clap"] {
            #expect(record(id)?.string("status") == "ok", "\(id): \(records)")
        }
        let list = try TestProcess(Programs.directpipe, ["plugins", "list", "--format", "vst3"], environment: environment)
        list.finish()
        #expect(list.output.contains("vst3:dptest-filter.vst3") && !list.output.contains("dp_abort"), "\(list.output)")

        // A shell's part, by its id, halves the signal.
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let input = home.appendingPathComponent("in.wav").path, output = home.appendingPathComponent("out.wav").path
        let writer = try AudioFileWriter(path: input, sampleRate: 48000, channels: 2)
        let tone = (0..<19200).map { 0.5 * Float(sin(2 * Double.pi * 440 * Double($0 / 2) / 48000)) }
        try tone.withUnsafeBufferPointer { try writer.write($0) }
        try writer.finish()
        let run = try TestProcess(Programs.directpipe, ["process", "--effect", half, input, output], environment: environment)
        #expect(run.finish() == 0, "\(run.errorOutput)")
        let out = try AudioFileContents(path: output).samples
        #expect(out.count == tone.count && zip(out, tone).allSatisfy { abs($0 - $1 * 0.5) < 1e-4 }, "\(out.prefix(8))")
    }

    @Test func listScansOnceWhenThereIsNoCache() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let list = try plugins(["list", "--format", "ladspa"])
        #expect(list.process.terminationStatus == 0, "\(list.errorOutput)")
        #expect(list.errorOutput.contains("no scan yet"))
        #expect(list.output.contains("dp_good.so:dp_gain"))
    }

    /// A LADSPA plugin and a VST2 plugin built to turn to NaN from their 1000th frame.
    @Test(arguments: ["dp_nan.so:dp_nan", "vst2:format-test/vst/dp_nan-vst.so"])
    func aPluginThatTurnsToNaNIsTakenOutOfTheChain(_ given: String) throws {
        let id = given.hasPrefix("vst2:") ? "vst2:" + Programs.nativeDirectory.appendingPathComponent(String(given.dropFirst(5))).path : given
        defer { try? FileManager.default.removeItem(at: home) }
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        let input = home.appendingPathComponent("in.wav").path, output = home.appendingPathComponent("out.wav").path
        let writer = try AudioFileWriter(path: input, sampleRate: 48000, channels: 1)
        let tone = (0..<9600).map { 0.5 * Float(sin(2 * Double.pi * 440 * Double($0) / 48000)) }
        try tone.withUnsafeBufferPointer { try writer.write($0) }
        try writer.finish()
        let chain = home.appendingPathComponent("chain.json").path
        try #"{"effects": [{"id": "\#(id)"}, {"id": "gain", "parameters": {"gain": -6.0206}}]}"#
            .write(toFile: chain, atomically: true, encoding: .utf8)
        let run = try TestProcess(Programs.directpipe, ["process", "--chain", chain, "--block", "64", input, output], environment: environment)
        #expect(run.finish() == 0, "\(run.errorOutput)")
        #expect(run.errorOutput.contains("\(id) produced NaN, infinity or a blow-up and was taken out"), "\(run.errorOutput)")
        let out = try AudioFileContents(path: output).samples
        #expect(out.allSatisfy { $0.isFinite })
        // Before the fault the plugin (gain 1) passes the tone, the block it broke in (frames 960–1023) is muted,
        // and after it the tone goes round the plugin; the gain after it still applies.
        for frame in stride(from: 0, to: 9600, by: 7) {
            #expect(abs(out[frame] - ((960..<1024).contains(frame) ? 0 : tone[frame] * 0.5)) < 1e-5, "frame \(frame)")
        }
    }
}
