import CLilv
import DirectPipeDSP
import Foundation

/// An LV2 plugin's description as the host needs it: what each port is,
/// its parameters (ranges, defaults, units, scale points), its presets.
/// Unchecked Sendable: its lilv handle belongs to LV2World.shared (never freed) and is used under its lock; the rest is immutable.
struct LV2Plugin: @unchecked Sendable {
    enum Port: Equatable {
        case audioInput, audioOutput
        /// A control input; its parameter's index in ``LV2Plugin/info``.
        case controlInput(parameter: Int)
        case controlOutput
        case cvInput(default: Float)
        case cvOutput
        case atomInput, atomOutput
        /// A port of a kind we do not drive, left unconnected (allowed only when it is connectionOptional).
        case unconnected
    }

    let plugin: OpaquePointer
    let info: EffectInfo
    let ports: [Port]
    let symbols: [String]
    /// Each port's starting value (control default, or 0).
    let defaults: [Float]
    let latencyPort: Int?
    let requiredFeatures: [String]
    /// The plugin's own presets: URI and label.
    let presets: [(uri: String, label: String)]
    /// Its X11 UI, where it has one DirectPipe can host.
    let ui: LV2UIReference?
    /// Why it has no editor DirectPipe can open although it has a UI (of another toolkit, say); nil otherwise.
    let uiUnavailable: String?

    /// Describes the plugin with `uri`, at `sampleRate` (ranges marked lv2:sampleRate scale with it).
    init(uri: String, sampleRate: Double, world: LV2World = .shared) throws(EffectError) {
        let result: Result<LV2Plugin, EffectError> = world.withLock {
            guard let plugin = world.plugin(uri) else { return .failure(.unknownEffect(uri)) }
            return Result { () throws(EffectError) in try LV2Plugin(plugin, uri: uri, sampleRate: sampleRate, world: world) }
        }
        self = try result.get()
    }

    private init(_ plugin: OpaquePointer, uri: String, sampleRate: Double, world: LV2World) throws(EffectError) {
        self.plugin = plugin
        let lv2 = "http://lv2plug.in/ns/lv2core#"
        func isA(_ port: OpaquePointer, _ uri: String) -> Bool { lilv_port_is_a(plugin, port, world.node(uri)) }
        func has(_ port: OpaquePointer, _ uri: String) -> Bool { lilv_port_has_property(plugin, port, world.node(uri)) }
        let count = Int(lilv_plugin_get_num_ports(plugin))
        var minimums = [Float](repeating: .nan, count: count), maximums = minimums, defaults = minimums
        lilv_plugin_get_port_ranges_float(plugin, &minimums, &maximums, &defaults)
        var ports: [Port] = [], symbols: [String] = [], starts: [Float] = [], parameters: [EffectParameter] = []
        var latency: Int?
        var audioIns = 0, audioOuts = 0
        for index in 0..<count {
            guard let port = lilv_plugin_get_port_by_index(plugin, UInt32(index)) else { throw .failed(effect: uri, reason: "port \(index) missing") }
            let symbol = world.string(lilv_port_get_symbol(plugin, port))
            symbols.append(symbol)
            let input = isA(port, lv2 + "InputPort")
            let scale: Float = has(port, lv2 + "sampleRate") ? Float(sampleRate) : 1
            var start: Float = 0
            if isA(port, lv2 + "AudioPort") {
                ports.append(input ? .audioInput : .audioOutput)
                if input { audioIns += 1 } else { audioOuts += 1 }
            } else if isA(port, lv2 + "ControlPort") {
                let low = minimums[index] * scale, high = maximums[index] * scale
                start = defaults[index].isNaN ? (low.isNaN ? 0 : low) : defaults[index] * scale
                // Some plugins (swh's) give a sample-rate port's default in Hz while its range is a
                // fraction of the rate: take the default as written when only that fits the range.
                if scale != 1, low <= high, !(low...high).contains(start), (low...high).contains(defaults[index]) { start = defaults[index] }
                if input {
                    ports.append(.controlInput(parameter: parameters.count))
                    parameters.append(Self.parameter(plugin, port, symbol: symbol, low: low, high: high, start: start, world: world))
                } else {
                    ports.append(.controlOutput)
                    if has(port, lv2 + "reportsLatency")
                        || lilv_port_get(plugin, port, world.node(lv2 + "designation")).map({ world.string($0, owned: true) }) == lv2 + "latency"
                    {
                        latency = index
                    }
                }
            } else if isA(port, lv2 + "CVPort") {
                start = defaults[index].isNaN ? 0 : defaults[index]
                ports.append(input ? .cvInput(default: start) : .cvOutput)
            } else if isA(port, "http://lv2plug.in/ns/ext/atom#AtomPort") {
                ports.append(input ? .atomInput : .atomOutput)
            } else if has(port, lv2 + "connectionOptional") {
                ports.append(.unconnected)
            } else {
                throw .unsupported(effect: uri, reason: "port '\(symbol)' is of a kind this host does not support")
            }
            starts.append(start)
        }
        self.ports = ports
        self.symbols = symbols
        self.defaults = starts
        latencyPort = latency
        requiredFeatures = world.strings(lilv_plugin_get_required_features(plugin))
        let className = lilv_plugin_get_class(plugin).flatMap { lilv_plugin_class_get_label($0) }.map { world.string($0) } ?? ""
        info = EffectInfo(
            id: uri, name: world.string(lilv_plugin_get_name(plugin), owned: true), format: .lv2, audioInputs: audioIns,
            audioOutputs: audioOuts, parameters: parameters, author: world.string(lilv_plugin_get_author_name(plugin), owned: true),
            category: className, path: world.string(lilv_plugin_get_bundle_uri(plugin)))
        var presets: [(String, String)] = []
        if let related = lilv_plugin_get_related(plugin, world.node("http://lv2plug.in/ns/ext/presets#Preset")) {
            for preset in world.strings(related) {
                let node = world.node(preset)
                lilv_world_load_resource(world.world, node)
                let label = world.string(
                    lilv_world_get(world.world, node, world.node("http://www.w3.org/2000/01/rdf-schema#label"), nil), owned: true)
                presets.append((preset, label.isEmpty ? preset : label))
            }
        }
        self.presets = presets
        (ui, uiUnavailable) = LV2UIReference.find(for: plugin, world: world)
    }

    private static func parameter(
        _ plugin: OpaquePointer, _ port: OpaquePointer, symbol: String, low: Float, high: Float, start: Float, world: LV2World
    ) -> EffectParameter {
        let lv2 = "http://lv2plug.in/ns/lv2core#"
        func has(_ uri: String) -> Bool { lilv_port_has_property(plugin, port, world.node(uri)) }
        let name = world.string(lilv_port_get_name(plugin, port), owned: true)
        var choices: [EffectParameter.Choice] = []
        if let points = lilv_port_get_scale_points(plugin, port) {
            var iterator = lilv_scale_points_begin(points)
            while !lilv_scale_points_is_end(points, iterator) {
                if let point = lilv_scale_points_get(points, iterator) {
                    choices.append(.init(lilv_node_as_float(lilv_scale_point_get_value(point)), world.string(lilv_scale_point_get_label(point))))
                }
                iterator = lilv_scale_points_next(points, iterator)
            }
            lilv_scale_points_free(points)
            choices.sort { $0.value < $1.value }  // lilv gives them in no set order; lists show them by value
        }
        let kind: EffectParameter.Kind =
            has(lv2 + "toggled") ? .toggle : has(lv2 + "enumeration") && !choices.isEmpty ? .choice : has(lv2 + "integer") ? .integer : .continuous
        var unit = ""
        if let unitNode = lilv_port_get(plugin, port, world.node("http://lv2plug.in/ns/extensions/units#unit")) {
            let symbolNode = lilv_world_get(world.world, unitNode, world.node("http://lv2plug.in/ns/extensions/units#symbol"), nil)
            unit = world.string(symbolNode, owned: true)
            if unit.isEmpty { unit = String(world.string(unitNode).split(separator: "#").last ?? "") }
            lilv_node_free(unitNode)
        }
        return EffectParameter(
            symbol, name.isEmpty ? symbol : name, low.isNaN ? min(start, 0) : low, high.isNaN ? max(start, 1) : high, default: start,
            unit: unit, kind: kind, logarithmic: has("http://lv2plug.in/ns/ext/port-props#logarithmic"), choices: choices)
    }
}

/// An LV2 plugin's X11 UI: its URI, library and bundle (what `dp_lv2_ui_new` loads).
struct LV2UIReference: Sendable {
    let uri: String
    let binary: String
    let bundle: String
    /// The UI cannot work without reaching into the plugin's instance (instance or data access, required). Only
    /// then is it given: a UI that can talk to its plugin through ports does so through the host, on the host's
    /// threads, instead of calling into an instance the audio thread is running.
    let needsInstance: Bool

    /// The features a UI may require that DirectPipe gives (or, as for residency, honours anyway).
    static let supportedFeatures: Set<String> = [
        "http://lv2plug.in/ns/ext/urid#map", "http://lv2plug.in/ns/ext/urid#unmap", "http://lv2plug.in/ns/ext/options#options",
        "http://lv2plug.in/ns/extensions/ui#parent", "http://lv2plug.in/ns/extensions/ui#idleInterface",
        "http://lv2plug.in/ns/extensions/ui#resize", "http://lv2plug.in/ns/extensions/ui#touch",
        "http://lv2plug.in/ns/extensions/ui#noUserResize", "http://lv2plug.in/ns/extensions/ui#makeResident",
        "http://lv2plug.in/ns/ext/instance-access", "http://lv2plug.in/ns/ext/data-access",
    ]

    /// The first X11 UI of `plugin` whose required features are all given, or why there is none although the plugin
    /// has UIs (under the world's lock).
    static func find(for plugin: OpaquePointer, world: LV2World) -> (LV2UIReference?, String?) {
        guard let uis = lilv_plugin_get_uis(plugin) else { return (nil, nil) }
        defer { lilv_uis_free(uis) }
        let ui = "http://lv2plug.in/ns/extensions/ui#"
        let required = world.node("http://lv2plug.in/ns/lv2core#requiredFeature")
        var reasons: [String] = []
        var iterator = lilv_uis_begin(uis)
        while !lilv_uis_is_end(uis, iterator) {
            defer { iterator = lilv_uis_next(uis, iterator) }
            guard let candidate = lilv_uis_get(uis, iterator), let uri = lilv_ui_get_uri(candidate) else { continue }
            guard lilv_ui_is_a(candidate, world.node(ui + "X11UI")) else {
                let kinds = ["GtkUI": "GTK 2", "Gtk3UI": "GTK 3", "Qt4UI": "Qt 4", "Qt5UI": "Qt 5"]
                if let kind = kinds.first(where: { lilv_ui_is_a(candidate, world.node(ui + $0.key)) })?.value {
                    reasons.append("its editor is a \(kind) UI, which DirectPipe does not host (it runs no \(kind) main loop)")
                }
                continue
            }
            guard let binary = lilv_ui_get_binary_uri(candidate).flatMap({ lilv_file_uri_parse(lilv_node_as_uri($0), nil) }),
                let bundle = lilv_ui_get_bundle_uri(candidate).flatMap({ lilv_file_uri_parse(lilv_node_as_uri($0), nil) })
            else { continue }
            defer {
                lilv_free(binary)
                lilv_free(bundle)
            }
            let features = world.strings(lilv_world_find_nodes(world.world, uri, required, nil))
            if let missing = features.first(where: { !supportedFeatures.contains($0) }) {
                reasons.append("its X11 editor requires \(missing), which DirectPipe does not give")
                continue
            }
            let needsInstance = features.contains { $0.hasSuffix("/instance-access") || $0.hasSuffix("/data-access") }
            let reference = LV2UIReference(
                uri: world.string(uri), binary: String(cString: binary), bundle: String(cString: bundle), needsInstance: needsInstance)
            return (reference, nil)
        }
        return (nil, reasons.first)
    }
}
