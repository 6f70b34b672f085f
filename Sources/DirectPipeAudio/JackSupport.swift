import CDirectPipeJack

/// What every JACK client of DirectPipe shares (the backend, the device list, the latency probe).
enum JackSupport {
    /// libjack prints every failed connection attempt; DirectPipe says once that a
    /// server is gone and once that it is back (or that none runs), and keeps the rest out of the way.
    static func quietLibjack() {
        jack_set_error_function { _ in }
        jack_set_info_function { _ in }
    }

    /// Names of the audio ports with all of `flags` (JackPortFlags bits), in JACK's order.
    static func portNames(_ client: OpaquePointer, flags: UInt32) -> [String] {
        guard let list = jack_get_ports(client, nil, JACK_DEFAULT_AUDIO_TYPE, UInt(flags)) else { return [] }
        defer { jack_free(list) }
        var names: [String] = []
        var index = 0
        while let name = list[index] {
            names.append(String(cString: name))
            index += 1
        }
        return names
    }
}
