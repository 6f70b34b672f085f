import DirectPipeAPI
import DirectPipeControl
import DirectPipeDSP
import DirectPipeEngine
import DirectPipePlugins
import Logging
import Testing

/// The API as a service, in process: it listens, says where, and takes a free port when the one asked for is
/// taken (unless the user named that port).
@Suite struct APIServiceTests {
    private func center() throws -> ControlCenter {
        let factory = EffectFactory(channels: 2, sampleRate: 48000, maxFrames: EngineFormat.maxPeriodFrames, liveWorker: false)
        let chain = try factory.chain(ChainDescription(effects: []))
        let engine = try Engine(format: EngineFormat(), pipe: nil, chain: chain)
        let running = RunningAudio(engine: engine, chain: chain, description: ChainDescription(effects: []), factory: factory)
        return ControlCenter(host: FixedAudioHost(running), description: ChainDescription(effects: []))
    }

    private func service(port: Int, fallback: Bool, heard: PortBox) throws -> APIService {
        var configuration = APIServer.Configuration(token: String(repeating: "ab", count: 32))
        configuration.port = port
        return APIService(center: try center(), configuration: configuration, fallback: fallback, log: Logger(label: "test")) {
            heard.set($0)
        }
    }

    @Test func aTakenPortFallsBackToAFreeOne() async throws {
        let first = PortBox(), second = PortBox()
        let holder = try service(port: 0, fallback: false, heard: first)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await holder.run() }
            let taken = await first.value()
            let next = try service(port: taken, fallback: true, heard: second)
            group.addTask { try await next.run() }
            let got = await second.value()
            #expect(got != taken && got > 0, "\(taken) -> \(got)")
            group.cancelAll()
        }
    }

    @Test func aTakenPortTheUserNamedIsAnError() async throws {
        let first = PortBox()
        let holder = try service(port: 0, fallback: false, heard: first)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await holder.run() }
            let taken = await first.value()
            do {
                try await service(port: taken, fallback: false, heard: PortBox()).run()
                Issue.record("a second server listened on \(taken)")
            } catch let failure as APIStartFailure {
                #expect(failure.description.hasPrefix("the API could not start on 127.0.0.1:\(taken): "), "\(failure)")
            }
            group.cancelAll()
        }
    }
}
