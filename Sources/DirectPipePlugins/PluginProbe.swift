import DirectPipeDSP
import Foundation

/// The scanning child's side: goes through every installed plugin (LV2, LADSPA, VST2, VST3, CLAP), loads it,
/// runs it on noise and reports each result as a line of JSON on standard
/// output, announcing each risky step first (`{"begin": ID}`) so that the
/// parent knows whom to blame if this process dies or hangs.
public enum PluginProbe {
    /// Probes everything except `skip` (done or blocklisted in an earlier child), writing lines to `emit`.
    public static func run(skip: Set<String>, emit: (String) -> Void) {
        let encoder = JSONEncoder()
        func begin(_ id: String) { emit(#"{"begin":"# + String(decoding: try! encoder.encode(id), as: UTF8.self) + "}") }
        func report(_ record: PluginRecord) { emit(String(decoding: try! encoder.encode(["result": record]), as: UTF8.self)) }

        for uri in LV2World.shared.allURIs() where !skip.contains(uri) {
            begin(uri)
            report(probe(uri, format: .lv2))
        }
        for folder in LADSPAPlugin.searchPath {
            let files = (try? FileManager.default.contentsOfDirectory(atPath: folder))?.filter { $0.hasSuffix(".so") }.sorted() ?? []
            for file in files {
                let path = "\(folder)/\(file)"
                guard !skip.contains(path) else { continue }
                begin(path)  // loading runs the library's constructors: it may crash too
                let plugins: [LADSPAPlugin]
                do {
                    plugins = try LADSPAPlugin.all(inLibrary: path)
                } catch {
                    report(PluginRecord(id: path, format: .ladspa, status: .failed, reason: "\(error)"))
                    continue
                }
                for plugin in plugins where !skip.contains(plugin.info.id) {
                    begin(plugin.info.id)
                    report(probe(plugin.info.id, format: .ladspa))
                }
            }
        }
        probeFiles(.vst2, skip: skip, begin: begin, report: report) { path, file throws(EffectError) in
            VST2Plugin.isPluginLibrary(path) ? try VST2Plugin.all(inLibrary: path, file: file).map(\.info.id) : nil
        }
        probeFiles(.vst3, skip: skip, begin: begin, report: report) { path, file throws(EffectError) in
            try VST3Plugin.all(inLibrary: path, file: file).map(\.info.id)
        }
        probeFiles(.clap, skip: skip, begin: begin, report: report) { path, file throws(EffectError) in
            try CLAPPlugin.all(inLibrary: path, file: file).map(\.info.id)
        }
    }

    /// Probes every plugin in the files of `format` (``PluginFolders``): announces the file (loading it runs its
    /// library's constructors and entry), lists its plugins with `list` (nil: not a plugin file, passed over), then
    /// announces and probes each.
    private static func probeFiles(
        _ format: EffectInfo.Format, skip: Set<String>, begin: (String) -> Void, report: (PluginRecord) -> Void,
        list: (_ path: String, _ file: String) throws(EffectError) -> [String]?
    ) {
        for (file, path) in PluginFolders.files(format) {
            let id = "\(format.rawValue):\(file)"
            guard !skip.contains(id) else { continue }
            begin(id)
            let ids: [String]
            do {
                guard let listed = try list(path, file) else { continue }
                ids = listed
            } catch {
                report(PluginRecord(id: id, format: format, status: .failed, reason: "\(error)"))
                continue
            }
            for plugin in ids where !skip.contains(plugin) {
                begin(plugin)
                report(probe(plugin, format: format))
            }
        }
    }

    /// Loads the plugin for a stereo chain at 48 kHz and runs 16 blocks of noise through it.
    public static func probe(_ id: String, format: EffectInfo.Format) -> PluginRecord {
        let factory = EffectFactory(channels: 2, sampleRate: 48000, maxFrames: 256, liveWorker: false)
        let info: EffectInfo
        do {
            info = try factory.info(id)
        } catch {
            return PluginRecord(id: id, format: format, status: .failed, reason: "\(error)")
        }
        guard info.audioInputs > 0 && info.audioOutputs > 0 else {
            return PluginRecord(
                id: id, format: format, status: .notAnEffect, reason: "\(info.audioInputs) audio in, \(info.audioOutputs) out", info: info)
        }
        do {
            let effect = try factory.make(id)
            let buffer = PlanarBuffer(channels: 2, capacity: 256)
            var generator = SystemRandomNumberGenerator()
            for _ in 0..<16 {
                for channel in 0..<2 {
                    for frame in 0..<256 { buffer[channel][frame] = Float.random(in: -0.1...0.1, using: &generator) }
                }
                effect.process(buffer.pointers, frames: 256)
                for channel in 0..<2 {
                    for frame in 0..<256 where !buffer[channel][frame].isFinite {
                        return PluginRecord(id: id, format: format, status: .failed, reason: "output is not finite on noise", info: info)
                    }
                }
            }
            return PluginRecord(id: id, format: format, status: .ok, info: info)
        } catch {
            return PluginRecord(id: id, format: format, status: .failed, reason: "\(error)", info: info)
        }
    }
}
