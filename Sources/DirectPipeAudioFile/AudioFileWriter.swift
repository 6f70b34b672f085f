import CSndfile

#if canImport(Glibc)
    import Glibc
#endif

/// Writes interleaved float audio to a WAV or FLAC file through libsndfile.
///
/// Audio goes to a hidden temporary file beside `path`, renamed over `path`
/// by ``finish()``: an interrupted recording never damages an existing file.
/// Not for the audio thread (file I/O blocks).
public final class AudioFileWriter {
    public let path: String
    public let sampleRate: Int
    public let channels: Int
    public private(set) var framesWritten: Int64 = 0
    private let temporaryPath: String
    private var file: OpaquePointer?

    public init(path: String, sampleRate: Int, channels: Int) throws(AudioFileError) {
        guard let container = AudioFileContainer(path: path) else {
            throw AudioFileError(path: path, reason: "unsupported file type (use .wav or .flac)")
        }
        self.path = path
        self.sampleRate = sampleRate
        self.channels = channels
        let slash = path.lastIndex(of: "/")
        let directory = slash.map { String(path[...$0]) } ?? ""
        let base = slash.map { String(path[path.index(after: $0)...]) } ?? path
        temporaryPath = "\(directory).\(base).partial"
        var info = SF_INFO()
        info.samplerate = Int32(sampleRate)
        info.channels = Int32(channels)
        info.format = container.sndfileFormat
        guard sf_format_check(&info) != 0 else {
            throw AudioFileError(path: path, reason: "\(container.rawValue) cannot hold \(channels) channels at \(sampleRate) Hz")
        }
        guard let file = sf_open(temporaryPath, Int32(SFM_WRITE), &info) else {
            throw AudioFileError(path: path, reason: String(cString: sf_strerror(nil)))
        }
        self.file = file
    }

    deinit {
        // Not finished: leave any existing file at `path` as it was.
        if let file {
            sf_close(file)
            unlink(temporaryPath)
        }
    }

    /// Appends interleaved frames (a trailing partial frame is ignored).
    public func write(_ samples: UnsafeBufferPointer<Float>) throws(AudioFileError) {
        guard let file, let base = samples.baseAddress else { return }
        let frames = sf_count_t(samples.count / channels)
        let written = sf_writef_float(file, base, frames)
        guard written == frames else {
            throw AudioFileError(path: path, reason: "write failed: \(String(cString: sf_strerror(file)))")
        }
        framesWritten += Int64(written)
    }

    /// Completes the file and moves it into place.
    public func finish() throws(AudioFileError) {
        guard let file else { return }
        self.file = nil
        sf_write_sync(file)
        guard sf_close(file) == 0 else {
            unlink(temporaryPath)
            throw AudioFileError(path: path, reason: "could not complete the file")
        }
        guard rename(temporaryPath, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temporaryPath)
            throw AudioFileError(path: path, reason: "could not move the finished file into place: \(reason)")
        }
    }
}
