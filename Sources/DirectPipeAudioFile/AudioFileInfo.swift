import CSndfile

/// A file's format without reading its audio.
public enum AudioFileInfo {
    /// The file's sample rate and channel count, from its header.
    public static func format(of path: String) throws(AudioFileError) -> (sampleRate: Int, channels: Int) {
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            throw AudioFileError(path: path, reason: String(cString: sf_strerror(nil)))
        }
        sf_close(file)
        return (Int(info.samplerate), Int(info.channels))
    }

    public static func channels(of path: String) throws(AudioFileError) -> Int {
        try format(of: path).channels
    }
}
