import ArgumentParser
import DirectPipeControl
import DirectPipeHost
import DirectPipeShm
import Foundation

/// `directpipe latency`: send an impulse through the running DirectPipe and
/// report, measured, how long it takes to reach each output.
struct LatencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Measure a running DirectPipe's latency with an impulse.",
        discussion: """
            On PipeWire and JACK a probe plays one impulse into DirectPipe's first input and times its arrival \
            at its outputs, in frames of the graph's clock (JACK: mic_out_1 and monitor_out_1; PipeWire: the \
            virtual mic and monitor_FL), and in the OBS pipe (readable, in ms). On the clock, a file or ALSA there \
            is no graph to probe from: the engine itself puts the impulse after its chain (asked with SIGUSR1), and \
            its arrival in the OBS pipe is timed from the capture of the frame it stands in for; the chain's \
            declared delay comes on top (`directpipe ctl latency` adds it). It is audible on every output for \
            one sample: mute your stream first.
            """
    )

    @Option(
        help: """
            auto (PipeWire when a daemon answers, else JACK when a server runs, else the engine itself), pipewire, \
            jack, or clock, file or alsa (the engine itself: say so when PipeWire or JACK runs beside such an engine).
            """, transform: BackendChoice.init(argument:))
    var backend: BackendChoice = .auto

    @Option(help: "JACK server name (default: $JACK_DEFAULT_SERVER or 'default').")
    var jackServer: String?

    @Option(help: "The pipe DirectPipe feeds: /DirectPipeAudio (default), /DirectPipeAudio-NAME, or NAME.")
    var pipe: String = PipeName.standard.rawValue

    @Flag(help: "Print one JSON object.")
    var json = false

    func run() throws {
        let reader = try PipeReader(name: try PipeName(pipe))
        let method = LatencyMeasurement.Method(backend, jackServer: jackServer)
        let report = try LatencyMeasurement.fromOutside(reader, method: method, jackServer: jackServer)
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
        } else {
            print(report.text, terminator: "")
        }
    }
}
