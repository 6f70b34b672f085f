import DirectPipeSetup
import Foundation
import Testing

/// The systemd user unit: what it starts, where it goes, and that removing it removes only it.
@Suite struct UserServiceTests {
    @Test func theUnitRunsTheHostWithItsAPIAndComesBackWhenItFails() {
        let unit = UserService.unit(executable: "/usr/bin/directpipe", options: ["--backend", "jack", "--monitor", "my headphones"])
        #expect(unit.contains("ExecStart=/usr/bin/directpipe run --api --quiet --backend jack --monitor \"my headphones\"\n"))
        #expect(unit.contains("Restart=on-failure") && unit.contains("WantedBy=default.target"))
    }

    @Test func installWritesTheUnitWhereSystemdLooksAndUninstallRemovesIt() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-unit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: home) }
        let environment = ["XDG_CONFIG_HOME": home.path]
        let path = try UserService.install(executable: "/usr/bin/directpipe", options: [], environment: environment)
        #expect(path == home.path + "/systemd/user/directpipe.service")
        #expect(try String(contentsOfFile: path, encoding: .utf8) == UserService.unit(executable: "/usr/bin/directpipe", options: []))
        #expect(try UserService.uninstall(environment: environment))
        #expect(!FileManager.default.fileExists(atPath: path))
        #expect(try !UserService.uninstall(environment: environment), "nothing to remove the second time")
    }
}
