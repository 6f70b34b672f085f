import Foundation
import Testing

/// The C reader library ships to machines without Swift: it must need libc only.
@Suite struct NativeLibraryTests {
    @Test func readerLibraryDependsOnLibcOnly() throws {
        let readelf = try TestProcess(URL(fileURLWithPath: "/usr/bin/readelf"), ["-d", Programs.readerLibrary.path])
        #expect(readelf.finish() == 0, "\(readelf.errorOutput)")
        let needed = readelf.output.split(separator: "\n").filter { $0.contains("(NEEDED)") }
        #expect(needed.count == 1 && needed[0].contains("[libc.so.6]"), "\(needed)")
        #expect(!readelf.output.contains("RUNPATH") && !readelf.output.contains("RPATH"))
        #expect(readelf.output.contains("Library soname: [libdirectpipe-reader.so.2]"))
    }

    @Test func readerLibraryExportsItsDocumentedAPI() throws {
        let nm = try TestProcess(URL(fileURLWithPath: "/usr/bin/nm"), ["-D", "--defined-only", Programs.readerLibrary.path])
        #expect(nm.finish() == 0)
        for symbol in [
            "dp_reader_open", "dp_reader_wait", "dp_reader_read", "dp_reader_get_status",
            "dp_reader_timestamp", "dp_reader_close", "dp_segment_validate", "dp_error_string",
        ] {
            #expect(nm.output.contains(" T \(symbol)\n"), "\(symbol) not exported")
        }
    }
}
