/// Timers and watches of the plugin thread that a plugin's editor registered, by the plugin's own key (a CLAP timer
/// id or descriptor, a VST3 handler): ended by that key, and all together when the editor closes (what the plugin
/// left registered). Used on the plugin thread only.
final class PluginThreadRegistrations<Key: Hashable> {
    private var ids: [Key: [Int]] = [:]

    /// Records the plugin thread's timer or watch `id` under `key` (several may share one).
    func add(_ key: Key, _ id: Int) { ids[key, default: []].append(id) }

    /// The first timer or watch under `key`, if any.
    func first(_ key: Key) -> Int? { ids[key]?.first }

    /// Ends everything under `key`; false when there was nothing.
    @discardableResult
    func end(_ key: Key) -> Bool {
        guard let ended = ids.removeValue(forKey: key) else { return false }
        for id in ended { PluginThread.shared.remove(id) }
        return true
    }

    /// Ends everything (without calling the plugin: some free their handlers as their editor closes).
    func endAll() {
        for id in ids.values.joined() { PluginThread.shared.remove(id) }
        ids = [:]
    }
}
