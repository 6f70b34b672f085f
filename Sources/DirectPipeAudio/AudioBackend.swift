import DirectPipeEngine

/// A source of audio periods that drives the engine: PipeWire, JACK, ALSA,
/// a file or the internal clock, behind one protocol.
public protocol AudioBackend: AnyObject, Sendable {
    /// A short name for status lines: "clock", "jack", ...
    var name: String { get }
    /// Starts calling `engine.process` once per period on a real-time thread.
    func start(_ engine: Engine) throws(BackendError)
    /// Stops and waits for the audio thread to finish; idempotent.
    func stop()
    /// What happened when the audio thread started (real-time scheduling, memory locking).
    var startReport: RealtimeThread.Report? { get }
    /// False while the device or server is gone (the backend keeps trying to get it back).
    var isConnected: Bool { get }
    /// How often the backend got its device or server back.
    var reconnects: Int { get }
    /// Audio-thread allocations after warm-up, when the counter library is preloaded (tests); read after stop.
    var countedAllocations: Int64? { get }
    /// True once a source with an end (a file) has been played through; the run then ends.
    var hasFinished: Bool { get }
}

extension AudioBackend {
    public var hasFinished: Bool { false }
}

/// Why a backend could not start, naming the problem.
public enum BackendError: Error, Equatable, CustomStringConvertible {
    case badInput(String)
    case threadFailed(Int32)

    public var description: String {
        switch self {
        case .badInput(let problem): "bad input: \(problem)"
        case .threadFailed(let code): "could not start the audio thread (error \(code))"
        }
    }
}
