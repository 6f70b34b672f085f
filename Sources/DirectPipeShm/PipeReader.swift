import CDirectPipeShm

/// The consumer side of a pipe: a Swift face on the C reader library, which
/// holds the one implementation of the protocol's reader rules (the OBS
/// plugin reads through the same code).
///
/// Use one reader from one thread at a time. It never slows the writer.
public final class PipeReader {
    public let name: PipeName
    private let handle: OpaquePointer

    /// What a ``wait(timeoutMilliseconds:)`` ended with.
    public enum WaitResult: Sendable {
        case data, timeout, lost
    }

    /// Frames returned by ``read(into:)``.
    public struct Block: Sendable {
        /// Pipe position of the first frame.
        public var position: UInt64
        public var frames: Int
        /// CLOCK_MONOTONIC capture time of the first frame; nil if unknown.
        public var timestampNs: UInt64?
        public var format: PipeFormat
        /// Frames were skipped before these (overrun, new writer).
        public var followsDiscontinuity: Bool
    }

    public enum State: String, Sendable, Codable {
        case connected, waiting, lost
    }

    /// A snapshot of the reader's view of the pipe.
    public struct Status: Sendable {
        public var state: State
        /// Why the last attach failed, if it did.
        public var lastError: PipeError?
        /// nil while never attached.
        public var format: PipeFormat?
        public var generation: UInt32
        public var writerPID: Int32
        public var position: UInt64
        public var writePosition: UInt64
        public var fillFrames: UInt32
        public var overruns: UInt64
        public var reconnects: UInt64
    }

    /// Opens `name`. With `waitForWriter`, a missing or malformed pipe is not
    /// an error: the reader waits and attaches when a writer appears.
    /// `targetLatencyFrames` is how far behind the writer it reads (0: lowest).
    public init(name: PipeName = .standard, targetLatencyFrames: UInt32 = 0, waitForWriter: Bool = false) throws(PipeError) {
        self.name = name
        var handle: OpaquePointer?
        let flags = waitForWriter ? UInt32(DP_READER_ALLOW_ABSENT) : 0
        let error = dp_reader_open(name.rawValue, targetLatencyFrames, flags, &handle)
        guard error == DP_OK, let handle else { throw PipeError(error, name: name) }
        self.handle = handle
    }

    deinit { dp_reader_close(handle) }

    /// Waits up to `timeoutMilliseconds` for audio, re-attaching while lost.
    public func wait(timeoutMilliseconds: UInt32) -> WaitResult {
        switch dp_reader_wait(handle, timeoutMilliseconds) {
        case DP_WAIT_DATA: .data
        case DP_WAIT_TIMEOUT: .timeout
        default: .lost
        }
    }

    /// Copies as many whole frames as fit in `buffer`; nil when nothing was read.
    public func read(into buffer: UnsafeMutableBufferPointer<Float>) -> Block? {
        guard let base = buffer.baseAddress else { return nil }
        var info = dp_read_info()
        info.struct_size = UInt32(MemoryLayout<dp_read_info>.size)
        let frames = dp_reader_read(handle, base, buffer.count, &info)
        guard frames > 0 else { return nil }
        return Block(
            position: info.position, frames: frames,
            timestampNs: info.timestamp_ns == 0 ? nil : info.timestamp_ns,
            format: PipeFormat(info.format), followsDiscontinuity: info.discontinuity != 0)
    }

    public var status: Status {
        var raw = dp_reader_status()
        raw.struct_size = UInt32(MemoryLayout<dp_reader_status>.size)
        _ = dp_reader_get_status(handle, &raw)  // only a NULL or an unsized status is refused
        let state: State =
            switch raw.state {
            case DP_READER_CONNECTED: .connected
            case DP_READER_LOST: .lost
            default: .waiting
            }
        return Status(
            state: state,
            lastError: raw.last_error == DP_OK ? nil : PipeError(raw.last_error, name: name),
            format: raw.format.channels == 0 ? nil : PipeFormat(raw.format),
            generation: raw.generation, writerPID: Int32(bitPattern: raw.writer_pid),
            position: raw.position, writePosition: raw.write_pos, fillFrames: raw.fill_frames,
            overruns: raw.overruns, reconnects: raw.reconnects)
    }

    /// CLOCK_MONOTONIC capture time of pipe position `position`, from the writer's clock pair.
    public func timestamp(ofPosition position: UInt64) -> UInt64? {
        var ns: UInt64 = 0
        return dp_reader_timestamp(handle, position, &ns) == 0 ? ns : nil
    }
}
