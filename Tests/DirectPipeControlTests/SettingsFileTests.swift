import DirectPipeControl
import Foundation
import Testing

@Suite struct SettingsFileTests {
    private func file(_ text: String) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dp-config-\(UUID().uuidString).json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func aGoodFileIsReadAndFlagsOverrideIt() throws {
        let path = try file(
            #"{"backend": "clock", "rate": 44100, "period": 256, "channels": 1, "gain_db": -3.5, "pipe": "voice", "mic_default": true}"#)
        defer { try? FileManager.default.removeItem(atPath: path) }
        let settings = try #require(try SettingsFile.load(path: path))
        #expect(settings.rate?.value == 44100 && settings.period?.value == 256 && settings.channels?.value == 1)
        #expect(settings.gainDB?.value == -3.5 && settings.backend == .clock)
        #expect(settings.micDefault == true && settings.virtualMic == nil)
        var flags = RunSettings()
        flags.period = try PeriodFrames(argument: "64")
        let merged = settings.overridden(by: flags)
        #expect(merged.period?.value == 64 && merged.rate?.value == 44100 && merged.pipe == "voice")
    }

    @Test func aMissingDefaultFileIsFineAndAMissingNamedOneIsNot() throws {
        let path = "/nonexistent/directpipe/config.json"
        #expect(try SettingsFile.load(path: path) == nil)
        #expect(throws: SettingsError(path: path, key: nil, problem: "cannot be read")) { try SettingsFile.load(path: path, required: true) }
    }

    @Test(arguments: [
        (#"{"period": 5}"#, ":1: 'period' 5 is outside 16–8192 frames"),
        (#"{"rate": "fast"}"#, "'rate' must be a whole number of Hz, not \"fast\""),
        (#"{"rate": 48000.5}"#, "'rate' must be a whole number of Hz, not 48000.5"),
        (#"{"channels": true}"#, "'channels' must be a whole number of channels (1 mono, 2 stereo), not true"),
        (#"{"perod": 128}"#, "'perod' is not a setting (did you mean 'period'?)"),
        (#"{"backend": "asio"}"#, "'backend' 'asio' is not one of auto, pipewire, jack, alsa, file, clock"),
        (#"{"gain_db": 40}"#, "'gain_db' 40 is outside -60–24 dB"),
        (#"{"virtual_mic": "yes"}"#, "'virtual_mic' must be true or false, not \"yes\""),
        (#"{"monitor_clock": "ours"}"#, "'monitor_clock' 'ours' is not one of auto, shared, own"),
        (#"{"monitor": ""}"#, "'monitor' is empty: leave it out for the default, or say \"none\""),
        (#"{"mic_to": "alsa:"}"#, "'mic_to' 'alsa:' names no device"),
        ("{\n  \"rate\": 48000,\n  \"input\": 7\n}", ":3: 'input' must be a device name as a string, not 7"),
        (#"[1, 2]"#, "must hold a JSON object"),
        (#"{"rate": 48000,"#, "is not valid JSON"),
    ])
    func aBadFileNamesTheFileTheKeyAndTheProblem(text: String, expected: String) throws {
        let path = try file(text)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try SettingsFile.load(path: path)
            Issue.record("accepted \(text)")
        } catch {
            #expect(error.description.hasPrefix(path), "\(error)")
            #expect(error.description.contains(expected), "\(error)")
        }
    }

    @Test func theDefaultPathFollowsXDG() {
        #expect(SettingsFile.defaultPath.hasSuffix("/directpipe/config.json"))
    }
}
