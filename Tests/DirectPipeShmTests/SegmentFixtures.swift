import CDirectPipeShm
import DirectPipeShm
import Foundation

/// Unique pipe names, so tests can run in parallel and beside a real DirectPipe.
func uniquePipeName(_ label: String) -> PipeName {
    let suffix = "t\(getpid())-\(label)-\(UInt32.random(in: 0...UInt32.max))"
    return try! PipeName(String(suffix.prefix(32)))
}

/// Where a pipe's object lives on Linux (shm_open names map into /dev/shm).
func shmPath(_ name: PipeName) -> String { "/dev/shm" + name.rawValue }

/// A well-formed protocol v1 header, to be spoiled by tests.
func validHeader(rate: UInt32 = 48000, channels: UInt32 = 2, capacity: UInt32 = 1024) -> dp_header {
    var header = dp_header()
    header.sample_rate = rate
    header.channels = channels
    header.buffer_frames = capacity
    header.version = DP_PROTOCOL_VERSION
    header.active = 1
    header.magic = DP_MAGIC
    header.header_bytes = DP_HEADER_BYTES
    header.writer_pid = 1
    header.generation = 1
    return header
}

/// Writes a hand-made segment (header, then `totalBytes` in all) under `name`.
func writeSegment(_ header: dp_header, totalBytes: Int, as name: PipeName) throws {
    var bytes = [UInt8](repeating: 0, count: totalBytes)
    withUnsafeBytes(of: header) { raw in
        for index in 0..<min(raw.count, totalBytes) { bytes[index] = raw[index] }
    }
    try Data(bytes).write(to: URL(fileURLWithPath: shmPath(name)))
}

func removeSegment(_ name: PipeName) {
    try? FileManager.default.removeItem(atPath: shmPath(name))
}

/// Reads a little-endian integer at a byte offset of a file (the layout as another program sees it).
func readInteger<T: FixedWidthInteger>(_: T.Type, at offset: Int, in path: String) throws -> T {
    let data = try Data(contentsOf: URL(fileURLWithPath: path))
    return data[offset..<(offset + MemoryLayout<T>.size)].reversed().reduce(T(0)) { $0 << 8 | T($1) }
}

/// Writes a little-endian integer at a byte offset of a file, in place (what any process of the user can do
/// to a segment it maps).
func writeInteger<T: FixedWidthInteger>(_ value: T, at offset: Int, in path: String) throws {
    let file = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? file.close() }
    try file.seek(toOffset: UInt64(offset))
    try file.write(contentsOf: withUnsafeBytes(of: value.littleEndian) { Data($0) })
}
