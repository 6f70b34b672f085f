import DirectPipeAudio
import DirectPipeDSP
import DirectPipePlugins
import Hummingbird
import NIOPosix

/// What can be put in the chain (built-ins and the scanned plugins that work) and what the backends can capture
/// from and play to now.
struct CatalogController: Sendable {
    /// The JACK server whose ports are listed (nil: $JACK_DEFAULT_SERVER or "default").
    let jackServer: String?

    var routes: [Route] {
        let jackServer = self.jackServer
        return [
            .get("/api/v1/plugins") { _, _ in
                let builtins = BuiltinEffects.all.map { PluginRecord(id: $0.id, format: .builtin, status: .ok, info: $0) }
                return APIResponse.json(builtins + (PluginScanner.load() ?? []).filter { $0.status == .ok })
            },
            .get("/api/v1/devices") { _, _ in
                // Asking PipeWire and JACK takes a moment: on NIO's blocking pool.
                let devices = try await NIOThreadPool.singleton.runIfActive { DeviceList.current(jackServer: jackServer) }
                return APIResponse.json(devices, encoder: APIResponse.snakeCaseEncoder)
            },
        ]
    }
}
