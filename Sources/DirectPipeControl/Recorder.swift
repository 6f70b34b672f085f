import DirectPipeAudioFile
import DirectPipeEngine
import Foundation

/// Records the processed signal to WAV or FLAC: the audio thread copies each period into the engine's
/// record ring (lock-free, no allocation), and a writer thread of its own drains it into libsndfile. The file
/// is completed atomically on stop (an interrupted recording never damages an existing file).
/// Unchecked Sendable: the file writer is handed to the drain thread under `lock` and used by that thread alone.
public final class Recorder: @unchecked Sendable {
    public struct Status: Sendable, Codable, Equatable {
        public var path: String
        public var seconds: Double
        /// Frames lost because the writer fell two seconds behind (the disk stalled).
        public var droppedFrames: UInt64
        enum CodingKeys: String, CodingKey {
            case path, seconds
            case droppedFrames = "dropped_frames"
        }
    }

    private let engine: Engine
    private let lock = NSLock()
    private var writer: AudioFileWriter?
    private var thread: Thread?
    private var stopping = false
    private var droppedAtStart: UInt64 = 0
    private var failure: String?

    public init(engine: Engine) { self.engine = engine }

    /// Where a recording goes when no path is given: `~/Music/DirectPipe/DirectPipe YYYY-MM-DD HH-MM-SS.wav`.
    public static func defaultPath() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyy-MM-dd HH-mm-ss"
        let home = ProcessInfo.processInfo.environment["HOME"] ?? NSHomeDirectory()
        return "\(home)/Music/DirectPipe/DirectPipe \(formatter.string(from: Date())).wav"
    }

    /// Starts recording to `path` (.wav: 32-bit float; .flac: 24-bit).
    public func start(path: String) throws(ActionError) {
        lock.lock()
        defer { lock.unlock() }
        guard writer == nil else { throw ActionError(.conflict, "already recording to \(writer!.path)") }
        let format = engine.format
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            writer = try AudioFileWriter(path: path, sampleRate: format.sampleRate, channels: format.outputChannels)
        } catch let error as AudioFileError {
            throw ActionError(.invalid, error.description)
        } catch {
            throw ActionError(.invalid, "\(path): \(error.localizedDescription)")
        }
        engine.recordRing.discardAll()
        droppedAtStart = engine.recordRing.dropped
        stopping = false
        failure = nil
        engine.controls.isRecording = true
        let thread = Thread { [weak self] in self?.drain() }
        thread.name = "directpipe-recorder"
        self.thread = thread
        thread.start()
    }

    /// Stops, writes what is left and completes the file; its status, or nil when not recording.
    @discardableResult
    public func stop() throws(ActionError) -> Status? {
        let (thread, writer): (Thread?, AudioFileWriter?) = lock.withLock {
            engine.controls.isRecording = false
            stopping = true
            return (self.thread, self.writer)
        }
        guard let writer else { return nil }
        while thread?.isFinished == false { usleep(2000) }
        let status = self.status
        lock.withLock {
            self.writer = nil
            self.thread = nil
        }
        do { try writer.finish() } catch { throw ActionError(.conflict, error.description) }
        if let failure { throw ActionError(.conflict, "the recording stopped early: \(failure)") }
        return status
    }

    /// What is being recorded, or nil.
    public var status: Status? {
        lock.withLock {
            writer.map {
                Status(
                    path: $0.path, seconds: Double($0.framesWritten) / Double(engine.format.sampleRate),
                    droppedFrames: engine.recordRing.dropped - droppedAtStart)
            }
        }
    }

    private func drain() {
        let channels = engine.format.outputChannels
        let chunk = 4096
        var buffer = [Float](repeating: 0, count: chunk * channels)
        while true {
            let (writer, stopping) = lock.withLock { (self.writer, self.stopping) }
            guard let writer else { return }
            var frames = 0
            repeat {
                frames = buffer.withUnsafeMutableBufferPointer { engine.recordRing.read(into: $0.baseAddress!, maxFrames: chunk) }
                if frames > 0 {
                    do {
                        try buffer.withUnsafeBufferPointer { try writer.write(UnsafeBufferPointer(rebasing: $0[0..<frames * channels])) }
                    } catch {
                        lock.withLock { failure = "\(error)" }
                        engine.controls.isRecording = false
                        return
                    }
                }
            } while frames == chunk
            if stopping { return }
            usleep(20_000)
        }
    }
}
