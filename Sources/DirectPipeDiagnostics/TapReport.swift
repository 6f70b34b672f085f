import DirectPipeShm

/// One line of `directpipe tap --json`: a status snapshot (every second and
/// at the end) or a state change (`event == "state"`, printed at once).
public struct TapReport: Encodable, Sendable {
    public var event: String
    /// CLOCK_MONOTONIC nanoseconds when the report was made.
    public var timeNs: UInt64
    public var pipe: String
    public var state: PipeReader.State
    public var error: String?
    public var rate: UInt32?
    public var channels: UInt32?
    public var capacity: UInt32?
    public var generation: UInt32
    public var writerPid: Int32
    public var fill: UInt32
    public var overruns: UInt64
    public var reconnects: UInt64
    /// Frames read since the tap started.
    public var frames: UInt64
    /// Times the frames read skipped positions (overrun, new writer).
    public var discontinuities: UInt64
    /// Age of the newest frame read when it was read, from the pipe's clock pair.
    public var latencyMs: Double?
    /// With --verify-counter: samples that were not the counter's value for their position.
    public var counterErrors: UInt64?
    /// With --verify-counter: position jumps the reader did not report as discontinuities.
    public var unreportedGaps: UInt64?
}
