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
