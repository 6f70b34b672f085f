import Foundation
import Testing

/// What works on files alone, without a running host: the systemd user unit, and exporting and importing
/// preset files.
@Suite struct ServiceAndPresetFileTests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-files-\(UUID().uuidString)")
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = home.path
        return environment
    }

    func directpipe(_ arguments: [String]) throws -> TestProcess {
        let run = try TestProcess(Programs.directpipe, arguments, environment: environment)
        run.finish()
        return run
    }

    @Test func theServiceUnitIsValidForSystemdAndRunsThisProgram() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let install = try directpipe(["service", "install", "--", "--chain", "voice"])
        #expect(install.process.terminationStatus == 0, "\(install.errorOutput)")
        let unit = home.appendingPathComponent("systemd/user/directpipe.service").path
        let text = try String(contentsOfFile: unit, encoding: .utf8)
        #expect(text.contains("ExecStart=\(Programs.directpipe.resolvingSymlinksInPath().path) run --api --quiet --chain voice"), "\(text)")
        let verify = try TestProcess(URL(fileURLWithPath: "/usr/bin/systemd-analyze"), ["verify", unit])
        #expect(verify.finish() == 0, "\(verify.output)\(verify.errorOutput)")
        #expect(try directpipe(["service", "uninstall"]).process.terminationStatus == 0)
        #expect(!FileManager.default.fileExists(atPath: unit))
    }

    @Test func presetsExportAndImportAndABrokenFileIsRefusedByLine() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let file = home.appendingPathComponent("shared.json").path
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        try #"{"format": 1, "name": "friend", "chain": {"effects": [{"id": "compressor", "parameters": {"ratio": 4}}]}}"#
            .write(toFile: file, atomically: true, encoding: .utf8)
        let imported = try directpipe(["ctl", "preset", "import", file, "mine"])
        #expect(imported.process.terminationStatus == 0, "\(imported.errorOutput)")
        let saved = home.appendingPathComponent("directpipe/presets/mine.json").path
        #expect(FileManager.default.fileExists(atPath: saved))
        let out = home.appendingPathComponent("out.json").path
        #expect(try directpipe(["ctl", "preset", "export", "mine", out]).process.terminationStatus == 0)
        #expect(try String(contentsOfFile: out, encoding: .utf8).contains("\"ratio\" : 4"))

        try "{\n\"format\": 1,\n\"name\": \"x\", \"chain\": {\"effects\": [}\n}".write(toFile: file, atomically: true, encoding: .utf8)
        let broken = try directpipe(["ctl", "preset", "import", file, "mine"])
        #expect(broken.process.terminationStatus != 0)
        #expect(broken.errorOutput.contains("shared.json: not valid JSON at line 3"), "\(broken.errorOutput)")
        #expect(try String(contentsOfFile: saved, encoding: .utf8).contains("compressor"), "the preset there is untouched")
    }
}
