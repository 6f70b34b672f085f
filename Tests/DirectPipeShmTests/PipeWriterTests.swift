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

    @Test func aReusedObjectWhosePositionIsAboutToWrapIsWrittenOnNotTrappedOn() throws {
        let name = uniquePipeName("wrap")
        defer { removeSegment(name) }
        let format = try PipeFormat(sampleRate: 48000, channels: 2, capacityFrames: 1024)
        do { write(try PipeWriter(name: name, format: format), frames: 64) }  // stopped: the object stays
        // Another process of the user leaves write_pos 100 frames short of 2^64; the next writer reuses the object.
        try writeInteger(UInt64.max - 99, at: MemoryLayout<dp_header>.offset(of: \dp_header.write_pos)!, in: shmPath(name))
        let writer = try PipeWriter(name: name, format: format)
        let reader = try PipeReader(name: name)
        for _ in 0..<4 { write(writer, frames: 64) }
        #expect(writer.writePosition == 156, "the position wrapped past 2^64")
        write(writer, frames: 64)
        var buffer = [Float](repeating: 0, count: 4096)
        #expect(reader.wait(timeoutMilliseconds: 1000) == .data)
        let block = buffer.withUnsafeMutableBufferPointer { reader.read(into: $0) }
        #expect((block?.frames ?? 0) > 0, "a reader reads on after the wrap")
    }

    @Test func aWriterStartingOverForgetsReadersThatDiedWhileWaiting() throws {
        let name = uniquePipeName("waiters")
        defer { removeSegment(name) }
        let format = try PipeFormat(sampleRate: 48000, channels: 2, capacityFrames: 1024)
        do { write(try PipeWriter(name: name, format: format), frames: 64) }
        // A reader SIGKILLed inside its futex wait leaves its count behind.
        let offset = MemoryLayout<dp_header>.offset(of: \dp_header.waiters)!
        try writeInteger(UInt32(1), at: offset, in: shmPath(name))
        _ = try PipeWriter(name: name, format: format)
        #expect(try readInteger(UInt32.self, at: offset, in: shmPath(name)) == 0)
    }

    @Test func aReaderWaitingAcrossThatResetWithdrawsNoLowerThanZero() throws {
        let name = uniquePipeName("withdraw")
        defer { removeSegment(name) }
        let writer = try PipeWriter(name: name, format: PipeFormat(sampleRate: 48000, channels: 2, capacityFrames: 1024))
        write(writer, frames: 64)
        let reader = try PipeReader(name: name)
        var buffer = [Float](repeating: 0, count: 4096)
        _ = buffer.withUnsafeMutableBufferPointer { reader.read(into: $0) }
        let offset = MemoryLayout<dp_header>.offset(of: \dp_header.waiters)!
        final class Outcome: @unchecked Sendable { var result: PipeReader.WaitResult? }
        let outcome = Outcome(), returned = DispatchSemaphore(value: 0)
        nonisolated(unsafe) let waiting = reader
        Thread {
            outcome.result = waiting.wait(timeoutMilliseconds: 5000)
            returned.signal()
        }.start()
        let deadline = Date().addingTimeInterval(5)
        while try readInteger(UInt32.self, at: offset, in: shmPath(name)) != 1, Date() < deadline { usleep(1000) }
        try #require(try readInteger(UInt32.self, at: offset, in: shmPath(name)) == 1, "the reader is waiting")
        try writeInteger(UInt32(0), at: offset, in: shmPath(name))  // what a new writer's start does
        write(writer, frames: 64)
        #expect(returned.wait(timeout: .now() + 10) == .success)
        #expect(outcome.result == .data)
        #expect(try readInteger(UInt32.self, at: offset, in: shmPath(name)) == 0, "not 2^32 - 1")
    }

    @Test func aWriterPreemptedInsideItsClockSeqlockCostsNoFrame() throws {
        let name = uniquePipeName("seqlock")
        defer { removeSegment(name) }
        let writer = try PipeWriter(name: name, format: PipeFormat(sampleRate: 48000, channels: 2, capacityFrames: 4096))
        let reader = try PipeReader(name: name)
        for _ in 0..<8 { write(writer, frames: 128) }
        var half = [Float](repeating: 0, count: 512 * 2)
        let first = try #require(half.withUnsafeMutableBufferPointer { reader.read(into: $0) })
        #expect(first.frames == 512)
        // The writer is preempted between the odd and the even store of clock_seq (a non-real-time writer, a
        // busy machine): readers find the seqlock held for as long as it sleeps.
        let offset = MemoryLayout<dp_header>.offset(of: \dp_header.clock_seq)!
        let sequence = try readInteger(UInt32.self, at: offset, in: shmPath(name))
        try writeInteger(sequence | 1, at: offset, in: shmPath(name))
        let during = half.withUnsafeMutableBufferPointer { reader.read(into: $0) }
        #expect(during?.frames == 512 && during?.position == first.position + 512, "the unread frames, in order: \(String(describing: during))")
        #expect(during?.followsDiscontinuity == false && during?.timestampNs != nil, "\(String(describing: during))")
        #expect(reader.status.state == .connected)
        try writeInteger((sequence | 1) &+ 1, at: offset, in: shmPath(name))  // it runs again and closes the seqlock
        write(writer, frames: 128)
        let after = half.withUnsafeMutableBufferPointer { reader.read(into: $0) }
        #expect(
            after?.frames == 128 && after?.position == first.position + 1024 && after?.followsDiscontinuity == false,
            "\(String(describing: after))")
    }

    @Test func aWriterHalfWayThroughItsStartKeepsASecondOneOut() throws {
        let name = uniquePipeName("race")
        defer { removeSegment(name) }
        let format = try PipeFormat(sampleRate: 48000, channels: 2, capacityFrames: 1024)
        // Another host between its ftruncate and its start on a fresh name: the object sized, the header still
        // empty (active 0), its writer's lock held. Judged by the header alone, it looked free.
        let fd = shm_open(name.rawValue, O_RDWR | O_CREAT, 0o600)
        defer { close(fd) }
        try #require(fd >= 0 && flock(fd, LOCK_EX | LOCK_NB) == 0)
        try #require(ftruncate(fd, off_t(format.segmentBytes)) == 0)
        do {
            _ = try PipeWriter(name: name, format: format)
            Issue.record("a second writer started on a pipe another was starting on")
        } catch {
            guard case .busy = error else { Issue.record("\(error)"); return }
        }
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
