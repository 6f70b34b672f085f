import ArgumentParser
import DirectPipeAudio
import Foundation

/// `directpipe devices`: every input and output each backend offers now.
struct DevicesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "devices",
        abstract: "List what each backend can capture from and play to (names for --input, --monitor, --mic-to)."
    )

    @Option(help: "JACK server name (default: $JACK_DEFAULT_SERVER or 'default').")
    var jackServer: String?

    @Flag(help: "Print one JSON object.")
    var json = false

    @Flag(
        help: """
            Read the formats of every ALSA device, not just the hardware ones (hw:): plugins too, some of which \
            connect to a sound server for the moment it takes.
            """)
    var allFormats = false

    func run() throws {
        let devices = DeviceList.current(jackServer: jackServer, probeAll: allFormats)
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            FileHandle.standardOutput.write(try encoder.encode(devices) + Data("\n".utf8))
            return
        }
        var text = ""
        if let pipewire = devices.pipewire {
            text += "PipeWire (--backend pipewire; node names):\n"
            text += section("sources (--input)", pipewire.capture) + section("sinks (--monitor)", pipewire.playback)
        } else {
            text += "PipeWire: no daemon answers\n"
        }
        if let jack = devices.jack {
            text += "JACK (server '\(jack.server)', \(jack.sampleRate) Hz, \(jack.periodFrames)-frame periods): --backend jack\n"
            text += section("capture ports (--input)", jack.capture) + section("playback ports (--monitor, --mic-to)", jack.playback)
        } else {
            text += "JACK: no server running\n"
        }
        text += "ALSA (--backend alsa; also any hw:CARD,DEVICE or plughw:CARD,DEVICE; hardware devices with their formats):\n"
        text += section("capture devices (--input)", devices.alsaCapture) + section("playback devices (--monitor)", devices.alsaPlayback)
        text += "clock (--backend clock): --input tone:HZ, silence, or a WAV/FLAC file\n"
        print(text, terminator: "")
    }

    private func section(_ title: String, _ devices: [DeviceList.Device]) -> String {
        guard !devices.isEmpty else { return "  \(title): none\n" }
        return "  \(title):\n"
            + devices.map { device in
                "    \(device.name)\(device.description.map { "  (\($0))" } ?? "")\(device.formats.map { "\n      \($0)" } ?? "")\n"
            }.joined()
    }
}
