import DirectPipeDSP
import DirectPipeEngine

/// What a control source sees of the running DirectPipe: input, outputs, panic, the chain with every
/// effect's parameters, the quick slot, presets. Sent whole on a WebSocket connect and after each change.
public struct ControlState: Sendable, Codable, Equatable {
    public struct Input: Sendable, Codable, Equatable {
        public var gainDB: Double
        public var muted: Bool
        enum CodingKeys: String, CodingKey {
            case gainDB = "gain_db"
            case muted
        }
    }

    public struct Output: Sendable, Codable, Equatable {
        public var enabled: Bool
        public var muted: Bool
        /// Linear, 0 to 4 (+12 dB).
        public var volume: Double
    }

    public struct Effect: Sendable, Codable, Equatable {
        public var index: Int
        public var id: String
        public var name: String
        public var bypass: Bool
        /// Taken out after it produced NaN, infinity or a blow-up.
        public var faulted: Bool
        public var latencyFrames: Int
        public var parameters: [String: Float]
        /// What the user should know about it now (DeepFilterNet behind real time, RNNoise standing in).
        public var note: String?
        /// Its plugin's own editor: `none` (it has none DirectPipe can open), `closed` or `open`.
        public var editor: EditorStatus
        enum CodingKeys: String, CodingKey {
            case index, id, name, bypass, faulted, parameters, note, editor
            case latencyFrames = "latency_frames"
        }
    }

    /// Whether an effect's own editor can be opened, and is.
    public enum EditorStatus: String, Sendable, Codable, Equatable {
        case none, closed, open
    }

    public struct Chain: Sendable, Codable, Equatable {
        public var bypass: Bool
        public var latencyFrames: Int
        public var effects: [Effect]
        enum CodingKeys: String, CodingKey {
            case bypass, effects
            case latencyFrames = "latency_frames"
        }
    }

    public struct Format: Sendable, Codable, Equatable {
        public var sampleRate: Int
        public var periodFrames: Int
        public var channels: Int
        enum CodingKeys: String, CodingKey {
            case sampleRate = "sample_rate"
            case periodFrames = "period_frames"
            case channels
        }
    }

    public var input: Input
    public var outputs: [String: Output]
    public var panic: Bool
    public var chain: Chain
    /// The quick slot last switched to, if any.
    public var slot: String?
    public var slots: [String]
    public var presets: [String]
    public var format: Format
    /// The backend and devices running (nil where no audio host runs the engine).
    public var audio: AudioStatus?
    /// The latency last measured with `measure_latency` (until the audio side changes).
    public var latency: LatencyReport?
    /// The recording under way, if any.
    public var recording: Recorder.Status?
    /// The safety guard before every output.
    public var safetyGuard: Guard
    /// Bumped by every change: a client can tell whether it missed one.
    public var version: Int

    enum CodingKeys: String, CodingKey {
        case input, outputs, panic, chain, slot, slots, presets, format, audio, latency, recording, version
        case safetyGuard = "guard"
    }

    public struct Guard: Sendable, Codable, Equatable {
        public var on: Bool
        public var ceilingDB: Double
        /// The true-peak mode (between samples, 1 ms of lookahead), else the sample mode (no latency).
        public var truePeak: Bool
        /// What the guard adds to every output's latency (the true-peak mode's lookahead; also while it is off).
        public var latencyFrames: Int
        enum CodingKeys: String, CodingKey {
            case on
            case ceilingDB = "ceiling_db"
            case truePeak = "true_peak"
            case latencyFrames = "latency_frames"
        }
    }
}

/// The live figures, sent to WebSocket clients up to 30 times a second.
public struct Telemetry: Sendable, Codable, Equatable {
    public var inputPeak: [Float]
    public var outputPeak: [Float]
    public var outputRMS: [Float]
    public var clipped: Bool
    public var cpuLoad: Float
    /// DirectPipe's own overruns: periods it started late or processed for longer than a period.
    public var xruns: UInt64
    /// The graph's: cycles the audio server skipped or reported as xruns, whoever was late.
    public var graphXruns: UInt64
    public var callbacks: UInt64
    /// What the engine adds between input and outputs: the chain's latency and the guard's lookahead (true-peak mode).
    public var latencyFrames: Int
    /// The OBS pipe: readers waiting for audio, and frames the latest reader has not read yet (nil: no host).
    public var pipeReaders: Int?
    public var pipeFillFrames: Int?
    /// Each effect's gain reduction now, in dB, in chain order (null for effects without one).
    public var gainReductionDB: [Float?]
    /// Each effect's voice probability (0…1), in chain order (null for effects that do not detect voice).
    public var voiceProbability: [Float?]
    /// What each effect says a user should know now, in chain order (null: nothing), as the state's `note` but live:
    /// DeepFilterNet falling behind real time and RNNoise standing in shows while it happens.
    public var notes: [String?]
    /// How far the safety guard turned the output down since the previous telemetry, in dB (0: not at all).
    public var guardReductionDB: Float
    /// The output's loudness (EBU R 128).
    public var loudness: Loudness

    /// LUFS (null: silence, below any reading) and dBTP.
    public struct Loudness: Sendable, Codable, Equatable {
        public var momentary: Float?
        public var shortTerm: Float?
        public var integrated: Float?
        /// The highest true peak since the previous telemetry, and since the last reset.
        public var truePeak: Float?
        public var truePeakMax: Float?
        enum CodingKeys: String, CodingKey {
            case momentary, integrated
            case shortTerm = "short_term"
            case truePeak = "true_peak"
            case truePeakMax = "true_peak_max"
        }
    }

    enum CodingKeys: String, CodingKey {
        case gainReductionDB = "gain_reduction_db"
        case voiceProbability = "voice_probability"
        case notes
        case guardReductionDB = "guard_reduction_db"
        case loudness
        case pipeReaders = "pipe_readers"
        case pipeFillFrames = "pipe_fill_frames"
        case inputPeak = "input_peak"
        case outputPeak = "output_peak"
        case outputRMS = "output_rms"
        case clipped
        case cpuLoad = "cpu_load"
        case xruns, callbacks
        case graphXruns = "graph_xruns"
        case latencyFrames = "latency_frames"
    }
}
