import DirectPipeSetup
import Foundation
import Testing

/// The panel as an OBS custom browser dock: added to OBS's own file, updated by title, and a file OBS did not
/// write left as it is.
@Suite struct OBSBrowserDocksTests {
    private func docks(_ ini: String?, file: String = "global.ini") throws -> (OBSBrowserDocks, URL) {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-docks-\(UUID().uuidString)")
        let docks = OBSBrowserDocks(environment: ["XDG_CONFIG_HOME": home.path])
        try FileManager.default.createDirectory(at: docks.configFolder, withIntermediateDirectories: true)
        if let ini { try ini.write(to: docks.configFolder.appendingPathComponent(file), atomically: true, encoding: .utf8) }
        return (docks, home)
    }

    private func entries(_ docks: OBSBrowserDocks) throws -> [[String: String]] {
        let text = try String(contentsOf: docks.file, encoding: .utf8)
        let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("ExtraBrowserDocks=") })
        return try #require(try JSONSerialization.jsonObject(with: Data(line.dropFirst("ExtraBrowserDocks=".count).utf8)) as? [[String: String]])
    }

    @Test func aDockIsAddedBesideWhatOBSHasAndUpdatedByItsTitle() throws {
        let (docks, home) = try docks(
            "[General]\nName=x\n\n[BasicWindow]\nGeometry=abc\nExtraBrowserDocks=[{\"title\":\"Chat\",\"url\":\"https://c\",\"uuid\":\"1\"}]\n")
        defer { try? FileManager.default.removeItem(at: home) }
        #expect(try docks.add(title: "DirectPipe", url: "http://127.0.0.1:7480/#token=a"))
        #expect(try entries(docks).map { $0["title"] } == ["Chat", "DirectPipe"])
        #expect(try !docks.add(title: "DirectPipe", url: "http://127.0.0.1:7480/#token=a"), "the same again changes nothing")
        #expect(try docks.add(title: "DirectPipe", url: "http://127.0.0.1:7481/#token=b"))
        let entries = try entries(docks)
        #expect(entries.count == 2 && entries[1]["url"] == "http://127.0.0.1:7481/#token=b")
        let text = try String(contentsOf: docks.file, encoding: .utf8)
        #expect(text.contains("[General]\nName=x") && text.contains("Geometry=abc"), "the rest stays: \(text)")
    }

    @Test func withoutAFileOrSectionOneIsMade() throws {
        let (docks, home) = try docks(nil)
        defer { try? FileManager.default.removeItem(at: home) }
        #expect(try docks.add(title: "DirectPipe", url: "http://x/"))
        #expect(try String(contentsOf: docks.file, encoding: .utf8).hasPrefix("[BasicWindow]\nExtraBrowserDocks=[{"))
        #expect(docks.file.lastPathComponent == "global.ini")
    }

    /// OBS 30.2 and later keep their docks in user.ini; when it exists, that is the file.
    @Test func aNewerOBSsUserFileIsTheOneChanged() throws {
        let (docks, home) = try docks("[BasicWindow]\n", file: "user.ini")
        defer { try? FileManager.default.removeItem(at: home) }
        #expect(docks.file.lastPathComponent == "user.ini")
        #expect(try docks.add(title: "DirectPipe", url: "http://x/"))
        #expect(try entries(docks).count == 1)
    }

    @Test func aDocksLineOBSDidNotWriteIsNamedAndLeftAsItIs() throws {
        let broken = "[BasicWindow]\nExtraBrowserDocks=not json\n"
        let (docks, home) = try docks(broken)
        defer { try? FileManager.default.removeItem(at: home) }
        let error = #expect(throws: SetupError.self) { try docks.add(title: "DirectPipe", url: "http://x/") }
        #expect(error?.description.contains("ExtraBrowserDocks is not a list OBS wrote") == true, "\(String(describing: error))")
        #expect(try String(contentsOf: docks.file, encoding: .utf8) == broken)
    }
}
