import ArgumentParser
import DirectPipeAPI
import DirectPipeControl
import DirectPipeEngine
import Foundation

/// `directpipe ctl`: control the running DirectPipe from a shell, a desktop shortcut or a Stream Deck.
/// Every subcommand is one action of the API (`directpipe run --api`); the token is read from the config folder.
struct ControlCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ctl",
        abstract: "Control the running DirectPipe (started with --api): mute, panic, volume, bypass, parameters, slots, presets.",
        discussion: "Outputs: pipe (OBS), mic (the virtual microphone), monitor; 'input' for the input. Effects are numbered from 0.",
        subcommands: [
            Status.self, Watch.self, Mute.self, Panic.self, Volume.self, Gain.self, Bypass.self, MasterBypass.self, Param.self, Slot.self,
            PresetCommand.self, Record.self, ResetXruns.self, Guard.self, ResetLoudness.self, Voice.self, Audio.self, Latency.self,
            Editor.self,
        ]
    )

    /// "on" → true, "off" → false, absent → toggle.
    enum Switch: String, ExpressibleByArgument {
        case on, off
        var value: Bool { self == .on }
    }

    static func run(_ action: ControlAction, quiet: Bool = false) async throws {
        let state = try await failing { try await APIClient.running().perform(action) }
        if !quiet { print(state.summary) }
    }

    /// Runs `request`; its error goes to standard error in one line, and the command fails.
    static func failing<Value>(_ request: () async throws -> Value) async throws -> Value {
        do { return try await request() } catch {
            printError("directpipe ctl: \(error)")
            throw ExitCode.failure
        }
    }

    static func output(_ name: String) throws -> OutputID {
        do { return try OutputID(named: name) } catch { throw ValidationError(error.message) }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The running DirectPipe's state.")
        @Flag(help: "The whole state as JSON.") var json = false

        func run() async throws {
            if json {
                print(String(decoding: try await failing { try await APIClient.running().get("/api/v1/state") }, as: UTF8.self))
            } else {
                print(try await failing { try await APIClient.running().state() }.summary)
            }
        }
    }

    struct Watch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Meters, CPU and xruns of the running DirectPipe, ten times a second.")
        @Option(help: "Stop after this many seconds (default: until Ctrl-C).") var seconds: Double?
        @Flag(help: "One JSON object per line.") var json = false

        func run() async throws {
            let client = try await failing { try APIClient.running() }
            StopRequest.installHandlers()
            let end = seconds.map { ContinuousClock.now + .milliseconds(Int($0 * 1000)) }
            while !StopRequest.isRequested, end.map({ ContinuousClock.now < $0 }) ?? true {
                let line = try await failing {
                    json ? String(decoding: try await client.get("/api/v1/telemetry"), as: UTF8.self) : try await client.telemetry().summary
                }
                FileHandle.standardOutput.write(Data((line + "\n").utf8))  // unbuffered: a pipe sees each line at once
                try await Task.sleep(for: .milliseconds(100))
            }
        }
    }

    struct Mute: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mute or unmute an output or the input (toggles without on/off).")
        @Argument(help: "input, pipe, mic or monitor.") var target: String
        @Argument var on: Switch?
        func run() async throws {
            try await ControlCommand.run(target == "input" ? .muteInput(on?.value) : .muteOutput(try ControlCommand.output(target), on?.value))
        }
    }

    struct Panic: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mute every output at once, and back (toggles without on/off).")
        @Argument var on: Switch?
        func run() async throws { try await ControlCommand.run(.panic(on?.value)) }
    }

    struct Volume: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An output's volume, linear 0–4 (1 is unity).")
        @Argument(help: "pipe, mic or monitor.") var target: String
        @Argument var value: Double
        func run() async throws { try await ControlCommand.run(.setOutputVolume(try ControlCommand.output(target), value)) }
    }

    struct Gain: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The input gain in dB (−60 to +24).")
        @Argument var decibels: Double
        func run() async throws { try await ControlCommand.run(.setInputGain(decibels: decibels)) }
    }

    struct Bypass: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bypass effect N (toggles without on/off).")
        @Argument var effect: Int
        @Argument var on: Switch?
        func run() async throws { try await ControlCommand.run(.bypassEffect(effect, on?.value)) }
    }

    struct Editor: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Open or close effect N's own editor (its plugin's window) on the running DirectPipe's desktop.",
            discussion: "The window opens on the X display DirectPipe runs with (DISPLAY; XWayland under Wayland).")
        enum Verb: String, ExpressibleByArgument { case open, close }
        @Argument(help: "open or close.") var verb: Verb
        @Argument var effect: Int
        func run() async throws { try await ControlCommand.run(verb == .open ? .openEditor(effect) : .closeEditor(effect)) }
    }

    struct MasterBypass: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "master-bypass", abstract: "Bypass the whole chain (toggles without on/off).")
        @Argument var on: Switch?
        func run() async throws { try await ControlCommand.run(.masterBypass(on?.value)) }
    }

    struct Param: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a parameter of effect N by its symbol.")
        @Argument var effect: Int
        @Argument var symbol: String
        @Argument var value: Float
        func run() async throws { try await ControlCommand.run(.setParameter(effect: effect, symbol: symbol, value: value)) }
    }

    struct Slot: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Switch to quick slot A–E, or next/previous.")
        @Argument var slot: String
        func run() async throws {
            switch slot.lowercased() {
            case "next": try await ControlCommand.run(.nextSlot)
            case "previous", "prev": try await ControlCommand.run(.previousSlot)
            default: try await ControlCommand.run(.switchSlot(slot))
            }
        }
    }

    struct PresetCommand: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "preset", abstract: "Load or save a named preset (a slot letter A–E saves to that slot); export or import a preset file.",
            discussion: """
                'export NAME FILE' copies a saved preset to FILE; 'import FILE [NAME]' checks FILE and adds it to the \
                presets (under NAME, or the name it holds). Both work on the files directly, with or without a running host.
                """)
        enum Verb: String, ExpressibleByArgument { case load, save, export, `import` }
        @Argument var verb: Verb
        @Argument var name: String
        @Argument var other: String?

        func run() async throws {
            switch verb {
            case .load: try await ControlCommand.run(.loadPreset(name))
            case .save: try await ControlCommand.run(.savePreset(name))
            case .export:
                guard let file = other else { throw ValidationError("export NAME FILE: where to write it") }
                try await failing { try PresetStore.write(try PresetStore().loadPreset(name), to: file) }
                print("exported \(name) to \(file)")
            case .import:
                let saved = try await failing {
                    var preset = try PresetStore.read(name)
                    if let other { preset.name = other }
                    try PresetStore().savePreset(preset)
                    return preset.name
                }
                print("imported \(name) as \(saved)")
            }
        }
    }

    struct Record: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start or stop recording the processed signal (into ~/Music/DirectPipe; .wav or .flac by the name).")
        enum Verb: String, ExpressibleByArgument { case start, stop }
        @Argument var verb: Verb
        @Argument(help: "A file name, e.g. take1.flac (default: dated .wav).") var name: String?
        func run() async throws {
            try await ControlCommand.run(verb == .start ? .startRecording(name) : .stopRecording, quiet: true)
            print(verb == .start ? "recording" : "stopped")
        }
    }

    struct Audio: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Switch backend, devices, rate, period or channels: the audio restarts (a short gap); what is not given stays.",
            discussion: "A change that cannot start says why, and what ran before runs again. `directpipe devices` lists the names.")
        @OptionGroup var audio: AudioOptions
        func run() async throws {
            try await ControlCommand.run(.configureAudio(audio.settings))
        }
    }

    struct Latency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the running DirectPipe's latency with an impulse (audible for one sample: mute your stream first).")
        @Flag(help: "The measurement as JSON.") var json = false
        func run() async throws {
            let latency = try await failing { try await APIClient.running().perform(.measureLatency) }.latency
            if json {
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                print(String(decoding: try encoder.encode(latency), as: UTF8.self))
            } else if let latency {
                print(latency.text, terminator: "")
            }
        }
    }

    struct Guard: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "guard",
            abstract: "The safety guard before every output: on, off, its ceiling and its mode (e.g. `guard on --ceiling -2 --true-peak`).")
        @Argument(help: "on or off (left out: as it is).") var state: Switch?
        @Option(parsing: .unconditional, help: "The ceiling, −24 to 0 dBFS.") var ceiling: Double?
        @Flag(
            inversion: .prefixedNo,
            help: "True peak (between samples, 1 ms of latency) or samples (no latency); changing it restarts the audio side.")
        var truePeak: Bool?

        func validate() throws {
            guard state != nil || ceiling != nil || truePeak != nil else { throw ValidationError("give on, off, --ceiling DB or --[no-]true-peak") }
        }

        func run() async throws { try await ControlCommand.run(.setGuard(on: state?.value, ceilingDB: ceiling, truePeak: truePeak)) }
    }

    struct Voice: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One-click voice: the ready voice chain (RNNoise, auto-gain…) into a slot and switched to; again restores it.")
        @Argument(help: "The slot, A–E (default: the current one, else A).") var slot: String?
        func run() async throws { try await ControlCommand.run(.voice(slot: slot)) }
    }

    struct ResetLoudness: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reset-loudness", abstract: "Start the output's integrated loudness and highest true peak again.")
        func run() async throws { try await ControlCommand.run(.resetLoudness) }
    }

    struct ResetXruns: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reset-xruns", abstract: "Start the xrun count again from zero.")
        func run() async throws { try await ControlCommand.run(.resetXruns) }
    }
}
