import CDirectPipeShm
import DirectPipeShm
import Foundation
import Testing

/// The reader library's out-structs carry the caller's size: a caller built when a struct was shorter gets its
/// prefix filled and nothing written past it; an unsized struct is refused, not filled blind.
@Suite struct ReaderStructSizeTests {
    /// A C reader of a live pipe (its writer alive for the length of `body`) with 64 frames waiting.
    private func withLiveReader(_ label: String, _ body: (PipeWriter, OpaquePointer) throws -> Void) throws {
        let name = uniquePipeName(label)
        defer { removeSegment(name) }
        let writer = try PipeWriter(name: name, format: PipeFormat(channels: 2, capacityFrames: 1024))
        var handle: OpaquePointer?
        #expect(dp_reader_open(name.rawValue, 0, 0, &handle) == DP_OK)
        let reader = try #require(handle)
        defer { dp_reader_close(reader) }
        let samples = [Float](repeating: 0.25, count: 64 * 2)
        samples.withUnsafeBufferPointer { writer.write($0, captureTimeNs: dp_monotonic_ns()) }
        try body(writer, reader)
    }

    @Test func aShorterReadInfoGetsItsPrefixAndNothingBeyond() throws {
        try withLiveReader("size-info") { writer, reader in
            var info = dp_read_info()
            info.struct_size = UInt32(MemoryLayout<dp_read_info>.offset(of: \.timestamp_ns)!)  // a caller that knew position only
            info.timestamp_ns = 0xDEAD
            info.format.channels = 77
            var buffer = [Float](repeating: 0, count: 256)
            #expect(buffer.withUnsafeMutableBufferPointer { dp_reader_read(reader, $0.baseAddress, 256, &info) } == 64)
            #expect(info.position == writer.writePosition - 64, "its prefix is filled")
            #expect(info.timestamp_ns == 0xDEAD && info.format.channels == 77, "nothing past its size is written")
            #expect(info.struct_size == UInt32(MemoryLayout<dp_read_info>.offset(of: \.timestamp_ns)!), "its size stays its own")
        }
    }

    @Test func aShorterStatusGetsItsPrefixAndNothingBeyond() throws {
        try withLiveReader("size-status") { _, reader in
            var status = dp_reader_status()
            status.struct_size = UInt32(MemoryLayout<dp_reader_status>.offset(of: \.last_error)!)  // state only
            status.state = DP_READER_LOST
            status.generation = 4242
            #expect(dp_reader_get_status(reader, &status) == DP_OK)
            #expect(status.state == DP_READER_CONNECTED && status.generation == 4242)
            var full = dp_reader_status()
            full.struct_size = UInt32(MemoryLayout<dp_reader_status>.size)
            #expect(dp_reader_get_status(reader, &full) == DP_OK)
            #expect(full.state == DP_READER_CONNECTED && full.format.channels == 2 && full.fill_frames == 64)
        }
    }

    @Test func anUnsizedStructIsRefused() throws {
        try withLiveReader("size-none") { _, reader in
            var status = dp_reader_status()
            status.generation = 4242
            #expect(dp_reader_get_status(reader, &status) == DP_ERR_INVALID_ARGUMENT && status.generation == 4242)
            var info = dp_read_info()
            var buffer = [Float](repeating: 0, count: 256)
            #expect(
                buffer.withUnsafeMutableBufferPointer { dp_reader_read(reader, $0.baseAddress, 256, &info) } == -Int(DP_ERR_INVALID_ARGUMENT.rawValue)
            )
            info.struct_size = UInt32(MemoryLayout<dp_read_info>.size)
            #expect(buffer.withUnsafeMutableBufferPointer { dp_reader_read(reader, $0.baseAddress, 256, &info) } == 64, "and nothing was taken")
        }
    }
}
