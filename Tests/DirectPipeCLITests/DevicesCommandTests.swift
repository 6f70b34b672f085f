import Foundation
import Testing

@Suite struct DevicesCommandTests {
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
}
