import CDirectPipeShm
import DirectPipeShm
import Foundation
import Testing

/// Hand-made bad segments: every one is a typed error, never a crash or an
/// out-of-bounds read (the fuzz target covers arbitrary bytes).
@Suite struct BadSegmentTests {
    static let ringBytes = 256 + 1024 * 2 * 4

    struct Case: CustomTestStringConvertible, Sendable {
        var label: String
        var spoil: @Sendable (inout dp_header) -> Void
        var totalBytes = BadSegmentTests.ringBytes
        var expected: @Sendable (PipeName) -> PipeError
        var testDescription: String { label }
    }

    static let cases: [Case] = [
        Case(label: "wrong magic", spoil: { $0.magic = 0x1234_5678 }, expected: { .notDirectPipe($0) }),
        Case(label: "wrong version", spoil: { $0.version = 2 }, expected: { .unsupportedVersion($0) }),
        Case(label: "header_bytes mismatch", spoil: { $0.header_bytes = 512 }, expected: { .unsupportedHeaderSize($0) }),
        Case(label: "capacity not a power of two", spoil: { $0.buffer_frames = 3000 }, expected: { _ in .badFormatFromReader }),
        Case(label: "capacity too large", spoil: { $0.buffer_frames = 1 << 20 }, expected: { _ in .badFormatFromReader }),
        Case(label: "channels 0", spoil: { $0.channels = 0 }, expected: { _ in .badFormatFromReader }),
        Case(label: "channels 99", spoil: { $0.channels = 99 }, expected: { _ in .badFormatFromReader }),
        Case(label: "absurd rate", spoil: { $0.sample_rate = 4_000_000_000 }, expected: { _ in .badFormatFromReader }),
        Case(label: "rate 0", spoil: { $0.sample_rate = 0 }, expected: { _ in .badFormatFromReader }),
        Case(label: "shorter than the header", spoil: { _ in }, totalBytes: 100, expected: { .shortSegment($0) }),
        Case(label: "empty", spoil: { _ in }, totalBytes: 0, expected: { .shortSegment($0) }),
        Case(label: "shorter than its ring", spoil: { _ in }, totalBytes: 256 + 1024 * 2 * 4 - 4, expected: { .shortSegment($0) }),
        Case(label: "channels claim more than the file holds", spoil: { $0.channels = 8 }, expected: { .shortSegment($0) }),
    ]

    @Test(arguments: cases)
    func badSegmentIsATypedError(_ badCase: Case) throws {
        let name = uniquePipeName("bad")
        defer { removeSegment(name) }
        var header = validHeader()
        badCase.spoil(&header)
        try writeSegment(header, totalBytes: badCase.totalBytes, as: name)
        let expected = badCase.expected(name)
        do {
            _ = try PipeReader(name: name)
            Issue.record("\(badCase.label): accepted")
        } catch {
            if expected == .badFormatFromReader {
                guard case .badFormat = error else { Issue.record("\(badCase.label): \(error)"); return }
            } else {
                #expect(error == expected)
            }
        }
        // Waiting for a writer instead: no error thrown, the reason is in the status.
        let waiting = try PipeReader(name: name, waitForWriter: true)
        #expect(waiting.status.state == .waiting)
        #expect(waiting.status.lastError != nil)
        #expect(waiting.wait(timeoutMilliseconds: 10) == .lost)
    }

    @Test func missingPipeIsNotFound() {
        let name = uniquePipeName("missing")
        #expect(throws: PipeError.notFound(name)) { try PipeReader(name: name) }
    }

    /// Another process shrinks the object under both the writer and a reader:
    /// to nothing (every page gone: the memtrap catches the fault) or to 100
    /// bytes (the header's page stays: the periodic size check sees it).
    @Test(arguments: [0, 100])
    func segmentTruncatedWhileMappedIsReportedNotFaulted(toBytes bytes: Int) throws {
        let name = uniquePipeName("truncate")
        defer { removeSegment(name) }
        let writer = try PipeWriter(name: name, format: PipeFormat(capacityFrames: 1024))
        let reader = try PipeReader(name: name)
        let block = [Float](repeating: 0.5, count: 512 * 2)
        block.withUnsafeBufferPointer { writer.write($0, captureTimeNs: dp_monotonic_ns()) }
        var buffer = [Float](repeating: 0, count: 4096)
        #expect(buffer.withUnsafeMutableBufferPointer { reader.read(into: $0) }?.frames == 512)

        #expect(truncate(shmPath(name), off_t(bytes)) == 0)
        // The writer keeps writing without crashing; it knows once it touches a missing page.
        for _ in 0..<4 { block.withUnsafeBufferPointer { writer.write($0, captureTimeNs: dp_monotonic_ns()) } }
        if bytes == 0 { #expect(writer.isDamaged) }
        usleep(150_000)  // past the reader's size-check interval
        #expect(buffer.withUnsafeMutableBufferPointer { reader.read(into: $0) } == nil)
        let status = reader.status
        #expect(status.state == .lost)
        #expect(status.lastError == .shortSegment(name))
    }
}

extension PipeError {
    /// Stands for "any .badFormat": the reader's message is generic.
    fileprivate static let badFormatFromReader = PipeError.badFormat("")
}
