import ArgumentParser
import DirectPipeDSP
import DirectPipeHost
import DirectPipePlugins
import Foundation

/// `directpipe process`: runs a file through a chain or one effect, offline,
/// block by block as the engine would — for trying settings and for tests.
struct ProcessCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "process",
        abstract: "Process an audio file through a chain or a single effect (built-in, LV2 or LADSPA).",
        discussion: """
            The file's channels map onto the effect's audio ports, as lv2apply does: a mono plugin on a stereo \
            file runs as a pair. Plugins update their controls per block, so compare with other hosts at the same \
            --block (lv2apply runs 1 frame at a time). The output is 32-bit float WAV or 24-bit FLAC, by extension, \
            written atomically; its length equals the input's (the chain's latency is reported, not removed).
            """
    )

    @Option(help: "A chain file (JSON), or 'voice' for the built-in voice chain.")
    var chain: String?

    @Option(help: "One effect: a built-in name, an LV2 URI or a LADSPA file.so:label.")
    var effect: String?

    @Option(name: .customLong("set"), help: "SYMBOL=VALUE: a parameter of --effect (repeatable).")
    var settings: [String] = []

    @Option(help: "An LV2 preset URI to load into --effect (see `directpipe plugins info`).")
    var preset: String?

    @Option(help: "Frames per block (default 128, the engine's period).")
    var block: Int = 128

    @Flag(help: "Prepare plugins as 'directpipe run' does (one frame of silence first), to reproduce its output exactly.")
    var asLive = false

    @Argument(help: "The input file (WAV, FLAC, or anything libsndfile reads).")
    var input: String

    @Argument(help: "The output file (.wav or .flac).")
    var output: String

    func validate() throws {
        guard (chain == nil) != (effect == nil) else { throw ValidationError("give either --chain or --effect") }
        guard (1...8192).contains(block) else { throw ValidationError("--block must be 1-8192 frames") }
        if chain != nil && (!settings.isEmpty || preset != nil) { throw ValidationError("--set and --preset go with --effect") }
    }

    func run() throws {
        do {
            let result = try OfflineProcessor(blockFrames: block, asLive: asLive).process(input, to: output, chain: description)
            for id in result.faultedEffects {
                printError("directpipe process: \(id) produced NaN, infinity or a blow-up and was taken out")
            }
            printError("directpipe process: \(result.effects.isEmpty ? "no effect" : result.effects.joined(separator: " → "))")
            printError("directpipe process: \(result.frames) frames, \(result.channels) channels, latency \(result.latencyFrames) frames")
            let loudness = result.loudness
            printError(
                "directpipe process: output "
                    + (loudness.integrated.isFinite ? String(format: "%.2f LUFS integrated", loudness.integrated) : "silent (no gated loudness)")
                    + (loudness.truePeak.isFinite ? String(format: ", true peak %.2f dBTP", loudness.truePeak) : ""))
        } catch {
            printError("directpipe process: \(error)")
            throw ExitCode.failure
        }
    }

    private func description(_ factory: EffectFactory) throws -> ChainDescription {
        if let chain { return try ChainLoader.description(of: chain) { printError("directpipe process: warning: \($0)") } }
        var parameters: [String: Float] = [:]
        for setting in settings {
            let parts = setting.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let value = Float(parts[1]) else {
                throw ValidationError("--set \(setting): expected SYMBOL=VALUE with a number")
            }
            parameters[parts[0]] = value
        }
        guard let effect else { return ChainDescription(effects: []) }
        return ChainDescription(effects: [try factory.describe(effect, parameters: parameters, preset: preset)])
    }
}
