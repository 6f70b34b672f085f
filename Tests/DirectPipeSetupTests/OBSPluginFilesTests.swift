import DirectPipeSetup
import Foundation
import Testing

/// The OBS plugin copied into OBS's folder layout and removed whole.
@Suite struct OBSPluginFilesTests {
    @Test func theBuiltPluginIsCopiedIntoOBSsLayoutAndRemovedWhole() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dp-obsfiles-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let built = root.appendingPathComponent("built")
        try FileManager.default.createDirectory(at: built.appendingPathComponent("data/locale"), withIntermediateDirectories: true)
        try Data("ELF".utf8).write(to: built.appendingPathComponent(OBSPluginFiles.libraryName))
        try Data("Name=DirectPipe Audio".utf8).write(to: built.appendingPathComponent("data/locale/en-US.ini"))

        let location = OBSPluginFiles.user(environment: ["XDG_CONFIG_HOME": root.appendingPathComponent("config").path])
        #expect(location.library.path.hasSuffix("config/obs-studio/plugins/directpipe-obs/bin/64bit/directpipe-obs.so"))
        #expect(!OBSPluginFiles.isInstalled(location))
        try OBSPluginFiles.install(from: built, to: location)
        #expect(OBSPluginFiles.isInstalled(location))
        #expect(try String(contentsOf: location.data.appendingPathComponent("locale/en-US.ini"), encoding: .utf8) == "Name=DirectPipe Audio")
        #expect(try OBSPluginFiles.uninstall(location))
        #expect(!FileManager.default.fileExists(atPath: location.root.path))
        #expect(try !OBSPluginFiles.uninstall(location))
    }
}
