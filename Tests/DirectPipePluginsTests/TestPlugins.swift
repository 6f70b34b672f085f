import DirectPipePlugins
import Foundation

/// Plugins the tests build themselves (scripts/build-native.sh, run once per test process): the DPF test plugin
/// in five formats, and `Tests/Native/format_misbehaving.c`'s.
enum TestPlugins {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// scripts/build-native.sh's folder, built.
    static let native: URL = {
        let native = packageRoot.appendingPathComponent(".build/native")
        let build = Process()
        build.executableURL = URL(fileURLWithPath: "/bin/bash")
        build.arguments = [packageRoot.appendingPathComponent("scripts/build-native.sh").path, native.path]
        try? build.run()
        build.waitUntilExit()
        precondition(build.terminationStatus == 0, "scripts/build-native.sh failed")
        return native
    }()

    /// Where the DPF builds are (`dptest-filter.lv2`, `dptest-filter-ladspa.so`, `-vst.so`, `.vst3`, `.clap`), its
    /// LV2 bundle made known to this process.
    static let dpf: URL = {
        let bin = native.appendingPathComponent("dpf/bin")
        EffectFactory.loadLV2Bundle(bin.appendingPathComponent("dptest-filter.lv2").path)
        return bin
    }()

    /// The test plugin's id in `format`.
    static func testFilter(_ format: String) -> String {
        switch format {
        case "lv2": _ = dpf; return "urn:directpipe:test-filter"
        case "ladspa": return dpf.appendingPathComponent("dptest-filter-ladspa.so").path + ":TestFilter"
        case "vst2": return "vst2:" + dpf.appendingPathComponent("dptest-filter-vst.so").path
        case "vst3": return "vst3:" + dpf.appendingPathComponent("dptest-filter.vst3").path
        default: return "clap:" + dpf.appendingPathComponent("dptest-filter.clap").path
        }
    }
}
