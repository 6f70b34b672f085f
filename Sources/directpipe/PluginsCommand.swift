import ArgumentParser
import DirectPipeDSP
import DirectPipePlugins
import Foundation

/// `directpipe plugins`: find, list and describe the effects a chain can use.
struct PluginsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "plugins",
        abstract: "Scan, list and describe built-in effects and LV2, LADSPA, VST2, VST3 and CLAP plugins.",
        subcommands: [Scan.self, List.self, Info.self, ScanChild.self]
    )

    struct Scan: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load and test every LV2, LADSPA, VST2, VST3 and CLAP plugin in a child process; cache the result.",
            discussion: """
                Each plugin is instantiated for stereo at 48 kHz and run on noise; one that crashes or hangs the child \
                is blocklisted with the reason and the scan goes on after it. LADSPA plugins are looked for in \
                LADSPA_PATH (default /usr/lib/ladspa and /usr/local/lib/ladspa), LV2 plugins in LV2_PATH, VST2 in VST_PATH \
                (default ~/.vst, ~/.lxvst, /usr/local/lib/vst and lxvst, /usr/lib/vst and lxvst), VST3 in VST3_PATH \
                (~/.vst3, /usr/local/lib/vst3, /usr/lib/vst3), CLAP in CLAP_PATH (~/.clap, /usr/local/lib/clap, /usr/lib/clap).
                """
        )

        @Option(help: "Seconds one plugin may take before it counts as hung.")
        var timeout: Double = 10

        @Flag(help: "Print every record as JSON on standard output.")
        var json = false

        @Flag(help: "No progress lines on standard error.")
        var quiet = false

        func run() throws {
            let scanner = PluginScanner(childCommand: [CommandLine.executablePath, "plugins", "scan-child"], timeout: timeout)
            var count = 0
            let records = try scanner.scan { record in
                count += 1
                if !quiet {
                    printError(
                        "[\(count)] \(record.status.rawValue.padding(toLength: 10, withPad: " ", startingAt: 0)) \(record.id)\(record.reason.isEmpty ? "" : "  (\(record.reason))")"
                    )
                }
            }
            try PluginScanner.save(records)
            if json {
                try printJSON(records)
                return
            }
            for summary in PluginCatalog.summaries(of: records) { print(summary.line) }
            print("cached in \(PluginScanner.cachePath)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the effects a chain can use (scans first if there is no cache).")

        @Option(help: "builtin, lv2, ladspa, vst2, vst3 or clap.")
        var format: EffectInfo.Format?

        @Option(help: "Only effects whose id, name, maker or category contain this (any case).")
        var search: String?

        @Flag(help: "Also list plugins that failed, are blocklisted or are not effects.")
        var all = false

        @Flag(help: "JSON on standard output.")
        var json = false

        func run() throws {
            var scanned: [PluginRecord] = []
            if format != .builtin {
                scanned =
                    try PluginScanner.load()
                    ?? {
                        printError("directpipe plugins: no scan yet; scanning (once) …")
                        let found = try PluginScanner(childCommand: [CommandLine.executablePath, "plugins", "scan-child"]).scan { _ in }
                        try PluginScanner.save(found)
                        return found
                    }()
            }
            let records = PluginCatalog.records(scanned: scanned, filter: .init(format: format, search: search, includeUnusable: all))
            if json {
                try printJSON(records)
                return
            }
            for record in records {
                let name = record.info?.name ?? ""
                let status = record.status == .ok ? "" : "  [\(record.status.rawValue)\(record.reason.isEmpty ? "" : ": \(record.reason)")]"
                print("\(record.format.rawValue.padding(toLength: 7, withPad: " ", startingAt: 0)) \(record.id)  \(name)\(status)")
            }
        }
    }

    struct Info: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Describe one effect: ports, parameters (range, default, unit), presets.")

        @Argument(help: "A built-in name, an LV2 URI or a LADSPA file.so:label.")
        var id: String

        @Flag(help: "JSON on standard output.")
        var json = false

        func run() throws {
            let factory = EffectFactory(channels: 2, sampleRate: 48000, maxFrames: 128, liveWorker: false)
            let info: EffectInfo
            do {
                info = try factory.info(id)
            } catch {
                printError("directpipe plugins info: \(error)")
                throw ExitCode.failure
            }
            let presets = factory.presets(id)
            let record = PluginScanner.load()?.first { $0.id == id }
            if json {
                struct Output: Encodable {
                    var info: EffectInfo
                    var presets: [[String: String]]
                    var scan: String?
                }
                try printJSON(Output(info: info, presets: presets.map { ["uri": $0.uri, "label": $0.label] }, scan: record?.status.rawValue))
                return
            }
            print("\(info.name) (\(info.format.rawValue))\n  id: \(info.id)")
            if !info.author.isEmpty { print("  by: \(info.author)") }
            if !info.category.isEmpty { print("  category: \(info.category)") }
            print("  audio: \(info.audioInputs) in, \(info.audioOutputs) out")
            if let record { print("  scan: \(record.status.rawValue)\(record.reason.isEmpty ? "" : " (\(record.reason))")") }
            print("  parameters:")
            for parameter in info.parameters {
                var line =
                    "    \(parameter.symbol): \(parameter.name), \(parameter.minimum) … \(parameter.maximum) \(parameter.unit), default \(parameter.defaultValue)"
                if parameter.kind != .continuous { line += " [\(parameter.kind.rawValue)]" }
                if parameter.logarithmic { line += " [log]" }
                print(line)
                for choice in parameter.choices { print("      \(choice.value) = \(choice.label)") }
            }
            if !presets.isEmpty {
                print("  presets:")
                for preset in presets { print("    \(preset.label): \(preset.uri)") }
            }
        }
    }

    /// The scanning child (see ``PluginScanner``); not for people.
    struct ScanChild: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "scan-child", shouldDisplay: false)

        @Option var skipFile: String?

        func run() throws {
            let skip =
                skipFile.flatMap { FileManager.default.contents(atPath: $0) }.flatMap { try? JSONDecoder().decode([String].self, from: $0) } ?? []
            // Unbuffered, a line at a time: the parent must see each "begin" before a crash can lose it.
            PluginProbe.run(skip: Set(skip)) { line in FileHandle.standardOutput.write(Data((line + "\n").utf8)) }
        }
    }
}

extension EffectInfo.Format: ExpressibleByArgument {}

/// Pretty, key-sorted JSON on standard output.
private func printJSON(_ value: some Encodable) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

extension CommandLine {
    /// This executable's path, for starting itself as a child.
    static var executablePath: String { (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? arguments[0] }
}
