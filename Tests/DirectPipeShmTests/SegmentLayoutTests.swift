import CDirectPipeShm
import DirectPipeShm
import Foundation
import Testing

/// The layout is PROTOCOL.md's table: the C header asserts it at compile
/// time; these check that Swift sees the same struct and that a segment the
/// Swift writer makes has every field at its documented byte offset.
@Suite struct SegmentLayoutTests {
    @Test func swiftSeesTheProtocolOffsets() {
        let table: [(PartialKeyPath<dp_header>, Int)] = [
            (\.write_pos, 0), (\.read_pos, 64), (\.sample_rate, 128), (\.channels, 132),
            (\.buffer_frames, 136), (\.version, 140), (\.active, 144), (\.magic, 148),
            (\.header_bytes, 152), (\.writer_pid, 156), (\.generation, 160), (\.data_seq, 192),
            (\.waiters, 196), (\.clock_seq, 200), (\.clock_pos, 208), (\.clock_ns, 216),
        ]
        for (field, offset) in table {
            #expect(MemoryLayout<dp_header>.offset(of: field) == offset, "\(field)")
        }
        #expect(MemoryLayout<dp_header>.size == 256)
        #expect(DP_HEADER_BYTES == 256)
    }

    @Test func swiftWriterPutsEveryFieldWhereTheProtocolSays() throws {
        let name = uniquePipeName("layout")
        defer { removeSegment(name) }
        let writer = try PipeWriter(name: name, format: PipeFormat(sampleRate: 44100, channels: 3, capacityFrames: 2048))
        let frames = [Float](repeating: 0.25, count: 100 * 3)
        frames.withUnsafeBufferPointer { writer.write($0, captureTimeNs: 123_456_789) }
        let path = shmPath(name)
        #expect(try readInteger(UInt64.self, at: 0, in: path) == 100)
        #expect(try readInteger(UInt32.self, at: 128, in: path) == 44100)
        #expect(try readInteger(UInt32.self, at: 132, in: path) == 3)
        #expect(try readInteger(UInt32.self, at: 136, in: path) == 2048)
        #expect(try readInteger(UInt32.self, at: 140, in: path) == 1)
        #expect(try readInteger(UInt32.self, at: 144, in: path) == 1)
        #expect(try readInteger(UInt32.self, at: 148, in: path) == 0x5049_5044)
        #expect(Array(try Data(contentsOf: .init(fileURLWithPath: path))[148..<152]) == Array("DPIP".utf8))
        #expect(try readInteger(UInt32.self, at: 152, in: path) == 256)
        #expect(try readInteger(UInt32.self, at: 156, in: path) == UInt32(getpid()))
        #expect(try readInteger(UInt32.self, at: 160, in: path) == 1)
        #expect(try readInteger(UInt32.self, at: 192, in: path) == 1)
        #expect(try readInteger(UInt32.self, at: 200, in: path) == 2)
        #expect(try readInteger(UInt64.self, at: 208, in: path) == 0)
        #expect(try readInteger(UInt64.self, at: 216, in: path) == 123_456_789)
        let size = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int
        #expect(size == 256 + 2048 * 3 * 4)
        // The first sample sits at byte 256.
        #expect(try readInteger(UInt32.self, at: 256, in: path) == Float(0.25).bitPattern)
        // And C validates what Swift wrote.
        let bytes = try [UInt8](Data(contentsOf: .init(fileURLWithPath: path)))
        var format = dp_format()
        #expect(bytes.withUnsafeBytes { dp_segment_validate($0.baseAddress, $0.count, &format) } == DP_OK)
        #expect(format.sample_rate == 44100 && format.channels == 3 && format.buffer_frames == 2048)
    }

    @Test func cValidatesAHandMadeSegmentTheSwiftReaderAccepts() throws {
        let name = uniquePipeName("handmade")
        defer { removeSegment(name) }
        try writeSegment(validHeader(rate: 96000, channels: 1, capacity: 1024), totalBytes: 256 + 1024 * 4, as: name)
        let reader = try PipeReader(name: name)
        #expect(reader.status.format == (try PipeFormat(sampleRate: 96000, channels: 1, capacityFrames: 1024)))
    }

    @Test func pipeNamesFollowTheProtocol() throws {
        #expect(try PipeName("voice").rawValue == "/DirectPipeAudio-voice")
        #expect(try PipeName("/DirectPipeAudio").rawValue == "/DirectPipeAudio")
        #expect(try PipeName(String(repeating: "a", count: 32)).rawValue.hasSuffix("-" + String(repeating: "a", count: 32)))
        for bad in ["", "Voice", "a b", "/Other", "/DirectPipeAudio-", String(repeating: "a", count: 33), "/DirectPipeAudioX"] {
            #expect(throws: PipeError.badName(bad)) { try PipeName(bad) }
        }
    }
}

/// docs/PROTOCOL.md ships with the code for readers' authors; it must stay the
/// normative text in shared/ (beside the checkout, where it exists).
@Suite struct ProtocolDocumentTests {
    @Test func shippedProtocolIsTheNormativeOne() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let normative = root.deletingLastPathComponent().appendingPathComponent("shared/PROTOCOL.md")
        let shipped = try String(contentsOf: root.appendingPathComponent("docs/PROTOCOL.md"), encoding: .utf8)
        #expect(shipped.contains("# DirectPipe shared-memory audio protocol, version 1"))
        guard let expected = try? String(contentsOf: normative, encoding: .utf8) else { return }  // no shared/ here
        #expect(shipped == expected, "docs/PROTOCOL.md differs from shared/PROTOCOL.md: copy it over")
    }
}
