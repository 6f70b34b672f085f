import CDirectPipeShm
import DirectPipeShm
import Foundation
import Testing

/// The reader library's out-structs carry the caller's size: a caller built when a struct was shorter gets its
/// prefix filled and nothing written past it; an unsized struct is refused, not filled blind.
@Suite struct ReaderStructSizeTests {
    private func openReader(_ name: PipeName, frames: Int) throws -> (PipeWriter, OpaquePointer) {
        let writer = try PipeWriter(name: name, format: PipeFormat(channels: 2, capacityFrames: 1024))
        var handle: OpaquePointer?
        #expect(dp_reader_open(name.rawValue, 0, 0, &handle) == DP_OK)
        let samples = [Float](repeating: 0.25, count: frames * 2)
        samples.withUnsafeBufferPointer { writer.write($0, captureTimeNs: dp_monotonic_ns()) }
        return (writer, try #require(handle))
    }

    @Test func aShorterReadInfoGetsItsPrefixAndNothingBeyond() throws {
        let name = uniquePipeName("size-info")
        defer { removeSegment(name) }
        let (writer, reader) = try openReader(name, frames: 64)
        defer { dp_reader_close(reader) }
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

    @Test func aShorterStatusGetsItsPrefixAndNothingBeyond() throws {
        let name = uniquePipeName("size-status")
        defer { removeSegment(name) }
        let (writer, reader) = try openReader(name, frames: 64)  // the writer lives to the end: a live pipe
        defer { withExtendedLifetime(writer) { dp_reader_close(reader) } }
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

    @Test func anUnsizedStructIsRefused() throws {
        let name = uniquePipeName("size-none")
        defer { removeSegment(name) }
        let (writer, reader) = try openReader(name, frames: 64)  // the writer lives to the end: a live pipe
        defer { withExtendedLifetime(writer) { dp_reader_close(reader) } }
        var status = dp_reader_status()
        status.generation = 4242
        #expect(dp_reader_get_status(reader, &status) == DP_ERR_INVALID_ARGUMENT && status.generation == 4242)
        var info = dp_read_info()
        var buffer = [Float](repeating: 0, count: 256)
        #expect(buffer.withUnsafeMutableBufferPointer { dp_reader_read(reader, $0.baseAddress, 256, &info) } == -Int(DP_ERR_INVALID_ARGUMENT.rawValue))
        info.struct_size = UInt32(MemoryLayout<dp_read_info>.size)
        #expect(buffer.withUnsafeMutableBufferPointer { dp_reader_read(reader, $0.baseAddress, 256, &info) } == 64, "and nothing was taken")
    }
}
