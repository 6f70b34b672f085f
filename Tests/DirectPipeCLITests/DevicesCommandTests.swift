import Foundation
import Testing

@Suite struct DevicesCommandTests {
    @Test func aPipeWireDaemonThatAcceptsButNeverAnswersIsNoDaemon() throws {
        // A hung daemon: its socket accepts connections (the kernel's backlog does) and nothing answers.
        let runtime = FileManager.default.temporaryDirectory.appendingPathComponent("dp-hung-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: runtime, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: runtime) }
        let socketPath = runtime.appendingPathComponent("pipewire-0").path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: socketPath.utf8.prefix($0.count - 1)) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) == 0 }
        }
        try #require(bound && listen(fd, 16) == 0, "cannot listen on \(socketPath)")
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_RUNTIME_DIR"] = runtime.path
        environment["PIPEWIRE_RUNTIME_DIR"] = runtime.path
        environment.removeValue(forKey: "PIPEWIRE_REMOTE")
        let devices = try TestProcess(Programs.directpipe, ["devices"], environment: environment)
        #expect(devices.finish(timeout: 60) == 0, "\(devices.errorOutput)")
        #expect(devices.output.contains("PipeWire: no daemon answers"), "not an empty list: \(devices.output)")
    }

    @Test func listsJackPortsAndAlsaDevices() throws {
        let server = try JackServer("devices")
        let list = try TestProcess(Programs.directpipe, ["devices", "--jack-server", server.name, "--json"])
        #expect(list.finish() == 0, "\(list.errorOutput)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(list.output.utf8)) as? [String: Any])
        let jack = try #require(object["jack"] as? [String: Any], "\(list.output)")
        #expect(jack.int("sample_rate") == 48000 && jack.int("period_frames") == 128)
        let capture = try #require(jack["capture"] as? [[String: Any]])
        #expect(capture.contains { $0.string("name") == "system:capture_1" && $0.string("description") == "physical" })
        let playback = try #require(jack["playback"] as? [[String: Any]])
        #expect(playback.contains { $0.string("name") == "system:playback_1" })
        let alsa = try #require(object["alsa_capture"] as? [[String: Any]])
        #expect(alsa.contains { $0.string("name") == "null" }, "ALSA's own null device is always there")

        server.stop()
        let without = try TestProcess(Programs.directpipe, ["devices", "--jack-server", server.name])
        #expect(without.finish() == 0)
        #expect(without.output.contains("JACK: no server running"))
        #expect(without.errorOutput.isEmpty, "no libjack or libasound noise: \(without.errorOutput)")
    }

    /// ALSA devices with their formats: hardware ones always (none on this machine), every one with
    /// --all-formats. ALSA's jack plugin on a real jackd is a device with real limits: one port each way gives
    /// one channel, the server's rate, float samples.
    @Test func alsaDevicesComeWithTheirFormats() throws {
        let server = try JackServer("formats")
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-formats-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: home, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: home) }
        try """
        pcm.dp_jack_mono {
            type jack
            capture_ports { 0 system:capture_1 }
            playback_ports { 0 system:playback_1 }
            hint { show on description "one JACK port each way" }
        }
        """.write(to: home.appendingPathComponent(".asoundrc"), atomically: true, encoding: .utf8)
        var environment = ProcessInfo.processInfo.environment
        environment["HOME"] = home.path
        environment["JACK_DEFAULT_SERVER"] = server.name
        func devices(_ arguments: [String]) throws -> TestProcess {
            let run = try TestProcess(Programs.directpipe, ["devices"] + arguments, environment: environment)
            run.finish()
            return run
        }
        let probed = try devices(["--all-formats", "--json"])
        let object = try #require(try JSONSerialization.jsonObject(with: Data(probed.output.utf8)) as? [String: Any], "\(probed.errorOutput)")
        for direction in ["alsa_capture", "alsa_playback"] {
            let device = try #require((object[direction] as? [[String: Any]])?.first { $0.string("name") == "dp_jack_mono" }, "\(direction)")
            let formats = try #require(device["formats"] as? [String: Any], "\(direction): \(device)")
            #expect(formats.int("channels_min") == 1 && formats.int("channels_max") == 1, "\(direction): \(formats)")
            #expect(formats.int("rate_min") == 48000 && formats.int("rate_max") == 48000, "\(direction): \(formats)")
            #expect((formats["sample_formats"] as? [String])?.contains("FLOAT_LE") == true, "\(direction): \(formats)")
        }
        let text = try devices(["--all-formats"])
        #expect(text.output.contains("dp_jack_mono  (one JACK port each way)\n      1 ch, 48000 Hz, FLOAT_LE"), "\(text.output)")
        #expect(text.errorOutput.isEmpty, "no libjack or libasound noise: \(text.errorOutput)")
        let plain = try devices(["--json"])
        let unprobed = try #require(try JSONSerialization.jsonObject(with: Data(plain.output.utf8)) as? [String: Any])
        let device = (unprobed["alsa_capture"] as? [[String: Any]])?.first { $0.string("name") == "dp_jack_mono" }
        #expect(device != nil && device?["formats"] == nil, "plugins are not opened unless asked: \(String(describing: device))")
    }
}
