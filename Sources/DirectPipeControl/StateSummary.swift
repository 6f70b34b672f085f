import DirectPipeDSP
import DirectPipeEngine
import Foundation

extension ControlState {
    /// The state for people, a few lines: audio setup, input, outputs, the chain, slot and recording
    /// (`directpipe ctl` prints it after every action).
    public var summary: String {
        var lines: [String] = []
        if let audio {
            var line = "\(audio.backend)\(audio.connected ? "" : " (LOST, retrying)") \(format.sampleRate) Hz/\(format.periodFrames)"
            line += format.channels == 1 ? " mono" : " stereo"
            if let input = audio.input { line += ", input \(input)" }
            if let monitor = audio.monitor { line += ", monitor \(monitor)" }
            lines.append(line)
        }
        if let ms = latency?.pipeReadableMs {
            lines.append("latency measured: OBS pipe readable after \(String(format: "%.2f", ms)) ms")
        }
        lines.append("input \(input.gainDB) dB\(input.muted ? " MUTED" : "")\(panic ? "  PANIC" : "")")
        for (name, output) in outputs.sorted(by: { $0.key < $1.key }) {
            lines.append("\(name): \(output.enabled ? "on" : "off")\(output.muted ? " MUTED" : ""), volume \(output.volume)")
        }
        let mode = safetyGuard.truePeak ? ", true peak (+\(safetyGuard.latencyFrames) frames)" : ""
        lines.append(
            safetyGuard.on
                ? "guard on, ceiling \(String(format: "%.1f", safetyGuard.ceilingDB)) dBFS\(mode)" : "guard OFF (outputs may exceed 0 dBFS)\(mode)")
        lines.append("chain\(chain.bypass ? " (BYPASSED)" : ""), latency \(chain.latencyFrames) frames:")
        for effect in chain.effects {
            lines.append(
                "  \(effect.index) \(effect.id)\(effect.bypass ? " (bypassed)" : "")\(effect.faulted ? " (FAULTED)" : "")"
                    + (effect.editor == .open ? " (editor open)" : ""))
        }
        if let slot { lines.append("slot \(slot)") }
        if let recording { lines.append("recording \(recording.path), \(String(format: "%.1f", recording.seconds)) s") }
        return lines.joined(separator: "\n")
    }
}

extension Telemetry {
    /// One line of meters for people (`directpipe ctl watch`).
    public var summary: String {
        func decibels(_ peaks: [Float]) -> String { peaks.map { String(format: "%.1f", gainToDecibels($0)) }.joined(separator: "/") }
        func lufs(_ value: Float?) -> String { value.map { String(format: "%.1f", $0) } ?? "-inf" }
        let loud = "  \(lufs(loudness.shortTerm)) LUFS (M \(lufs(loudness.momentary)), I \(lufs(loudness.integrated)))"
        let guarding = guardReductionDB > 0 ? String(format: "  guard -%.1f dB", guardReductionDB) : ""
        return "in \(decibels(inputPeak)) dBFS  out \(decibels(outputPeak)) dBFS\(clipped ? " CLIP" : "")\(loud)\(guarding)  "
            + "cpu \(String(format: "%.1f", cpuLoad * 100))%  xruns \(xruns) (graph \(graphXruns))  latency \(latencyFrames) frames"
    }
}

extension OutputID {
    /// An output by the name a user gives it: its own (pipe, mic, monitor) or a common other (obs, virtual-mic,
    /// headphones).
    public init(named name: String) throws(ActionError) {
        let aliases = ["obs": OutputID.pipe, "virtual-mic": .virtualMic, "virtual_mic": .virtualMic, "headphones": .monitor]
        guard let id = OutputID(rawValue: name) ?? aliases[name] else {
            throw ActionError(.invalid, "'\(name)' is not an output (pipe, mic, monitor)")
        }
        self = id
    }
}
