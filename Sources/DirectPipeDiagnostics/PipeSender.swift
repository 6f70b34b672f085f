import DirectPipeHost
import DirectPipeShm

/// A pipe writer paced in real time like an audio device (`directpipe send`): blocks of `blockFrames` of a
/// ``TestSignal``, each written when its last frame would have been captured, stamped with its first frame's
/// capture time; so the pipe can be used and tested without an audio device.
public struct PipeSender {
    public let writer: PipeWriter
    public let signal: TestSignal
    public let blockFrames: Int

    public init(writer: PipeWriter, signal: TestSignal, blockFrames: Int) {
        self.writer = writer
        self.signal = signal
        self.blockFrames = blockFrames
    }

    /// Sends until `frames` (nil: no end) or until `stopRequested`; the frames sent. The writer stays active.
    public func run(frames total: UInt64?, stopRequested: () -> Bool) -> UInt64 {
        let format = writer.format
        let channels = Int(format.channels), rate = UInt64(format.sampleRate)
        let buffer = UnsafeMutableBufferPointer<Float>.allocate(capacity: blockFrames * channels)
        defer { buffer.deallocate() }
        let startNs = MonotonicClock.nowNs
        var sent: UInt64 = 0
        while !stopRequested(), total.map({ sent < $0 }) ?? true {
            let frames = total.map { min(UInt64(blockFrames), $0 - sent) } ?? UInt64(blockFrames)
            let firstFrameNs = startNs + sent * 1_000_000_000 / rate
            // A device delivers a block when its last frame has been captured.
            MonotonicClock.sleep(untilNs: startNs + (sent + frames) * 1_000_000_000 / rate, stopRequested: stopRequested)
            let slice = UnsafeMutableBufferPointer(rebasing: buffer[..<(Int(frames) * channels)])
            signal.render(into: slice, position: writer.writePosition, channels: channels, sampleRate: Double(rate))
            writer.write(UnsafeBufferPointer(slice), captureTimeNs: firstFrameNs)
            sent += frames
        }
        return sent
    }
}
