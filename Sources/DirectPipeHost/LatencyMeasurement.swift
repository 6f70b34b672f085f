import DirectPipeAudio
import DirectPipeControl
import DirectPipeShm
import Foundation

/// The three ways of measuring a running DirectPipe's latency with an impulse, shared by `directpipe latency`
/// (another process) and the `measure_latency` action (the host itself).
public enum LatencyMeasurement {
    /// How another process measures the DirectPipe that writes `reader`'s pipe: a probe in the graph it runs in
    /// (PipeWire, JACK), or the engine's own impulse (the clock, a file, ALSA). `backend` auto: PipeWire when a
    /// daemon answers, else JACK when a server runs, else the engine.
    public enum Method: String, Sendable, Equatable {
        case pipewire, jack, engine

        public init(_ backend: BackendChoice, jackServer: String?, probe: BackendProbe = .system) {
            switch backend {
            case .auto: self = probe.pipeWireAnswers() ? .pipewire : probe.jackServer(jackServer) != nil ? .jack : .engine
            case .pipewire: self = .pipewire
            case .jack: self = .jack
            case .alsa, .file, .clock: self = .engine
            }
        }
    }

    /// Measures by `method`; for the engine, SIGUSR1 asks the writer (checked to be a DirectPipe engine first).
    public static func fromOutside(_ reader: PipeReader, method: Method, jackServer: String?) throws -> LatencyReport {
        switch method {
        case .pipewire: try pipewire(reader)
        case .jack: try jack(reader, serverName: jackServer)
        case .engine:
            try engine(reader) { pid in
                try EngineLatencyProbe.checkIsEngine(pid, pipe: reader.name)
                kill(pid, SIGUSR1)  // the run's RunService turns it into an impulse
            }
        }
    }

    /// A probe node plays an impulse into DirectPipe's input in the PipeWire graph and times it at the virtual
    /// mic and the monitor (frames), and in the pipe (ms).
    public static func pipewire(_ reader: PipeReader) throws -> LatencyReport {
        let probe = try PipeWireLatencyProbe()
        let pipeLatency = findImpulse(in: reader, sentNs: { probe.impulseSentNs })
        let measured = probe.measure()
        return LatencyReport(
            backend: "pipewire", sampleRate: measured.sampleRate, micFrames: measured.micFrames,
            monitorFrames: measured.monitorFrames, pipeReadableMs: pipeLatency.map { Double($0) / 1e6 })
    }

    /// A probe client does the same in the JACK graph (mic_out_1, monitor_out_1).
    public static func jack(_ reader: PipeReader, serverName: String?) throws -> LatencyReport {
        let probe = try JackLatencyProbe(serverName: serverName)
        let pipeLatency = findImpulse(in: reader, sentNs: { probe.impulseSentNs })
        let ports = probe.measure()
        return LatencyReport(
            backend: "jack", sampleRate: probe.sampleRate, periodFrames: probe.periodFrames, micFrames: ports.micFrames,
            monitorFrames: ports.monitorFrames, pipeReadableMs: pipeLatency.map { Double($0) / 1e6 })
    }

    /// No graph to probe from (the clock, a file, ALSA): `request` makes the engine writing the pipe (pid given)
    /// put an impulse at its input, and its arrival in the pipe is timed from the impulse frame's capture.
    /// `chainLatencyFrames`, the chain's own delay (a limiter's lookahead), is added: the impulse comes out that
    /// much later than the frame it seems to belong to.
    /// `periodFrames`: the engine's, when the caller knows it.
    public static func engine(
        _ reader: PipeReader, periodFrames: Int? = nil, chainLatencyFrames: Int = 0, request: (Int32) throws -> Void
    ) throws -> LatencyReport {
        let measured = try EngineLatencyProbe(reader: reader).measure(periodFrames: periodFrames, request: request)
        let ms = { (ns: Double) in ns / 1e6 }
        let periodNs = Double(measured.periodFrames) * 1e9 / Double(measured.sampleRate)
        let chainNs = Double(chainLatencyFrames) * 1e9 / Double(measured.sampleRate)
        let totalNs = Double(measured.captureToReadableNs) + chainNs
        return LatencyReport(
            backend: "engine", sampleRate: measured.sampleRate, periodFrames: measured.periodFrames,
            pipeReadableMs: ms(totalNs), periodMs: ms(periodNs), chainMs: chainLatencyFrames > 0 ? ms(chainNs) : nil,
            processingMs: ms(totalNs - periodNs - chainNs), writerPid: measured.writerPID)
    }

    /// Reads the pipe until the impulse shows (at most 2 s); returns ns from the impulse's cycle to reading it.
    private static func findImpulse(in reader: PipeReader, sentNs: () -> UInt64) -> UInt64? {
        var buffer = [Float](repeating: 0, count: 65536 * 8)
        let deadline = MonotonicClock.nowNs + 2_000_000_000
        while MonotonicClock.nowNs < deadline {
            guard reader.wait(timeoutMilliseconds: 100) == .data else { continue }
            let readAt = MonotonicClock.nowNs
            while let block = buffer.withUnsafeMutableBufferPointer({ reader.read(into: $0) }) {
                let samples = block.frames * Int(block.format.channels)
                let sent = sentNs()
                if sent != 0, buffer[..<samples].contains(where: { abs($0) > 0.01 }) { return readAt &- sent }
            }
        }
        return nil
    }
}
