import CSndfile

/// Reads a whole audio file (anything libsndfile opens) as interleaved floats.
public struct AudioFileContents: Sendable {
    public var sampleRate: Int
    public var channels: Int
    public var samples: [Float]

    public var frames: Int { samples.count / max(channels, 1) }

    public init(path: String) throws(AudioFileError) {
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            throw AudioFileError(path: path, reason: String(cString: sf_strerror(nil)))
        }
        defer { sf_close(file) }
        sampleRate = Int(info.samplerate)
        channels = Int(info.channels)
        var samples = [Float](repeating: 0, count: Int(info.frames) * Int(info.channels))
        let read = samples.withUnsafeMutableBufferPointer { sf_readf_float(file, $0.baseAddress, info.frames) }
        guard read == info.frames else {
            throw AudioFileError(path: path, reason: "short read: \(read) of \(info.frames) frames")
        }
        self.samples = samples
    }
}
