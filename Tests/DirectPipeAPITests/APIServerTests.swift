import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import DirectPipePlugins
import Foundation
import NIOHTTP1
import Testing

@testable import DirectPipeAPI

/// The HTTP API in process: a real server on a free port over a real control center (an engine with no backend
/// behind it), asked over loopback HTTP: statuses, errors and the method check come from the one route table.
@Suite struct APIServerTests {
    private static let token = String(repeating: "cd", count: 32)

    /// A server on a free port for the length of `body`, which gets a client and the center.
    private func withServer(_ body: @Sendable (Client, ControlCenter) async throws -> Void) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dp-api-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let factory = EffectFactory(channels: 2, sampleRate: 48000, maxFrames: EngineFormat.maxPeriodFrames, liveWorker: false)
        let chain = try factory.chain(ChainDescription(effects: []))
        let engine = try Engine(format: EngineFormat(), pipe: nil, chain: chain)
        let running = RunningAudio(engine: engine, chain: chain, description: ChainDescription(effects: []), factory: factory)
        let center = ControlCenter(host: FixedAudioHost(running), description: ChainDescription(effects: []), store: PresetStore(folder: folder))
        var configuration = APIServer.Configuration(token: Self.token)
        configuration.port = 0
        configuration.maxBodyBytes = 4096
        let port = PortBox(), server = APIServer(center: center, configuration: configuration)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await server.run { port.set($0) } }
            try await body(Client(http: LoopbackHTTPClient(host: "127.0.0.1", port: await port.value())), center)
            group.cancelAll()
        }
    }

    struct Client: Sendable {
        let http: LoopbackHTTPClient

        func send(_ method: HTTPMethod, _ path: String, _ json: String? = nil, token: Bool = true) async throws -> LoopbackHTTPClient.Response {
            let headers = [("Content-Type", "application/json")] + (token ? [("Authorization", "Bearer \(APIServerTests.token)")] : [])
            return try await http.send(method, path, headers: headers, body: json.map { Array($0.utf8) })
        }

        /// The `error` of a JSON answer.
        static func error(_ response: LoopbackHTTPClient.Response) -> String? {
            (try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])?["error"] as? String
        }
    }

    /// `directpipe ctl`'s client against the real server: actions come back as the state, a refusal as the API's own
    /// message, a wrong token as what the server said.
    @Test func theClientPerformsActionsAndSaysTheAPIsRefusals() async throws {
        try await withServer { client, center in
            let api = APIClient(url: "http://127.0.0.1:\(client.http.port)", token: Self.token)
            let state = try await api.perform(.setInputGain(decibels: -9))
            #expect(state.input.gainDB == -9 && center.state().input.gainDB == -9)
            let summary = try await api.state().summary
            #expect(summary.contains("input -9.0 dB"), "\(summary)")
            #expect(try await api.telemetry().xruns == 0)
            let refused = await #expect(throws: APIClientError.self) { try await api.perform(.setInputGain(decibels: 99)) }
            #expect(refused?.description == "input gain 99 is outside -60–24 dB", "\(String(describing: refused))")
            let unauthorized = await #expect(throws: APIClientError.self) {
                try await APIClient(url: api.url, token: "wrong").perform(.muteInput(nil))
            }
            #expect(unauthorized?.description.contains("a token is needed") == true, "\(String(describing: unauthorized))")
            #expect(center.state().input.muted == false)
        }
    }

    /// The catalog comes from the control center: the plugins a chain can use (the built-ins at least) and the
    /// host's devices (none behind an engine driven by hand).
    @Test func pluginsAndDevicesAreAskedOfTheControlCenter() async throws {
        try await withServer { client, center in
            let plugins = try await client.send(.GET, "/api/v1/plugins")
            let list = try #require(try JSONSerialization.jsonObject(with: Data(plugins.body)) as? [[String: Any]])
            #expect(plugins.status == 200 && list.count == center.plugins().count && list.contains { $0["id"] as? String == "gain" })
            let devices = try await client.send(.GET, "/api/v1/devices")
            #expect(devices.status == 200 && String(decoding: devices.body, as: UTF8.self) == "{}", "\(devices)")
        }
    }

    /// Without a running host the client says where it looked, or that the host it found has gone.
    @Test func theClientSaysWhyThereIsNoHost() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("dp-client-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(throws: APIClientError("no DirectPipe API found (start one with `directpipe run --api`; looked in \(folder)/api.json)")) {
            try APIClient.running(folder: folder)
        }
        // A pid no process has (beyond pid_max).
        try APIAccess.publish(APIAccess(url: "http://127.0.0.1:7480", pid: 99_999_999), folder: folder)
        #expect(throws: APIClientError("the DirectPipe that served http://127.0.0.1:7480 (pid 99999999) is not running")) {
            try APIClient.running(folder: folder)
        }
    }

    @Test func actionsAnswerWithTheStateOrAnErrorWhoseStatusSaysWhoseFault() async throws {
        try await withServer { client, center in
            let done = try await client.send(.POST, "/api/v1/actions", #"{"action": "set_input_gain", "decibels": -6}"#)
            #expect(done.status == 200 && center.state().input.gainDB == -6, "\(done)")
            let cases: [(String, Int, String)] = [
                (#"{"action": "set_input_gain", "decibels": 30}"#, 400, "input gain 30 is outside -60–24 dB"),
                (#"{"action": "remove_effect", "effect": 5}"#, 404, "no effect 5"),
                (#"{"action": "configure_audio", "period": 256}"#, 409, "there is no audio host here to reconfigure"),
                (#"{"action": "configure_audio", "perod": 256}"#, 400, "perod is not a setting (did you mean 'period'?)"),
                (#"{"action": "fly"}"#, 400, "not an action: 'fly' is not an action"),
                ("not json", 400, "not an action: not valid JSON"),
                (String(repeating: " ", count: 5000), 413, "larger than 4096 bytes"),
            ]
            for (json, status, words) in cases {
                let answer = try await client.send(.POST, "/api/v1/actions", json)
                #expect(
                    answer.status == status && Client.error(answer)?.contains(words) == true,
                    "\(json.prefix(60)): \(answer.status) \(Client.error(answer) ?? "")")
            }
            #expect(center.state().version == 1, "refusals changed nothing")
            #expect(try await client.send(.POST, "/api/v1/actions", #"{"action": "mute_input"}"#, token: false).status == 401)
        }
    }

    /// A known path answers a method it does not serve with 405 and the methods it does, templates included.
    @Test func theMethodCheckComesFromTheRouteTable() async throws {
        try await withServer { client, _ in
            let state = try await client.send(.DELETE, "/api/v1/state")
            #expect(state.status == 405 && state.headers["allow"] == "GET", "\(state)")
            let preset = try await client.send(.POST, "/api/v1/presets/talk")
            #expect(preset.status == 405 && preset.headers["allow"] == "GET, PUT, DELETE", "\(preset)")
            let actions = try await client.send(.PUT, "/api/v1/actions")
            #expect(actions.status == 405 && actions.headers["allow"] == "GET, POST", "\(actions)")
            #expect(try await client.send(.GET, "/api/v1/nothing").status == 404)
            #expect(try await client.send(.GET, "/api/v1/state").status == 200)
        }
        #expect(Route.get("/api/v1/presets/{name}") { _, _ in .init(status: .ok) }.matches("/api/v1/presets/talk"))
        #expect(!Route.get("/api/v1/presets/{name}") { _, _ in .init(status: .ok) }.matches("/api/v1/presets"))
        #expect(!Route.get("/api/v1/presets/{name}") { _, _ in .init(status: .ok) }.matches("/api/v1/presets/a/b"))
    }

    @Test func presetsAreResources() async throws {
        try await withServer { client, _ in
            #expect(try await client.send(.PUT, "/api/v1/presets/talk").status == 200)
            let list = try await client.send(.GET, "/api/v1/presets")
            #expect(String(decoding: list.body, as: UTF8.self).contains("\"talk\""), "\(list)")
            let export = try await client.send(.GET, "/api/v1/presets/talk")
            #expect(export.status == 200 && export.headers["content-disposition"] == "attachment; filename=\"talk.json\"", "\(export)")
            #expect(try await client.send(.DELETE, "/api/v1/presets/talk").status == 200)
            let gone = try await client.send(.GET, "/api/v1/presets/talk")
            #expect(gone.status == 404 && Client.error(gone) != nil, "\(gone)")
            // A name with a space arrives percent-encoded; one outside ASCII is refused even when encoded.
            #expect(try await client.send(.PUT, "/api/v1/presets/talk%20show").status == 200)
            #expect(String(decoding: try await client.send(.GET, "/api/v1/presets").body, as: UTF8.self).contains("\"talk show\""))
            #expect(try await client.send(.PUT, "/api/v1/presets/%C2%BE").status == 400)
        }
    }
}
