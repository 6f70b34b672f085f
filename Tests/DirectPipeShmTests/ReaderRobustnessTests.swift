import CDirectPipeShm
import DirectPipeShm
import Foundation
import Testing

/// What an earlier writer left broken, or a careless caller asks for, must
/// not cost the reader its timestamps, stale-free audio or a CPU.
@Suite struct ReaderRobustnessTests {
    private func write(_ writer: PipeWriter, frames: Int) {
        var samples = [Float](repeating: 0, count: frames * Int(writer.format.channels))
        samples.withUnsafeMutableBufferPointer {
            CounterSignal.fill($0, position: writer.writePosition, channels: Int(writer.format.channels))
        }
        samples.withUnsafeBufferPointer { writer.write($0, captureTimeNs: dp_monotonic_ns()) }
    }

    /// Overwrites bytes of the object in place (as another process would).
    private func poke(_ name: PipeName, at offset: Int, _ bytes: [UInt8]) throws {
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: shmPath(name)))
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        try handle.write(contentsOf: bytes)
    }

    @Test func aWriterKilledInsideTheClockSeqlockDoesNotPoisonItsSuccessor() throws {
        let name = uniquePipeName("oddclock")
        defer { removeSegment(name) }
        let format = try PipeFormat(capacityFrames: 1024)
        do {
            let first = try PipeWriter(name: name, format: format)
            write(first, frames: 64)
        }
        try poke(name, at: 200, [3, 0, 0, 0])  // clock_seq left odd, as by a SIGKILL mid-update
        let successor = try PipeWriter(name: name, format: format)
        let reader = try PipeReader(name: name)
        write(successor, frames: 64)
        var buffer = [Float](repeating: 0, count: 1024)
        let block = try #require(buffer.withUnsafeMutableBufferPointer { reader.read(into: $0) })
        #expect(block.timestampNs != nil)
        #expect(try readInteger(UInt32.self, at: 200, in: shmPath(name)) % 2 == 0)
    }

    @Test func aRestartedWriterNeverGetsTheOldSessionsAudioPlayed() throws {
        let name = uniquePipeName("nostale")
        defer { removeSegment(name) }
        let format = try PipeFormat(capacityFrames: 4096)
        var writer: PipeWriter? = try PipeWriter(name: name, format: format)
        let reader = try PipeReader(name: name, targetLatencyFrames: 512)
        write(writer!, frames: 1024)
        writer = nil
        _ = reader.wait(timeoutMilliseconds: 50)
        let restarted = try PipeWriter(name: name, format: format)
        let restartPosition = restarted.writePosition
        _ = reader.wait(timeoutMilliseconds: 20)  // sees the new generation
        write(restarted, frames: 128)
        var buffer = [Float](repeating: 0, count: 8192)
        let block = try #require(buffer.withUnsafeMutableBufferPointer { reader.read(into: $0) })
        #expect(block.position >= restartPosition, "played \(restartPosition - block.position) frames of the old session")
    }

    @Test func aBufferSmallerThanAFrameIsRefusedNotSpunOn() throws {
        let name = uniquePipeName("tiny")
        defer { removeSegment(name) }
        let writer = try PipeWriter(name: name, format: PipeFormat(channels: 2))
        write(writer, frames: 64)
        var handle: OpaquePointer?
        #expect(dp_reader_open(name.rawValue, 0, 0, &handle) == DP_OK)
        defer { dp_reader_close(handle) }
        write(writer, frames: 64)
        var one: Float = 0
        var info = dp_read_info()
        info.struct_size = UInt32(MemoryLayout<dp_read_info>.size)
        #expect(dp_reader_read(handle, &one, 1, &info) == -Int(DP_ERR_INVALID_ARGUMENT.rawValue))
        var two = [Float](repeating: 0, count: 2)
        #expect(two.withUnsafeMutableBufferPointer { dp_reader_read(handle, $0.baseAddress, 2, &info) } == 1)
    }

    @Test func anObjectGrownInPlaceIsMappedAgain() throws {
        // A writer that resizes an existing object instead of replacing it.
        let name = uniquePipeName("grown")
        defer { removeSegment(name) }
        var header = validHeader(capacity: 1024)
        header.writer_pid = UInt32(getpid())
        try writeSegment(header, totalBytes: 256 + 1024 * 2 * 4, as: name)
        let reader = try PipeReader(name: name)
        #expect(truncate(shmPath(name), off_t(256 + 8192 * 2 * 4)) == 0)
        header.buffer_frames = 8192
        header.generation = 2
        try poke(name, at: 0, withUnsafeBytes(of: header) { Array($0) })
        let deadline = Date().addingTimeInterval(5)
        while reader.status.format?.capacityFrames != 8192, Date() < deadline {
            // Keep the hand-made writer looking alive: data_seq moves, the clock is fresh.
            header.data_seq &+= 1
            header.clock_ns = dp_monotonic_ns()
            try poke(name, at: 0, withUnsafeBytes(of: header) { Array($0) })
            _ = reader.wait(timeoutMilliseconds: 50)
        }
        #expect(reader.status.format?.capacityFrames == 8192)
    }
}
