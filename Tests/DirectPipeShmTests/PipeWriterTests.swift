import CDirectPipeShm
import DirectPipeShm
import Foundation
import Testing

/// Writer rules 1–5 and the reader's view of them, in one process.
@Suite struct PipeWriterTests {
    private func counterBlock(_ writer: PipeWriter, frames: Int) -> [Float] {
        var samples = [Float](repeating: 0, count: frames * Int(writer.format.channels))
        samples.withUnsafeMutableBufferPointer {
            CounterSignal.fill($0, position: writer.writePosition, channels: Int(writer.format.channels))
        }
        return samples
    }

    /// Writes counter frames captured now (readers call a writer lost whose clock is 500 ms old).
    private func write(_ writer: PipeWriter, frames: Int, at captureNs: UInt64 = dp_monotonic_ns()) {
        counterBlock(writer, frames: frames).withUnsafeBufferPointer { writer.write($0, captureTimeNs: captureNs) }
    }

    private func inode(_ name: PipeName) throws -> UInt64 {
        try (FileManager.default.attributesOfItem(atPath: shmPath(name))[.systemFileNumber] as? NSNumber)?.uint64Value ?? 0
    }

    @Test func segmentIsOwnerOnly() throws {
        let name = uniquePipeName("mode")
        defer { removeSegment(name) }
        _ = try PipeWriter(name: name, format: PipeFormat())
        let mode = try FileManager.default.attributesOfItem(atPath: shmPath(name))[.posixPermissions] as? Int
        #expect(mode == 0o600)
    }

    @Test func readerGetsExactlyWhatWasWrittenWithTimestamps() throws {
        let name = uniquePipeName("exact")
        defer { removeSegment(name) }
        let writer = try PipeWriter(name: name, format: PipeFormat(sampleRate: 48000, channels: 2, capacityFrames: 1024))
        let reader = try PipeReader(name: name)
        var buffer = [Float](repeating: 0, count: 8192)
        var expected: UInt64 = 0
        let startNs = dp_monotonic_ns()
        // Many wraps of the ring, blocks larger than capacity/4 included (split by the writer).
        for round in 0..<200 {
            let frames = [64, 128, 300, 700][round % 4]
            let captureNs = startNs + writer.writePosition * 1_000_000_000 / 48000
            write(writer, frames: frames, at: captureNs)
            var got = 0
            while let block = buffer.withUnsafeMutableBufferPointer({ reader.read(into: $0) }) {
                #expect(block.position == expected)
                #expect(!block.followsDiscontinuity)
                #expect(block.timestampNs == startNs + block.position * 1_000_000_000 / 48000)
                let mismatches = buffer.withUnsafeBufferPointer {
                    CounterSignal.mismatches(in: UnsafeBufferPointer(rebasing: $0[..<(block.frames * 2)]), position: block.position, channels: 2)
                }
                #expect(mismatches == 0)
                expected += UInt64(block.frames)
                got += block.frames
            }
            #expect(got == frames)
        }
        #expect(reader.status.overruns == 0)
        #expect(writer.readPosition == expected)
    }

    @Test func lappedReaderResyncsAndCountsTheOverrun() throws {
        let name = uniquePipeName("lapped")
        defer { removeSegment(name) }
        let writer = try PipeWriter(name: name, format: PipeFormat(capacityFrames: 1024))
        let reader = try PipeReader(name: name, targetLatencyFrames: 256)
        write(writer, frames: 128)
        var buffer = [Float](repeating: 0, count: 8192)
        #expect(buffer.withUnsafeMutableBufferPointer { reader.read(into: $0) }?.frames == 128)
        write(writer, frames: 2000)  // more than the ring: the reader was lapped
        let block = try #require(buffer.withUnsafeMutableBufferPointer { reader.read(into: $0) })
        #expect(block.followsDiscontinuity)
        #expect(block.position == writer.writePosition - 256)
        #expect(block.frames == 256)
        #expect(reader.status.overruns == 1)
        let mismatches = buffer.withUnsafeBufferPointer {
            CounterSignal.mismatches(in: UnsafeBufferPointer(rebasing: $0[..<512]), position: block.position, channels: 2)
        }
        #expect(mismatches == 0)
    }

    @Test func stoppedWriterIsLostAtOnceAndARestartIsPickedUpOnTheSameObject() throws {
        let name = uniquePipeName("restart")
        defer { removeSegment(name) }
        let format = try PipeFormat(capacityFrames: 1024)
        var writer: PipeWriter? = try PipeWriter(name: name, format: format)
        let firstInode = try inode(name)
        let reader = try PipeReader(name: name)
        write(writer!, frames: 64)
        #expect(reader.wait(timeoutMilliseconds: 100) == .data)
        writer = nil  // stops: active = 0, readers woken
        #expect(reader.wait(timeoutMilliseconds: 100) == .lost)
        #expect(reader.status.state == .lost)

        let restarted = try PipeWriter(name: name, format: format)
        #expect(try inode(name) == firstInode)
        #expect(restarted.generationNumber == 2)
        write(restarted, frames: 64)
        // The reader notices the new generation and starts at its write position: no stale audio.
        _ = reader.wait(timeoutMilliseconds: 20)
        #expect(reader.status.state == .connected)
        #expect(reader.status.generation == 2)
        #expect(reader.status.reconnects == 1)
        write(restarted, frames: 64)
        #expect(reader.wait(timeoutMilliseconds: 100) == .data)
        var buffer = [Float](repeating: 0, count: 4096)
        let block = try #require(buffer.withUnsafeMutableBufferPointer { reader.read(into: $0) })
        #expect(block.followsDiscontinuity)
        #expect(block.frames == 64)
        #expect(block.position == restarted.writePosition - 64)
    }

    @Test func newCapacityReplacesTheObjectAndReadersFindItByReopening() throws {
        let name = uniquePipeName("capacity")
        defer { removeSegment(name) }
        var writer: PipeWriter? = try PipeWriter(name: name, format: PipeFormat(capacityFrames: 1024))
        let firstInode = try inode(name)
        let reader = try PipeReader(name: name)
        writer = nil
        writer = try PipeWriter(name: name, format: PipeFormat(capacityFrames: 8192))
        #expect(try inode(name) != firstInode)
        write(writer!, frames: 64)
        // The reader re-opens the name at most once a second while lost.
        let deadline = Date().addingTimeInterval(5)
        while reader.status.format?.capacityFrames != 8192, Date() < deadline {
            _ = reader.wait(timeoutMilliseconds: 100)
            write(writer!, frames: 64)
        }
        #expect(reader.status.format?.capacityFrames == 8192)
        #expect(reader.status.state == .connected)
    }

    @Test func formatsOutOfRangeAreRefusedWithTheirReason() {
        #expect(throws: PipeError.badFormat("channel count 9 is outside 1–8")) { try PipeFormat(channels: 9) }
        #expect(throws: PipeError.badFormat("sample rate 7999 is outside 8000–384000")) { try PipeFormat(sampleRate: 7999) }
        #expect(throws: PipeError.badFormat("capacity 3000 is not a power of two in 1024–65536")) { try PipeFormat(capacityFrames: 3000) }
    }
}
