import DirectPipeControl
import Hummingbird
import NIOPosix

/// What can be put in the chain (built-ins and the scanned plugins that work) and what the backends can capture
/// from and play to now, both asked of the control center.
struct CatalogController: Sendable {
    let center: ControlCenter

    var routes: [Route] {
        let center = self.center
        return [
            .get("/api/v1/plugins") { _, _ in APIResponse.json(center.plugins()) },
            .get("/api/v1/devices") { _, _ in
                // Asking PipeWire and JACK takes a moment: on NIO's blocking pool.
                let devices = try await NIOThreadPool.singleton.runIfActive { center.devices() }
                return APIResponse.json(devices, encoder: APIResponse.snakeCaseEncoder)
            },
        ]
    }
}
