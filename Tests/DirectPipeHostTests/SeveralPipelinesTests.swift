import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import DirectPipeShm
import Foundation
import Testing

@testable import DirectPipeHost

/// The host assumes no single pipeline: two hosts in one process (a stream mic and a chat mic), each with its own
/// chain, engine and pipe, run side by side, and restarting one leaves the other running as it was.
@Suite(.serialized) struct SeveralPipelinesTests {
    @Test func twoHostsInOneProcessRunTheirOwnChainsIntoTheirOwnPipes() throws {
        let (stream, streamPipe) = try runningHost(LogLines())
        defer { stop(stream, streamPipe) }
        let quieter = ChainDescription(effects: [.init(id: "gain", parameters: ["gain": -12])])
        let (chat, chatPipe) = try runningHost(LogLines(), chain: quieter)
        defer { stop(chat, chatPipe) }
        #expect(streamPipe != chatPipe)
        #expect(callbacks(of: stream, reach: 50) && callbacks(of: chat, reach: 50))

        // The clock's input is a -6 dBFS tone: the stream pipeline passes it, the chat pipeline's gain takes 12 dB.
        let streamPeak = try peak(streamPipe), chatPeak = try peak(chatPipe)
        #expect(abs(streamPeak - decibelsToGain(-6)) < 0.01, "stream peak \(streamPeak)")
        #expect(abs(chatPeak - decibelsToGain(-18)) < 0.01, "chat peak \(chatPeak)")

        // A restart of the chat pipeline in another period leaves the stream's engine as it was, running.
        let streamEngine = stream.current.engine
        try chat.restart(try request(#"{"period": 256}"#), chain: quieter)
        #expect(chat.current.format.periodFrames == 256 && stream.current.format.periodFrames == 128)
        #expect(stream.current.engine === streamEngine)
        let before = streamEngine.meters.snapshot(inputChannels: 2, outputChannels: 2).callbacks
        #expect(callbacks(of: stream, reach: before + 50) && callbacks(of: chat, reach: 50))
    }

    /// The loudest sample a reader of `pipe` sees over 200 periods.
    private func peak(_ pipe: PipeName) throws -> Float {
        let reader = try PipeReader(name: pipe)
        var buffer = [Float](repeating: 0, count: 65536)
        var peak: Float = 0, frames = 0
        let deadline = MonotonicClock.nowNs + 10_000_000_000  // a guard against a hang, not a measure
        while frames < 200 * 128, MonotonicClock.nowNs < deadline {
            _ = reader.wait(timeoutMilliseconds: 100)
            while let block = buffer.withUnsafeMutableBufferPointer({ reader.read(into: $0) }) {
                frames += block.frames
                for sample in buffer[0..<(block.frames * Int(block.format.channels))] { peak = max(peak, abs(sample)) }
            }
        }
        return peak
    }
}
