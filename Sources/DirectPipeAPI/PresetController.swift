import DirectPipeControl
import Foundation
import Hummingbird

/// Presets and slots as resources: listed, exported as stored, saved and deleted (the same as the save_preset
/// and delete_preset actions, for clients that think in resources).
struct PresetController: Sendable {
    let control: ControlController

    var routes: [Route] {
        let control = self.control, store = control.center.store
        return [
            .get("/api/v1/presets") { _, _ in APIResponse.json(["presets": store.presetNames(), "slots": store.filledSlots()]) },
            .get("/api/v1/presets/{name}") { _, context in
                let name = Self.name(context)
                let data = try store.presetData(name)
                var headers: HTTPFields = [.contentType: "application/json"]
                headers[.contentDisposition] = "attachment; filename=\"\(name).json\""
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: data)))
            },
            .put("/api/v1/presets/{name}") { _, context in
                APIResponse.json(try await control.perform(.savePreset(Self.name(context))))
            },
            .delete("/api/v1/presets/{name}") { _, context in
                APIResponse.json(try await control.perform(.deletePreset(Self.name(context))))
            },
        ]
    }

    /// The preset named in the path, percent-decoded ("talk%20show" is "talk show"; the router leaves it encoded).
    private static func name(_ context: some RequestContext) -> String {
        let raw = context.parameters.get("name") ?? ""
        return raw.removingPercentEncoding ?? raw
    }
}
