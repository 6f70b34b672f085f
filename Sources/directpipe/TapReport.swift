import DirectPipeShm

/// One line of `directpipe tap --json`: a status snapshot (every second and
/// at the end) or a state change (`event == "state"`, printed at once).
struct TapReport: Encodable {
    var event: String
    /// CLOCK_MONOTONIC nanoseconds when the report was made.
    var timeNs: UInt64
    var pipe: String
    var state: PipeReader.State
    var error: String?
    var rate: UInt32?
    var channels: UInt32?
    var capacity: UInt32?
    var generation: UInt32
    var writerPid: Int32
    var fill: UInt32
    var overruns: UInt64
    var reconnects: UInt64
    /// Frames read since the tap started.
    var frames: UInt64
    /// Times the frames read skipped positions (overrun, new writer).
    var discontinuities: UInt64
    /// Age of the newest frame read when it was read, from the pipe's clock pair.
    var latencyMs: Double?
    /// With --verify-counter: samples that were not the counter's value for their position.
    var counterErrors: UInt64?
    /// With --verify-counter: position jumps the reader did not report as discontinuities.
    var unreportedGaps: UInt64?
}
