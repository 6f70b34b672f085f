import ArgumentParser
import CDirectPipeShm
import DirectPipeAudio
import DirectPipeShm
import Foundation

/// `directpipe latency`: send an impulse through the running DirectPipe and
/// report, measured, how long it takes to reach each output.
struct LatencyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "latency",
        abstract: "Measure a running DirectPipe's latency with an impulse (PipeWire and JACK backends).",
        discussion: """
            A probe plays one impulse into DirectPipe's first input and times its arrival at its outputs, in \
            frames of the graph's clock (JACK: mic_out_1 and monitor_out_1; PipeWire: the virtual mic and \
            monitor_FL), and in the OBS pipe (readable, in ms). It is audible on every output for one sample: mute \
            your stream first.
            """
    )

    @Option(help: "auto (PipeWire when a daemon answers, else JACK), pipewire or jack.")
    var backend = "auto"

    @Option(help: "JACK server name (default: $JACK_DEFAULT_SERVER or 'default').")
    var jackServer: String?

    @Option(help: "The pipe DirectPipe feeds: /DirectPipeAudio (default), /DirectPipeAudio-NAME, or NAME.")
    var pipe: String = PipeName.standard.rawValue

    @Flag(help: "Print one JSON object.")
    var json = false

    struct Report: Encodable {
        var backend: String
        var sampleRate: Int
        /// The JACK period (nil on PipeWire, whose quantum may change from cycle to cycle).
        var periodFrames: Int?
        var micFrames: Int?
        var monitorFrames: Int?
        /// From the start of the cycle that captured the impulse to a reader returning with it.
        var pipeReadableMs: Double?
    }

    func validate() throws {
        guard ["auto", "pipewire", "jack"].contains(backend) else { throw ValidationError("--backend must be auto, pipewire or jack") }
    }

    func run() throws {
        let reader = try PipeReader(name: try PipeName(pipe))
        let report: Report
        if backend == "pipewire" || (backend == "auto" && PipeWireBackend.isAvailable) {
            let probe = try PipeWireLatencyProbe()
            let pipeLatency = Self.findImpulse(in: reader, sentNs: { probe.impulseSentNs })
            let measured = probe.measure()
            report = Report(
                backend: "pipewire", sampleRate: measured.sampleRate, periodFrames: nil, micFrames: measured.micFrames,
                monitorFrames: measured.monitorFrames, pipeReadableMs: pipeLatency.map { Double($0) / 1e6 })
        } else {
            let probe = try JackLatencyProbe(serverName: jackServer)
            let pipeLatency = Self.findImpulse(in: reader, sentNs: { probe.impulseSentNs })
            let ports = probe.measure()
            report = Report(
                backend: "jack", sampleRate: probe.sampleRate, periodFrames: probe.periodFrames, micFrames: ports.micFrames,
                monitorFrames: ports.monitorFrames, pipeReadableMs: pipeLatency.map { Double($0) / 1e6 })
        }
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys]
            FileHandle.standardOutput.write(try encoder.encode(report) + Data("\n".utf8))
        } else {
            print(text(report), terminator: "")
        }
    }

    /// Reads the pipe until the impulse shows (at most 2 s); returns ns from the impulse's cycle to reading it.
    private static func findImpulse(in reader: PipeReader, sentNs: () -> UInt64) -> UInt64? {
        var buffer = [Float](repeating: 0, count: 65536 * 8)
        let deadline = MonotonicClock.nowNs + 2_000_000_000
        while MonotonicClock.nowNs < deadline {
            guard reader.wait(timeoutMilliseconds: 100) == .data else { continue }
            let readAt = MonotonicClock.nowNs
            while let block = buffer.withUnsafeMutableBufferPointer({ reader.read(into: $0) }) {
                let samples = block.frames * Int(block.format.channels)
                let sent = sentNs()
                if sent != 0, buffer[..<samples].contains(where: { abs($0) > 0.01 }) { return readAt &- sent }
            }
        }
        return nil
    }

    private func text(_ report: Report) -> String {
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
}
