import DirectPipeDSP
import DirectPipePlugins
import Testing

/// What `plugins list` and the API's plugin list show: built-ins first, then what the scan found, narrowed by
/// format and search; and a scan's summary per format.
@Suite struct PluginCatalogTests {
    private static func info(_ id: String, _ name: String, _ format: EffectInfo.Format, author: String = "", category: String = "") -> EffectInfo {
        EffectInfo(id: id, name: name, format: format, audioInputs: 2, audioOutputs: 2, parameters: [], author: author, category: category)
    }

    private let scanned = [
        PluginRecord(
            id: "urn:a:comp", format: .lv2, status: .ok, info: Self.info("urn:a:comp", "Compressor", .lv2, author: "Acme", category: "Dynamics")),
        PluginRecord(id: "urn:a:synth", format: .lv2, status: .notAnEffect, reason: "no audio input"),
        PluginRecord(id: "urn:a:broken", format: .lv2, status: .crashed, reason: "SIGSEGV"),
        PluginRecord(id: "lpf.so:lpf", format: .ladspa, status: .failed, reason: "NaN", info: Self.info("lpf.so:lpf", "Low Pass", .ladspa)),
    ]

    @Test func builtInsComeFirstAndOnlyUsablePluginsByDefault() {
        let records = PluginCatalog.records(scanned: scanned)
        #expect(records.prefix(PluginCatalog.builtins.count).allSatisfy { $0.format == .builtin })
        #expect(records.dropFirst(PluginCatalog.builtins.count).map(\.id) == ["urn:a:comp"])
    }

    @Test func formatSearchAndUnusableNarrowOrWiden() {
        #expect(PluginCatalog.records(scanned: scanned, filter: .init(format: .lv2)).map(\.id) == ["urn:a:comp"])
        #expect(PluginCatalog.records(scanned: scanned, filter: .init(search: "acme")).map(\.id) == ["urn:a:comp"], "the maker, any case")
        #expect(PluginCatalog.records(scanned: scanned, filter: .init(format: .lv2, search: "DYNAMICS")).map(\.id) == ["urn:a:comp"], "the category")
        let all = PluginCatalog.records(scanned: scanned, filter: .init(format: .lv2, includeUnusable: true)).map(\.id)
        #expect(all == ["urn:a:comp", "urn:a:synth", "urn:a:broken"])
        #expect(PluginCatalog.records(scanned: scanned, filter: .init(format: .builtin)).count == PluginCatalog.builtins.count)
    }

    @Test func aScanIsSummedUpPerFormat() {
        let lines = PluginCatalog.summaries(of: scanned).map(\.line)
        #expect(
            lines == [
                "lv2: 1 of 2 effects work (50.0 %); 0 failed, 1 blocklisted; 1 are not effects",
                "ladspa: 0 of 1 effects work (0.0 %); 1 failed, 0 blocklisted; 0 are not effects",
            ])
    }
}
