import ArgumentParser
import CDirectPipeShm
import DirectPipeAudio
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

    @Option(help: """
        auto (PipeWire when a daemon answers, else JACK when a server runs, else the engine itself), pipewire, \
        jack, or clock, file or alsa (the engine itself: say so when PipeWire or JACK runs beside such an engine).
        """)
    var backend = "auto"

    @Option(help: "JACK server name (default: $JACK_DEFAULT_SERVER or 'default').")
    var jackServer: String?

    @Option(help: "The pipe DirectPipe feeds: /DirectPipeAudio (default), /DirectPipeAudio-NAME, or NAME.")
    var pipe: String = PipeName.standard.rawValue

    @Flag(help: "Print one JSON object.")
    var json = false

    func validate() throws {
        guard ["auto", "pipewire", "jack", "clock", "file", "alsa"].contains(backend) else {
            throw ValidationError("--backend must be auto, pipewire, jack, clock, file or alsa")
        }
    }

    func run() throws {
        let reader = try PipeReader(name: try PipeName(pipe))
        let report: LatencyReport
        // A probe in the graph (pipewire, jack), or the engine's own impulse (clock, file, alsa).
        let method = backend == "auto"
            ? (PipeWireBackend.isAvailable ? "pipewire" : JackBackend.serverFormat(serverName: jackServer) != nil ? "jack" : "engine")
            : backend
        switch method {
        case "pipewire": report = try LatencyMeasurement.pipewire(reader)
        case "jack": report = try LatencyMeasurement.jack(reader, serverName: jackServer)
        default:
            report = try LatencyMeasurement.engine(reader) { pid in
                try EngineLatencyProbe.checkIsEngine(pid, pipe: reader.name)
                kill(pid, SIGUSR1)  // RunService turns it into an impulse
            }
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
        } else {
            print(Self.text(report), terminator: "")
        }
    }

    /// The report for people: each output in frames and ms, or the engine's breakdown.
    static func text(_ report: LatencyReport) -> String {
        if report.backend == "engine" { return engineText(report) }
        let graph = report.backend == "jack" ? "JACK" : "PipeWire"
        func frames(_ value: Int?, _ off: String) -> String {
            guard let value else { return off }
            return "\(value) frames (\(String(format: "%.2f", Double(value) * 1000 / Double(report.sampleRate))) ms) beyond the \(graph) graph"
        }
        var text = "DirectPipe on \(graph), \(report.sampleRate) Hz"
        if let period = report.periodFrames {
            text += ", \(period)-frame periods (\(String(format: "%.2f", Double(period) * 1000 / Double(report.sampleRate))) ms)"
        }
        text += ":\n"
        let monitorOff = "no impulse arrived (monitoring is off: directpipe run --monitor …)"
        if report.backend == "jack" {
            text += "  input -> virtual mic (mic_out_1):   \(frames(report.micFrames, "no impulse arrived (is the virtual mic muted?)"))\n"
            text += "  input -> monitor (monitor_out_1):   \(frames(report.monitorFrames, monitorOff))\n"
        } else {
            text += "  input -> virtual mic (directpipe_mic): \(frames(report.micFrames, "no impulse arrived (is the virtual mic off or muted?)"))\n"
            text += "  input -> monitor (monitor_FL):         \(frames(report.monitorFrames, monitorOff))\n"
        }
        if let ms = report.pipeReadableMs {
            text += "  input -> OBS pipe, readable after:  \(String(format: "%.2f", ms)) ms from the start of the capturing cycle\n"
        } else {
            text += "  input -> OBS pipe:                  no impulse arrived (is the pipe output muted?)\n"
        }
        text += "  (The \(graph) graph's own capture and playback buffering comes on top.)\n"
        return text
    }

    private static func engineText(_ report: LatencyReport) -> String {
        func ms(_ value: Double?) -> String { String(format: "%.2f ms", value ?? 0) }
        return """
            DirectPipe's engine (pid \(report.writerPid ?? 0)), \(report.sampleRate) Hz, \(report.periodFrames ?? 0)-frame periods, \
            an impulse put after its chain:
              input -> OBS pipe, readable after:  \(ms(report.pipeReadableMs)) from the impulse's capture
                the period itself:                \(ms(report.periodMs)) (the engine gets a period once it is complete)
            \(report.chainMs.map { "    the chain's own delay:            \(ms($0)) (lookahead)\n" } ?? "")\
                processing, publishing, waking:   \(ms(report.processingMs))
              (The device's own capture buffering comes before; outputs on other clocks, the monitor and a virtual mic
               through a drift-following bridge, add what their bridge holds: 'directpipe run' shows it.)
            """ + "\n"
    }
}
