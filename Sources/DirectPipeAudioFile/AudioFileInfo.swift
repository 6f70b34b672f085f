import CSndfile

/// A file's format without reading its audio.
public enum AudioFileInfo {
    public static func channels(of path: String) throws(AudioFileError) -> Int {
        var info = SF_INFO()
        guard let file = sf_open(path, Int32(SFM_READ), &info) else {
            throw AudioFileError(path: path, reason: String(cString: sf_strerror(nil)))
        }
        sf_close(file)
        return Int(info.channels)
    }
}
