import DirectPipeAudioFile
import Foundation
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The control API against a running host (`directpipe run --api` on the internal clock, its own config
/// folder): reading, every kind of action, refusals that change nothing, presets and slots, the
/// WebSocket, `directpipe ctl`, one host per config folder.
@Suite(.serialized) struct ControlAPITests {
    let home = FileManager.default.temporaryDirectory.appendingPathComponent("dp-api-\(UUID().uuidString)")
    var folder: String { home.appendingPathComponent("directpipe").path }
    var environment: [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_CONFIG_HOME"] = home.path
        environment["HOME"] = home.path  // recordings go to $HOME/Music/DirectPipe
        return environment
    }

    struct Host {
        let process: TestProcess
        let url: String
        let token: String
        let pipe: String
    }

    func start(seconds: Int = 30, environment: [String: String]? = nil) throws -> Host {
        let pipe = uniquePipe("api")
        let run = try TestProcess(
            Programs.directpipe, ["run", "--api", "--api-port", "0", "--pipe", pipe, "--seconds", "\(seconds)", "--quiet"],
            environment: environment ?? self.environment)
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline, !run.errorOutput.contains("API on") { usleep(20_000) }
        let access = try #require(FileManager.default.contents(atPath: "\(folder)/api.json"), "\(run.errorOutput)")
        let url = try #require((try JSONSerialization.jsonObject(with: access) as? [String: Any])?["url"] as? String)
        let token = try String(contentsOfFile: "\(folder)/api-token", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        return Host(process: run, url: url, token: token, pipe: pipe)
    }

    /// One request: status and JSON body.
    func request(_ host: Host, _ method: String, _ path: String, body: String? = nil, token: String? = "", headers: [String: String] = [:]) throws
        -> (status: Int, json: [String: Any])
    {
        var request = URLRequest(url: URL(string: host.url + path)!, timeoutInterval: 20)
        request.httpMethod = method
        request.httpBody = body.map { Data($0.utf8) }
        if let token { request.setValue("Bearer \(token.isEmpty ? host.token : token)", forHTTPHeaderField: "Authorization") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        let done = DispatchSemaphore(value: 0)
        final class Box: @unchecked Sendable { var status = 0; var data = Data() }
        let box = Box()
        URLSession.shared.dataTask(with: request) { data, response, _ in
            box.status = (response as? HTTPURLResponse)?.statusCode ?? 0
            box.data = data ?? Data()
            done.signal()
        }.resume()
        done.wait()
        return (box.status, (try? JSONSerialization.jsonObject(with: box.data) as? [String: Any]) ?? [:])
    }

    func action(_ host: Host, _ json: String) throws -> (status: Int, json: [String: Any]) {
        try request(host, "POST", "/api/v1/actions", body: json)
    }

    func outputPeakDB(_ host: Host) throws -> Double {
        usleep(300_000)  // meters hold their peak until read: read twice, keep the fresh one
        _ = try request(host, "GET", "/api/v1/telemetry")
        usleep(200_000)
        let peaks = try #require(try request(host, "GET", "/api/v1/telemetry").json["output_peak"] as? [Double])
        return 20 * log10(max(peaks.max() ?? 0, 1e-9))
    }

    @Test func actionsChangeTheEngineAndRefusalsChangeNothing() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let host = try start()
        defer { host.process.signal(SIGTERM); host.process.finish(); removePipe(host.pipe) }
        let state = try request(host, "GET", "/api/v1/state", token: nil)
        #expect(state.status == 200 && state.json["version"] as? Int == 0, "\(state)")
        #expect(abs(try outputPeakDB(host) + 6) < 0.5, "the clock's −6 dBFS tone")

        // Refused: no token, a wrong one, a foreign Host (DNS rebinding), a foreign Origin, malformed and out-of-range requests.
        let panic = #"{"action": "panic", "on": true}"#
        #expect(try request(host, "POST", "/api/v1/actions", body: panic, token: nil).status == 401)
        #expect(try request(host, "POST", "/api/v1/actions", body: panic, token: String(repeating: "0", count: 64)).status == 401)
        #expect(try request(host, "POST", "/api/v1/actions", body: panic, headers: ["Host": "evil.example:80"]).status == 403)
        #expect(try request(host, "GET", "/api/v1/state", token: nil, headers: ["Host": "attacker.test"]).status == 403)
        #expect(try request(host, "POST", "/api/v1/actions", body: panic, headers: ["Origin": "http://evil.example"]).status == 403)
        let malformed = try action(host, #"{"action": "panic", "on": tru"#)
        #expect(malformed.status == 400 && (malformed.json["error"] as? String)?.contains("not valid JSON") == true, "\(malformed)")
        let unknown = try action(host, #"{"action": "explode"}"#)
        #expect(unknown.status == 400 && (unknown.json["error"] as? String)?.contains("'explode' is not an action") == true, "\(unknown)")
        #expect(try action(host, #"{"action": "set_input_gain", "decibels": 99}"#).status == 400)
        #expect(try action(host, #"{"action": "set_output_volume", "output": "pipe", "volume": -1}"#).status == 400)
        #expect(try action(host, #"{"action": "mute_output", "output": "speakers"}"#).status == 400)
        #expect(try action(host, String(repeating: " ", count: 70_000) + panic).status == 413)
        #expect(try request(host, "GET", "/api/v1/state").json["version"] as? Int == 0, "nothing changed")
        #expect(try request(host, "GET", "/api/v1/state").json["panic"] as? Bool == false)

        // Accepted, and heard: −20 dB from a gain effect, silence from panic, back from panic off.
        let added = try action(host, #"{"action": "add_effect", "id": "gain", "parameters": {"gain": -20}}"#)
        #expect(added.status == 200, "\(added)")
        #expect(abs(try outputPeakDB(host) + 26) < 0.5)
        #expect(try action(host, #"{"action": "set_parameter", "effect": 0, "symbol": "gain", "value": -10}"#).status == 200)
        #expect(abs(try outputPeakDB(host) + 16) < 0.5)
        let bad = try action(host, #"{"action": "set_parameter", "effect": 0, "symbol": "gain", "value": 99}"#)
        #expect(bad.status == 400 && (bad.json["error"] as? String)?.contains("outside -60.0…24.0 dB") == true, "\(bad)")
        #expect(try action(host, #"{"action": "bypass_effect", "effect": 0, "on": true}"#).status == 200)
        #expect(abs(try outputPeakDB(host) + 6) < 0.5)
        #expect(try action(host, panic).json["panic"] as? Bool == true)
        let muted = try request(host, "GET", "/api/v1/state").json["outputs"] as? [String: [String: Any]]
        #expect(muted?.values.allSatisfy { $0["muted"] as? Bool == true } == true, "\(String(describing: muted))")
        #expect(try action(host, #"{"action": "panic", "on": false}"#).json["panic"] as? Bool == false)
        #expect(try action(host, #"{"action": "remove_effect", "effect": 3}"#).status == 404)
        #expect(try action(host, #"{"action": "add_effect", "id": "nosuch"}"#).status == 404)
        #expect(try action(host, #"{"action": "panic", "on": null}"#).status == 400, "null is not a switch")
        #expect(try request(host, "DELETE", "/api/v1/state").status == 405)
        #expect(try action(host, #"{"action": "reset_xruns"}"#).status == 200)
        #expect(try request(host, "GET", "/api/v1/plugins").json.isEmpty, "a list, not an object")
    }

    @Test func presetsAndSlotsAreWrittenSafelyAndABrokenOneChangesNothing() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let host = try start()
        defer { host.process.signal(SIGTERM); host.process.finish(); removePipe(host.pipe) }
        #expect(try action(host, #"{"action": "add_effect", "id": "compressor"}"#).status == 200)
        #expect(try action(host, #"{"action": "save_preset", "name": "talk"}"#).status == 200)
        #expect(try action(host, #"{"action": "save_preset", "name": "A"}"#).status == 200)
        #expect(try action(host, #"{"action": "add_effect", "id": "limiter"}"#).status == 200)
        #expect(try action(host, #"{"action": "save_preset", "name": "B"}"#).status == 200)
        #expect(try action(host, #"{"action": "save_preset", "name": "talk"}"#).status == 200)  // again: the old one kept as .bak
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/presets/talk.json"))) as? [String: Any]
        #expect(saved?["format"] as? Int == 1)
        #expect(FileManager.default.fileExists(atPath: "\(folder)/presets/talk.json.bak"))

        func effects() throws -> [String] {
            ((try request(host, "GET", "/api/v1/state").json["chain"] as? [String: Any])?["effects"] as? [[String: Any]] ?? []).compactMap {
                $0["id"] as? String
            }
        }
        #expect(try action(host, #"{"action": "switch_slot", "slot": "A"}"#).json["slot"] as? String == "A")
        #expect(try effects() == ["compressor"])
        #expect(try action(host, #"{"action": "next_slot"}"#).json["slot"] as? String == "B")
        #expect(try effects() == ["compressor", "limiter"])
        #expect(try action(host, #"{"action": "switch_slot", "slot": "E"}"#).status == 404)

        try "{\n  \"format\": 1,\n  \"name\": \"talk\",\n  \"chain\": {\"effects\": [,]}\n}".write(
            toFile: "\(folder)/presets/talk.json", atomically: true, encoding: .utf8)
        let broken = try action(host, #"{"action": "load_preset", "name": "talk"}"#)
        let message = broken.json["error"] as? String ?? ""
        #expect(broken.status == 409 && message.contains("talk.json: not valid JSON at line 4"), "\(broken)")
        #expect(message.contains("talk.json.bak"), "the backup is offered")
        #expect(try effects() == ["compressor", "limiter"], "the running chain stays")
        #expect(try action(host, #"{"action": "save_preset", "name": "../escape"}"#).status == 400)
        let missing = try action(host, #"{"action": "load_preset", "name": "nothing"}"#)
        #expect(missing.status == 404)

        // The same as resources: PUT saves the running chain under a name, GET exports it, DELETE retires it.
        #expect(try request(host, "PUT", "/api/v1/presets/duo", token: nil).status == 401)
        #expect(try request(host, "PUT", "/api/v1/presets/duo").json["presets"] as? [String] == ["duo", "talk"])
        let exported = try request(host, "GET", "/api/v1/presets/duo", token: nil).json
        #expect(((exported["chain"] as? [String: Any])?["effects"] as? [[String: Any]])?.count == 2, "\(exported)")
        #expect(try request(host, "DELETE", "/api/v1/presets/duo").json["presets"] as? [String] == ["talk"])
        #expect(try request(host, "DELETE", "/api/v1/presets/duo").status == 404)
        #expect(FileManager.default.fileExists(atPath: "\(folder)/presets/duo.json.bak"), "kept, recoverable")
    }

    @Test func webSocketClientsGetStateTelemetryAndAcks() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let host = try start()
        defer { host.process.signal(SIGTERM); host.process.finish(); removePipe(host.pipe) }
        let socket = host.url.replacingOccurrences(of: "http://", with: "ws://") + "/api/v1/ws"
        let probe = Programs.packageRoot.appendingPathComponent("Tests/Scripts/ws_probe.py").path
        func python(_ arguments: [String]) throws -> [String: Any] {
            let run = try TestProcess(URL(fileURLWithPath: "/usr/bin/python3"), [probe] + arguments)
            run.finish(timeout: 60)
            return try #require(run.jsonLines.last, "\(run.output)\(run.errorOutput)")
        }
        let refused = try python([socket, "wrong", "refused"])
        // Refused before the upgrade (NIO's upgrader answers a refused upgrade with 400).
        #expect(refused["refused"] as? Bool == true && (400..<500).contains(refused.int("status") ?? 0), "\(refused)")
        let result = try python([socket, host.token, "50"])
        #expect(result.int("got_state_first") == 50, "\(result)")
        #expect((result.int("min_telemetry") ?? 0) >= 10, "telemetry to every one of 50 clients: \(result)")
        #expect(result["ack_panic"] as? Bool == true, "\(result)")
        #expect((result["error_reply"] as? String)?.contains("outside") == true, "\(result)")
        #expect((result["exceptions"] as? [Any])?.isEmpty == true, "\(result)")
    }

    @Test func theSessionIsSavedAfterChangesAndRestoredAtTheNextStart() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let first = try start()
        #expect(try action(first, #"{"action": "add_effect", "id": "gain", "parameters": {"gain": -10}}"#).status == 200)
        #expect(try action(first, #"{"action": "set_output_volume", "output": "mic", "volume": 0.5}"#).status == 200)
        #expect(try action(first, #"{"action": "mute_output", "output": "monitor", "on": true}"#).status == 200)
        #expect(try action(first, #"{"action": "set_guard", "ceiling_db": -4}"#).status == 200)
        usleep(900_000)  // saved half a second after the last change
        let saved = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(folder)/session.json"))) as? [String: Any]
        #expect((saved?["outputs"] as? [String: [String: Any]])?["mic"]?["volume"] as? Double == 0.5, "\(String(describing: saved))")
        #expect(try action(first, #"{"action": "panic", "on": true}"#).status == 200)  // not remembered
        first.process.signal(SIGTERM)
        #expect(first.process.finish() == 0)
        removePipe(first.pipe)

        let second = try start()
        defer { second.process.signal(SIGTERM); second.process.finish(); removePipe(second.pipe) }
        let state = try request(second, "GET", "/api/v1/state").json
        let outputs = state["outputs"] as? [String: [String: Any]]
        #expect(outputs?["mic"]?["volume"] as? Double == 0.5 && outputs?["mic"]?["muted"] as? Bool == false, "\(state)")
        #expect(outputs?["monitor"]?["muted"] as? Bool == true)
        #expect(state["panic"] as? Bool == false)
        #expect((state["guard"] as? [String: Any])?["ceiling_db"] as? Double == -4, "the guard's ceiling comes back: \(state)")
        let effects = (state["chain"] as? [String: Any])?["effects"] as? [[String: Any]]
        #expect(effects?.first?["id"] as? String == "gain" && (effects?.first?["parameters"] as? [String: Double])?["gain"] == -10, "\(state)")
        #expect(abs(try outputPeakDB(second) + 16) < 0.5, "and heard: −6 dBFS through −10 dB")
    }

    @Test func recordingWritesTheProcessedSignal() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let host = try start()
        defer { host.process.signal(SIGTERM); host.process.finish(); removePipe(host.pipe) }
        #expect(try action(host, #"{"action": "add_effect", "id": "gain", "parameters": {"gain": -6.0206}}"#).status == 200)
        #expect(try action(host, #"{"action": "record_start", "name": "../../evil.wav"}"#).status == 400)
        #expect(try action(host, #"{"action": "record_start", "name": "take.wav"}"#).status == 200)
        #expect(try action(host, #"{"action": "record_start", "name": "again.wav"}"#).status == 409, "one at a time")
        usleep(1_200_000)
        let running = try request(host, "GET", "/api/v1/state").json["recording"] as? [String: Any]
        #expect((running?["seconds"] as? Double ?? 0) > 0.8, "\(String(describing: running))")
        #expect(try action(host, #"{"action": "record_stop"}"#).status == 200)
        #expect(try action(host, #"{"action": "record_stop"}"#).status == 409)
        let file = home.appendingPathComponent("Music/DirectPipe/take.wav").path
        let samples = try AudioFileContents(path: file)
        #expect(samples.channels == 2 && samples.sampleRate == 48000)
        #expect(Double(samples.frames) / 48000 > 1.0 && Double(samples.frames) / 48000 < 2.5, "\(samples.frames) frames")
        let peak = samples.samples.suffix(48000).map(abs).max() ?? 0
        #expect(abs(peak - 0.25) < 0.01, "the −6 dBFS tone through −6 dB: \(peak)")
    }

    /// schemathesis (scripts/lib/python-tools.sh puts it in .build/venv) fuzzes every operation of the
    /// served OpenAPI document with the token: no server error, every response as documented, schema-valid
    /// requests accepted and schema-violating ones refused, undeclared methods answered 405.
    @Test func theServedOpenAPIDocumentHoldsUnderSchemathesis() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let schemathesis = Programs.packageRoot.appendingPathComponent(".build/venv/bin/st")
        try #require(FileManager.default.isExecutableFile(atPath: schemathesis.path), "run scripts/lib/python-tools.sh (scripts/test.sh does) first")
        let host = try start(seconds: 300)
        defer { host.process.signal(SIGTERM); host.process.finish(); removePipe(host.pipe) }
        let document = try request(host, "GET", "/api/v1/openapi.yaml", token: nil)
        #expect(document.status == 200)
        let run = try TestProcess(
            schemathesis,
            [
                "run", host.url + "/api/v1/openapi.yaml", "-H", "Authorization: Bearer \(host.token)", "-n", "60",
                "--generation-deterministic",
            ])
        let status = run.finish(timeout: 280)
        print(run.output.split(separator: "\n").suffix(4).joined(separator: "\n"))
        #expect(status == 0, "\(run.output.suffix(3000))")
        #expect(run.output.contains("passed"), "\(run.output.suffix(500))")
    }

    @Test func ctlDrivesTheRunningHostAndOneHostPerConfigFolder() throws {
        defer { try? FileManager.default.removeItem(at: home) }
        let host = try start()
        defer { host.process.signal(SIGTERM); host.process.finish(); removePipe(host.pipe) }
        func ctl(_ arguments: [String]) throws -> TestProcess {
            let run = try TestProcess(Programs.directpipe, ["ctl"] + arguments, environment: environment)
            run.finish()
            return run
        }
        #expect(try ctl(["panic", "on"]).output.contains("PANIC"))
        #expect(try request(host, "GET", "/api/v1/state").json["panic"] as? Bool == true)
        #expect(try ctl(["panic"]).process.terminationStatus == 0)  // toggles
        #expect(try request(host, "GET", "/api/v1/state").json["panic"] as? Bool == false)
        #expect(try ctl(["mute", "mic", "on"]).output.contains("mic: on MUTED"))
        let wrong = try ctl(["param", "4", "ratio", "2"])
        #expect(wrong.process.terminationStatus != 0 && wrong.errorOutput.contains("no effect 4"), "\(wrong.errorOutput)")
        #expect(try ctl(["status", "--json"]).output.contains("\"version\""))
        let watch = try ctl(["watch", "--seconds", "1", "--json"])
        let lines = watch.output.split(separator: "\n").filter { $0.contains("\"output_peak\"") }
        #expect(lines.count >= 5, "ten a second: \(watch.output)")
        #expect(try ctl(["watch", "--seconds", "0.3"]).output.contains("out -6.0/-6.0 dBFS"), "the tone, muted mic aside")
        #expect(try ctl(["guard", "--ceiling", "-2"]).output.contains("guard on, ceiling -2.0 dBFS"))
        #expect(try ctl(["guard", "--true-peak"]).output.contains("guard on, ceiling -2.0 dBFS, true peak (+48 frames)"))
        #expect(try ctl(["guard", "off", "--no-true-peak"]).output.contains("guard OFF (outputs may exceed 0 dBFS)\n"))
        let safetyGuard = try request(host, "GET", "/api/v1/state").json["guard"] as? [String: Any]
        #expect(safetyGuard?["on"] as? Bool == false && safetyGuard?["ceiling_db"] as? Double == -2, "\(safetyGuard ?? [:])")
        let refused = try ctl(["guard", "--ceiling", "-40"])
        #expect(
            refused.process.terminationStatus != 0 && refused.errorOutput.contains("guard ceiling -40 is outside -24–0 dBFS"),
            "\(refused.errorOutput)")
        #expect(try ctl(["reset-loudness"]).process.terminationStatus == 0)
        #expect(try ctl(["voice", "C"]).output.contains("slot C"), "one-click voice into slot C")
        #expect(try ctl(["status"]).output.contains("deepfilter"))
        #expect(try ctl(["watch", "--seconds", "0.3"]).output.contains(" LUFS (M "), "the output's loudness in the watch line")

        let second = try TestProcess(Programs.directpipe, ["run", "--api", "--api-port", "0", "--seconds", "2"], environment: environment)
        #expect(second.finish() != 0)
        #expect(second.errorOutput.contains("another DirectPipe (pid \(host.process.pid)) is running"), "\(second.errorOutput)")
    }
}
