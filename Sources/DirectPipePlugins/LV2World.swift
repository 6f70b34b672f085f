import CDirectPipeLV2
import CLilv
import Foundation

/// lilv's world: the descriptions of every installed LV2 plugin, loaded once
/// per process, and the URID map every instance shares. lilv is not
/// thread-safe, so each use goes through ``withLock(_:)``.
/// Unchecked Sendable: lilv's world and the node cache are used under its NSRecursiveLock; the URID map takes its own pthread mutex.
final class LV2World: @unchecked Sendable {
    static let shared = LV2World()

    let world: OpaquePointer
    let urids: OpaquePointer
    private let lock = NSRecursiveLock()
    private var nodes: [String: OpaquePointer] = [:]

    /// The features an instance gets (see CDirectPipeLV2), and those met by how we run plugins:
    /// ports are never connected in place, blocks never exceed the maximum, default state is loaded.
    static let supportedFeatures: Set<String> = [
        "http://lv2plug.in/ns/ext/urid#map", "http://lv2plug.in/ns/ext/urid#unmap", "http://lv2plug.in/ns/ext/options#options",
        "http://lv2plug.in/ns/ext/buf-size#boundedBlockLength", "http://lv2plug.in/ns/ext/log#log",
        "http://lv2plug.in/ns/ext/worker#schedule", "http://lv2plug.in/ns/lv2core#inPlaceBroken",
        "http://lv2plug.in/ns/lv2core#isLive", "http://lv2plug.in/ns/lv2core#hardRTCapable",
        "http://lv2plug.in/ns/ext/state#loadDefaultState",
    ]

    private init() {
        world = lilv_world_new()
        lilv_world_load_all(world)
        urids = dp_lv2_urids_new()
    }

    /// Adds the descriptions of the bundle at `path` (a folder ending in `/`) to the world.
    func loadBundle(_ path: String) {
        withLock {
            let folder = path.hasSuffix("/") ? path : path + "/"
            guard let uri = lilv_new_file_uri(world, nil, folder) else { return }
            lilv_world_load_bundle(world, uri)
            lilv_node_free(uri)
        }
    }

    func withLock<T>(_ body: () throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body()
    }

    /// A URI node kept for the life of the world (call under the lock).
    func node(_ uri: String) -> OpaquePointer {
        if let node = nodes[uri] { return node }
        let node = lilv_new_uri(world, uri)!
        nodes[uri] = node
        return node
    }

    func map(_ uri: String) -> UInt32 { dp_lv2_urid_map(urids, uri) }

    /// The plugin with `uri` (call under the lock).
    func plugin(_ uri: String) -> OpaquePointer? {
        lilv_plugins_get_by_uri(lilv_world_get_all_plugins(world), node(uri))
    }

    /// Every plugin's URI.
    func allURIs() -> [String] {
        withLock {
            let plugins = lilv_world_get_all_plugins(world)
            var uris: [String] = []
            var iterator = lilv_plugins_begin(plugins)
            while !lilv_plugins_is_end(plugins, iterator) {
                if let plugin = lilv_plugins_get(plugins, iterator) { uris.append(string(lilv_plugin_get_uri(plugin))) }
                iterator = lilv_plugins_next(plugins, iterator)
            }
            return uris
        }
    }

    /// A node's text ("" for none); frees it when `owned`.
    func string(_ node: OpaquePointer?, owned: Bool = false) -> String {
        guard let node else { return "" }
        defer { if owned { lilv_node_free(node) } }
        return lilv_node_as_string(node).map { String(cString: $0) } ?? ""
    }

    /// The nodes of a collection, as strings; frees it.
    func strings(_ nodes: UnsafeMutableRawPointer?) -> [String] {
        guard let nodes else { return [] }
        defer { lilv_nodes_free(nodes) }
        var result: [String] = []
        var iterator = lilv_nodes_begin(nodes)
        while !lilv_nodes_is_end(nodes, iterator) {
            result.append(string(lilv_nodes_get(nodes, iterator)))
            iterator = lilv_nodes_next(nodes, iterator)
        }
        return result
    }
}
