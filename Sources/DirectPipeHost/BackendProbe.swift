import DirectPipeAudio

/// What answers on this machine, as backend choice asks it: a PipeWire daemon, a JACK server (and its format),
/// an ALSA capture device that opens. ``system`` asks the real ones; tests give their own answers, so the choice
/// is a function of the settings and these answers alone.
public struct BackendProbe: Sendable {
    public var pipeWireAnswers: @Sendable () -> Bool
    /// The running JACK server's rate and period (nil: no server of that name; nil name: the default one).
    public var jackServer: @Sendable (_ name: String?) -> (sampleRate: Int, period: Int)?
    public var alsaCaptureOpens: @Sendable (_ device: String) -> Bool

    public init(
        pipeWireAnswers: @escaping @Sendable () -> Bool, jackServer: @escaping @Sendable (String?) -> (sampleRate: Int, period: Int)?,
        alsaCaptureOpens: @escaping @Sendable (String) -> Bool
    ) {
        self.pipeWireAnswers = pipeWireAnswers
        self.jackServer = jackServer
        self.alsaCaptureOpens = alsaCaptureOpens
    }

    /// The daemons and devices of this machine.
    public static let system = BackendProbe(
        pipeWireAnswers: { PipeWireBackend.isAvailable },
        jackServer: { JackBackend.serverFormat(serverName: $0).map { ($0.sampleRate, $0.bufferSize) } },
        alsaCaptureOpens: { AlsaBackend.canCapture($0) })
}
