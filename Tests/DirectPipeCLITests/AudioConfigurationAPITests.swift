import DirectPipeAudioFile
import Foundation
import Testing

/// `configure_audio` and `measure_latency` against a running host: the audio side restarts in another format
/// (the pipe follows, a recording is completed first), from a real jackd and back; a choice that cannot start
/// is refused and what ran runs again; the choice is remembered for the next start.
extension ControlAPITests {
    func state(_ host: Host) throws -> [String: Any] { try request(host, "GET", "/api/v1/state").json }

    func callbacks(_ host: Host) throws -> Int { try request(host, "GET", "/api/v1/telemetry").json.int("callbacks") ?? 0 }

    @Test func theAudioSideRestartsInAnotherFormatAndABadChoiceKeepsWhatRuns() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let host = try start()
        defer { host.process.signal(SIGTERM); host.process.finish(); removePipe(host.pipe) }
        #expect(try action(host, #"{"action": "record_start", "name": "before.wav"}"#).status == 200)
        // The OBS side: a reader attached before the change follows the pipe into its new format.
        let reader = try TestProcess(Programs.readerCheck, ["--pipe", host.pipe, "--seconds", "4"])
        usleep(1_000_000)

        let changed = try action(host, #"{"action": "configure_audio", "rate": 44100, "period": 64, "channels": 1, "input": "tone:1000"}"#)
        #expect(changed.status == 200, "\(changed)")
        let format = changed.json["format"] as? [String: Any]
        #expect(format?.int("sample_rate") == 44100 && format?.int("period_frames") == 64 && format?.int("channels") == 1, "\(changed.json)")
        #expect((changed.json["audio"] as? [String: Any])?["input"] as? String == "tone:1000")
        #expect(changed.json["recording"] == nil, "a recording stops cleanly on a device change")
        #expect(abs(try outputPeakDB(host) + 6) < 0.5, "the new tone flows")

        let recorded = try AudioFileContents(path: home.appendingPathComponent("Music/DirectPipe/before.wav").path)
        #expect(recorded.sampleRate == 48000 && recorded.channels == 2 && recorded.frames > 24000, "completed in the old format")

        reader.finish()
        let final = try #require(reader.jsonLines.last, "\(reader.errorOutput)")
        #expect(final.int("rate") == 44100 && final.int("channels") == 1, "\(final)")
        #expect((final.int("reconnects") ?? 0) >= 1 && (final.int("frames") ?? 0) > 44100, "\(final)")

        // Refused before anything stops (400), or stopped, failed and put back (409): the same format either way.
        for bad in [
            #"{"action": "configure_audio", "rate": 5}"#, #"{"action": "configure_audio", "backend": "file"}"#,
            #"{"action": "configure_audio", "channels": 3}"#, #"{"action": "configure_audio", "input": ""}"#,
        ] {
            let refused = try action(host, bad)
            #expect(refused.status == 400 && refused.json["error"] != nil, "\(bad): \(refused)")
        }
        let missing = try action(host, #"{"action": "configure_audio", "backend": "alsa", "input": "hw:97"}"#)
        #expect(missing.status == 409, "\(missing)")
        #expect((missing.json["error"] as? String)?.contains("hw:97") == true, "\(missing)")
        #expect((missing.json["error"] as? String)?.contains("what ran before runs again") == true, "\(missing)")
        let after = try state(host)
        #expect((after["audio"] as? [String: Any])?["backend"] as? String == "clock", "\(after)")
        #expect((after["format"] as? [String: Any])?.int("sample_rate") == 44100)
        let counted = try callbacks(host)
        usleep(300_000)
        #expect(try callbacks(host) > counted, "the engine runs")

        // Measured with an impulse through the engine now running: one 64-frame period at 44.1 kHz and a little more.
        let measured = try action(host, #"{"action": "measure_latency"}"#)
        let latency = try #require(measured.json["latency"] as? [String: Any], "\(measured)")
        #expect(latency["backend"] as? String == "engine" && latency.int("period_frames") == 64, "\(latency)")
        let readable = latency["pipe_readable_ms"] as? Double ?? 0
        #expect(readable >= 64_000 / 44100 && readable < 100, "\(latency)")

        // Remembered: the next start comes back in this format.
        usleep(900_000)
        host.process.signal(SIGTERM)
        #expect(host.process.finish() == 0)
        let next = try start()
        defer { next.process.signal(SIGTERM); next.process.finish(); removePipe(next.pipe) }
        let restored = try state(next)
        #expect((restored["format"] as? [String: Any])?.int("sample_rate") == 44100, "\(restored)")
        #expect((restored["format"] as? [String: Any])?.int("channels") == 1, "\(restored)")
    }

    @Test func theAudioSideMovesFromARealJackServerAndBack() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let server = try JackServer("api", period: 256)
        defer { server.stop() }
        var environment = self.environment
        environment["JACK_DEFAULT_SERVER"] = server.name
        let host = try start(environment: environment)
        defer { host.process.signal(SIGTERM); host.process.finish(); removePipe(host.pipe) }
        func ports() throws -> String {
            let list = try TestProcess(URL(fileURLWithPath: "/usr/bin/jack_lsp"), ["-s", server.name])
            list.finish()
            return list.output
        }
        let started = try state(host)
        #expect((started["audio"] as? [String: Any])?["reason"] as? String == "auto: no PipeWire; a JACK server is running", "\(started)")
        #expect(try ports().contains("directpipe:mic_out_1"))

        let away = try action(host, #"{"action": "configure_audio", "backend": "clock"}"#)
        #expect(away.status == 200 && (away.json["audio"] as? [String: Any])?["backend"] as? String == "clock", "\(away)")
        #expect(try !ports().contains("directpipe:"), "the JACK client is gone")
        #expect(abs(try outputPeakDB(host) + 6) < 0.5, "the clock's tone")

        let back = try action(host, #"{"action": "configure_audio", "backend": "jack", "input": "none"}"#)
        #expect(back.status == 200, "\(back)")
        #expect((back.json["audio"] as? [String: Any])?["backend"] as? String == "jack", "\(back.json)")
        #expect((back.json["format"] as? [String: Any])?.int("period_frames") == 256, "the server's period")
        #expect(try ports().contains("directpipe:mic_out_1"))

        // A probe client in that graph times the impulse: the virtual-mic ports carry it in the same cycle.
        let measured = try action(host, #"{"action": "measure_latency"}"#)
        let latency = try #require(measured.json["latency"] as? [String: Any], "\(measured)")
        #expect(latency["backend"] as? String == "jack" && latency.int("mic_frames") == 0, "\(latency)")
    }

    @Test func ctlSwitchesTheAudioAndMeasuresLatency() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let host = try start()
        defer { host.process.signal(SIGTERM); host.process.finish(); removePipe(host.pipe) }
        let switched = try TestProcess(Programs.directpipe, ["ctl", "audio", "--period", "256"], environment: environment)
        switched.finish()
        #expect(switched.output.contains("clock 48000 Hz/256 stereo"), "\(switched.output)\(switched.errorOutput)")
        let measured = try TestProcess(Programs.directpipe, ["ctl", "latency", "--json"], environment: environment)
        measured.finish()
        let latency = try #require(measured.jsonLines.last, "\(measured.output)\(measured.errorOutput)")
        #expect(latency.int("period_frames") == 256 && (latency["pipe_readable_ms"] as? Double ?? 0) > 256_000 / 48000, "\(latency)")
        let wrong = try TestProcess(Programs.directpipe, ["ctl", "audio", "--backend", "sndio"], environment: environment)
        #expect(wrong.finish() != 0 && wrong.errorOutput.contains("'sndio' is not one of auto"), "\(wrong.errorOutput)")
    }
}
