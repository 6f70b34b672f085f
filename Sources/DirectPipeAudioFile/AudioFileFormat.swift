import CSndfile

/// The container an audio file is written in, chosen by its extension.
public enum AudioFileContainer: String, Sendable, CaseIterable {
    /// 32-bit float WAV: bit-exact with the pipe's samples.
    case wav
    /// 24-bit FLAC: lossless to 24 bits, about half the size.
    case flac

    /// The container for `path`'s extension (case-insensitive), if supported.
    public init?(path: String) {
        guard let dot = path.lastIndex(of: "."), let value = Self(rawValue: path[path.index(after: dot)...].lowercased()) else {
            return nil
        }
        self = value
    }

    var sndfileFormat: Int32 {
        switch self {
        case .wav: Int32(SF_FORMAT_WAV | SF_FORMAT_FLOAT)
        case .flac: Int32(SF_FORMAT_FLAC | SF_FORMAT_PCM_24)
        }
    }
}
