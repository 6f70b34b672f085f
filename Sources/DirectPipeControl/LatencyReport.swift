import Foundation

/// A latency measured with an impulse through the running DirectPipe (`directpipe latency`, the
/// `measure_latency` action): frames at the graph's outputs, milliseconds to the OBS pipe.
public struct LatencyReport: Sendable, Codable, Equatable {
    /// "pipewire" or "jack" (a probe in the graph), or "engine" (the engine's own impulse).
    public var backend: String
    public var sampleRate: Int
    /// The JACK period, or the engine's (nil on PipeWire, whose quantum may change from cycle to cycle).
    public var periodFrames: Int?
    /// Frames beyond the graph from DirectPipe's input to the virtual mic and the monitor (nil: no impulse came).
    public var micFrames: Int?
    public var monitorFrames: Int?
    /// Graphs: from the start of the cycle that captured the impulse to a reader returning with it.
    /// The engine: from the impulse frame's capture to a reader returning with it.
    public var pipeReadableMs: Double?
    /// The engine: of that, the period itself (the engine gets a period once it is complete) and the rest
    /// (processing, publishing, the reader's wake).
    public var periodMs: Double?
    /// The engine: the chain's own delay (lookahead), when it has one.
    public var chainMs: Double?
    public var processingMs: Double?
    /// The process that writes the pipe (the engine measured).
    public var writerPid: Int32?

    public init(
        backend: String, sampleRate: Int, periodFrames: Int? = nil, micFrames: Int? = nil, monitorFrames: Int? = nil,
        pipeReadableMs: Double? = nil, periodMs: Double? = nil, chainMs: Double? = nil, processingMs: Double? = nil,
        writerPid: Int32? = nil
    ) {
        self.backend = backend
        self.sampleRate = sampleRate
        self.periodFrames = periodFrames
        self.micFrames = micFrames
        self.monitorFrames = monitorFrames
        self.pipeReadableMs = pipeReadableMs
        self.periodMs = periodMs
        self.chainMs = chainMs
        self.processingMs = processingMs
        self.writerPid = writerPid
    }

    enum CodingKeys: String, CodingKey {
        case backend
        case sampleRate = "sample_rate"
        case periodFrames = "period_frames"
        case micFrames = "mic_frames"
        case monitorFrames = "monitor_frames"
        case pipeReadableMs = "pipe_readable_ms"
        case periodMs = "period_ms"
        case chainMs = "chain_ms"
        case processingMs = "processing_ms"
        case writerPid = "writer_pid"
    }
}

extension LatencyReport {
    /// The report for people: each output in frames and ms, or the engine's breakdown.
    public var text: String {
        if backend == "engine" { return engineText }
        let graph = backend == "jack" ? "JACK" : "PipeWire"
        func frames(_ value: Int?, _ off: String) -> String {
            guard let value else { return off }
            return "\(value) frames (\(String(format: "%.2f", Double(value) * 1000 / Double(sampleRate))) ms) beyond the \(graph) graph"
        }
        var text = "DirectPipe on \(graph), \(sampleRate) Hz"
        if let period = periodFrames {
            text += ", \(period)-frame periods (\(String(format: "%.2f", Double(period) * 1000 / Double(sampleRate))) ms)"
        }
        text += ":\n"
        let monitorOff = "no impulse arrived (monitoring is off: directpipe run --monitor …)"
        if backend == "jack" {
            text += "  input -> virtual mic (mic_out_1):   \(frames(micFrames, "no impulse arrived (is the virtual mic muted?)"))\n"
            text += "  input -> monitor (monitor_out_1):   \(frames(monitorFrames, monitorOff))\n"
        } else {
            text += "  input -> virtual mic (directpipe_mic): \(frames(micFrames, "no impulse arrived (is the virtual mic off or muted?)"))\n"
            text += "  input -> monitor (monitor_FL):         \(frames(monitorFrames, monitorOff))\n"
        }
        if let ms = pipeReadableMs {
            text += "  input -> OBS pipe, readable after:  \(String(format: "%.2f", ms)) ms from the start of the capturing cycle\n"
        } else {
            text += "  input -> OBS pipe:                  no impulse arrived (is the pipe output muted?)\n"
        }
        text += "  (The \(graph) graph's own capture and playback buffering comes on top.)\n"
        return text
    }

    private var engineText: String {
        func ms(_ value: Double?) -> String { String(format: "%.2f ms", value ?? 0) }
        return """
            DirectPipe's engine (pid \(writerPid ?? 0)), \(sampleRate) Hz, \(periodFrames ?? 0)-frame periods, \
            an impulse put after its chain:
              input -> OBS pipe, readable after:  \(ms(pipeReadableMs)) from the impulse's capture
                the period itself:                \(ms(periodMs)) (the engine gets a period once it is complete)
            \(chainMs.map { "    the chain's own delay:            \(ms($0)) (lookahead)\n" } ?? "")\
                processing, publishing, waking:   \(ms(processingMs))
              (The device's own capture buffering comes before; outputs on other clocks, the monitor and a virtual mic
               through a drift-following bridge, add what their bridge holds: 'directpipe run' shows it.)
            """ + "\n"
    }
}
