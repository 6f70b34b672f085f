import ArgumentParser
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
            PresetCommand.self, Record.self, ResetXruns.self, Audio.self, Latency.self,
        ]
    )

    /// "on" → true, "off" → false, absent → toggle.
    enum Switch: String, ExpressibleByArgument {
        case on, off
        var value: Bool { self == .on }
    }

    static func run(_ action: ControlAction, quiet: Bool = false) throws {
        do {
            let data = try ControlClient.running().perform(action)
            if !quiet, let state = try? JSONDecoder().decode(ControlState.self, from: data) { print(Status.summary(state)) }
        } catch {
            printError("directpipe ctl: \(error)")
            throw ExitCode.failure
        }
    }

    static func output(_ name: String) throws -> OutputID {
        let aliases = ["obs": OutputID.pipe, "virtual-mic": .virtualMic, "virtual_mic": .virtualMic, "headphones": .monitor]
        guard let id = OutputID(rawValue: name) ?? aliases[name] else {
            throw ValidationError("'\(name)' is not an output (pipe, mic, monitor)")
        }
        return id
    }

    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The running DirectPipe's state.")
        @Flag(help: "The whole state as JSON.") var json = false

        func run() throws {
            do {
                let data = try ControlClient.running().get("/api/v1/state")
                if json { print(String(decoding: data, as: UTF8.self)) } else { print(Self.summary(try JSONDecoder().decode(ControlState.self, from: data))) }
            } catch {
                printError("directpipe ctl: \(error)")
                throw ExitCode.failure
            }
        }

        static func summary(_ state: ControlState) -> String {
            var lines: [String] = []
            if let audio = state.audio {
                let format = state.format
                var line = "\(audio.backend)\(audio.connected ? "" : " (LOST, retrying)") \(format.sampleRate) Hz/\(format.periodFrames)"
                line += format.channels == 1 ? " mono" : " stereo"
                if let input = audio.input { line += ", input \(input)" }
                if let monitor = audio.monitor { line += ", monitor \(monitor)" }
                lines.append(line)
            }
            if let latency = state.latency, let ms = latency.pipeReadableMs {
                lines.append("latency measured: OBS pipe readable after \(String(format: "%.2f", ms)) ms")
            }
            lines += ["input \(state.input.gainDB) dB\(state.input.muted ? " MUTED" : "")\(state.panic ? "  PANIC" : "")"]
            for name in state.outputs.keys.sorted() {
                let output = state.outputs[name]!
                lines.append("\(name): \(output.enabled ? "on" : "off")\(output.muted ? " MUTED" : ""), volume \(output.volume)")
            }
            lines.append("chain\(state.chain.bypass ? " (BYPASSED)" : ""), latency \(state.chain.latencyFrames) frames:")
            for effect in state.chain.effects {
                lines.append("  \(effect.index) \(effect.id)\(effect.bypass ? " (bypassed)" : "")\(effect.faulted ? " (FAULTED)" : "")")
            }
            if let slot = state.slot { lines.append("slot \(slot)") }
            if let recording = state.recording { lines.append("recording \(recording.path), \(String(format: "%.1f", recording.seconds)) s") }
            return lines.joined(separator: "\n")
        }
    }

    struct Watch: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Meters, CPU and xruns of the running DirectPipe, ten times a second.")
        @Option(help: "Stop after this many seconds (default: until Ctrl-C).") var seconds: Double?
        @Flag(help: "One JSON object per line.") var json = false

        func run() throws {
            let client: ControlClient
            do { client = try ControlClient.running() } catch {
                printError("directpipe ctl: \(error)")
                throw ExitCode.failure
            }
            StopRequest.installHandlers()
            let end = seconds.map { Date().addingTimeInterval($0) }
            while !StopRequest.isRequested, end.map({ Date() < $0 }) ?? true {
                do {
                    let data = try client.get("/api/v1/telemetry")
                    var line = String(decoding: data, as: UTF8.self)
                    if !json {
                        let t = try JSONDecoder().decode(Telemetry.self, from: data)
                        func decibels(_ peaks: [Float]) -> String {
                            peaks.map { String(format: "%.1f", 20 * log10(max(Double($0), 1e-9))) }.joined(separator: "/")
                        }
                        line = "in \(decibels(t.inputPeak)) dBFS  out \(decibels(t.outputPeak)) dBFS\(t.clipped ? " CLIP" : "")  "
                            + "cpu \(String(format: "%.1f", t.cpuLoad * 100))%  xruns \(t.xruns) (graph \(t.graphXruns))  latency \(t.latencyFrames) frames"
                    }
                    FileHandle.standardOutput.write(Data((line + "\n").utf8))  // unbuffered: a pipe sees each line at once
                } catch {
                    printError("directpipe ctl: \(error)")
                    throw ExitCode.failure
                }
                usleep(100_000)
            }
        }
    }

    struct Mute: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mute or unmute an output or the input (toggles without on/off).")
        @Argument(help: "input, pipe, mic or monitor.") var target: String
        @Argument var on: Switch?
        func run() throws {
            try ControlCommand.run(target == "input" ? .muteInput(on?.value) : .muteOutput(try ControlCommand.output(target), on?.value))
        }
    }

    struct Panic: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mute every output at once, and back (toggles without on/off).")
        @Argument var on: Switch?
        func run() throws { try ControlCommand.run(.panic(on?.value)) }
    }

    struct Volume: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "An output's volume, linear 0–4 (1 is unity).")
        @Argument(help: "pipe, mic or monitor.") var target: String
        @Argument var value: Double
        func run() throws { try ControlCommand.run(.setOutputVolume(try ControlCommand.output(target), value)) }
    }

    struct Gain: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The input gain in dB (−60 to +24).")
        @Argument var decibels: Double
        func run() throws { try ControlCommand.run(.setInputGain(decibels: decibels)) }
    }

    struct Bypass: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Bypass effect N (toggles without on/off).")
        @Argument var effect: Int
        @Argument var on: Switch?
        func run() throws { try ControlCommand.run(.bypassEffect(effect, on?.value)) }
    }

    struct MasterBypass: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "master-bypass", abstract: "Bypass the whole chain (toggles without on/off).")
        @Argument var on: Switch?
        func run() throws { try ControlCommand.run(.masterBypass(on?.value)) }
    }

    struct Param: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Set a parameter of effect N by its symbol.")
        @Argument var effect: Int
        @Argument var symbol: String
        @Argument var value: Float
        func run() throws { try ControlCommand.run(.setParameter(effect: effect, symbol: symbol, value: value)) }
    }

    struct Slot: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Switch to quick slot A–E, or next/previous.")
        @Argument var slot: String
        func run() throws {
            switch slot.lowercased() {
            case "next": try ControlCommand.run(.nextSlot)
            case "previous", "prev": try ControlCommand.run(.previousSlot)
            default: try ControlCommand.run(.switchSlot(slot))
            }
        }
    }

    struct PresetCommand: ParsableCommand {
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

        func run() throws {
            switch verb {
            case .load: try ControlCommand.run(.loadPreset(name))
            case .save: try ControlCommand.run(.savePreset(name))
            case .export:
                guard let file = other else { throw ValidationError("export NAME FILE: where to write it") }
                do {
                    try PresetStore.write(try PresetStore().loadPreset(name), to: file)
                    print("exported \(name) to \(file)")
                } catch {
                    printError("directpipe ctl: \(error)")
                    throw ExitCode.failure
                }
            case .import:
                do {
                    var preset = try PresetStore.read(name)
                    if let other { preset.name = other }
                    try PresetStore().savePreset(preset)
                    print("imported \(name) as \(preset.name)")
                } catch {
                    printError("directpipe ctl: \(error)")
                    throw ExitCode.failure
                }
            }
        }
    }

    struct Record: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start or stop recording the processed signal (into ~/Music/DirectPipe; .wav or .flac by the name).")
        enum Verb: String, ExpressibleByArgument { case start, stop }
        @Argument var verb: Verb
        @Argument(help: "A file name, e.g. take1.flac (default: dated .wav).") var name: String?
        func run() throws {
            try ControlCommand.run(verb == .start ? .startRecording(name) : .stopRecording, quiet: true)
            print(verb == .start ? "recording" : "stopped")
        }
    }

    struct Audio: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Switch backend, devices, rate, period or channels: the audio restarts (a short gap); what is not given stays.",
            discussion: "A change that cannot start says why, and what ran before runs again. `directpipe devices` lists the names.")
        @OptionGroup var audio: AudioOptions
        func run() throws {
            try ControlCommand.run(.configureAudio(audio.settings))
        }
    }

    struct Latency: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure the running DirectPipe's latency with an impulse (audible for one sample: mute your stream first).")
        @Flag(help: "The measurement as JSON.") var json = false
        func run() throws {
            do {
                let data = try ControlClient.running().perform(.measureLatency)
                let latency = try JSONDecoder().decode(ControlState.self, from: data).latency
                if json {
                    let encoder = JSONEncoder()
                    encoder.outputFormatting = [.sortedKeys]
                    print(String(decoding: try encoder.encode(latency), as: UTF8.self))
                } else if let latency {
                    print(LatencyCommand.text(latency), terminator: "")
                }
            } catch {
                printError("directpipe ctl: \(error)")
                throw ExitCode.failure
            }
        }
    }

    struct ResetXruns: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reset-xruns", abstract: "Start the xrun count again from zero.")
        func run() throws { try ControlCommand.run(.resetXruns) }
    }
}
