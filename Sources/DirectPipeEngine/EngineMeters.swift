import Foundation

/// Levels and health the audio thread publishes for the control side, lock-free:
/// per-channel peak and RMS of input and output (latest period), clip flags
/// held until read, CPU load, counters.
public final class EngineMeters: Sendable {
    public static var maxChannels: Int { 8 }

    let words = AtomicWords.allocate(count: MeterWord.count)

    public init() {}

    deinit { words.deallocate() }

    /// A snapshot for status lines and the API.
    public struct Snapshot: Sendable {
        /// Peaks: the largest since the previous snapshot. RMS: of the latest period.
        public var inputPeak: [Float], inputRMS: [Float], outputPeak: [Float], outputRMS: [Float]
        /// A sample reached full scale since the previous snapshot.
        public var inputClipped: Bool, outputClipped: Bool
        /// Share of the period the last callback took, and the most since the previous snapshot.
        public var cpuLoad: Float, maxCPULoad: Float
        public var callbacks: UInt64
        /// DirectPipe's own: periods it started late or callbacks that took longer than a period.
        public var overruns: UInt64
        /// The audio graph's: cycles the server skipped or reported as xruns (PipeWire's driver moving on
        /// without this node, JACK's xrun callback), whoever in the graph was late.
        public var graphSkippedCycles: UInt64
        /// Samples that were NaN or infinite after the chain and were replaced by silence.
        public var nonFiniteSamples: UInt64
        /// The safety guards' lowest gain since the previous snapshot (1: they turned nothing down).
        public var guardGain: Float
        /// The output's loudness (EBU R 128).
        public var loudness: Loudness
    }

    /// The output's loudness: LUFS (nil for silence, below any reading), true peaks in dBTP.
    public struct Loudness: Sendable, Equatable {
        public var momentary: Float?
        public var shortTerm: Float?
        /// Gated, since the start or the last reset.
        public var integrated: Float?
        /// The highest true peak since the previous snapshot, and since the last reset.
        public var truePeak: Float?
        public var truePeakSinceReset: Float?
    }

    /// Reads the meters; clears the peak and clip holds and the CPU maximum.
    public func snapshot(inputChannels: Int, outputChannels: Int) -> Snapshot {
        func floats(_ first: Int, _ count: Int) -> [Float] { (0..<count).map { words.float(first + $0) } }
        /// Peaks are held by the audio thread until read here.
        func peaks(_ first: Int, _ count: Int) -> [Float] {
            (0..<count).map { Float(bitPattern: UInt32(truncatingIfNeeded: words.exchange(first + $0, 0))) }
        }
        let inputs = min(inputChannels, Self.maxChannels)
        return Snapshot(
            inputPeak: peaks(MeterWord.inputPeak, inputs),
            inputRMS: floats(MeterWord.inputMeanSquare, inputs).map { $0.squareRoot() },
            outputPeak: peaks(MeterWord.outputPeak, outputChannels),
            outputRMS: floats(MeterWord.outputMeanSquare, outputChannels).map { $0.squareRoot() },
            inputClipped: words.exchange(MeterWord.inputClipped, 0) != 0,
            outputClipped: words.exchange(MeterWord.outputClipped, 0) != 0,
            cpuLoad: words.float(MeterWord.load),
            maxCPULoad: Float(bitPattern: UInt32(truncatingIfNeeded: words.exchange(MeterWord.maxLoad, 0))),
            callbacks: words.load(MeterWord.callbacks), overruns: words.load(MeterWord.overruns),
            graphSkippedCycles: words.load(MeterWord.graphSkips), nonFiniteSamples: words.load(MeterWord.nonFinite),
            guardGain: 1 - Float(bitPattern: UInt32(truncatingIfNeeded: words.exchange(MeterWord.guardReduction, 0))),
            loudness: loudness())
    }

    private func loudness() -> Loudness {
        func lufs(_ index: Int) -> Float? {
            let value = words.float(index)
            return value.isFinite && value > -100 ? value : nil
        }
        let held = Float(bitPattern: UInt32(truncatingIfNeeded: words.exchange(MeterWord.truePeak, 0)))
        return Loudness(
            momentary: lufs(MeterWord.momentaryLoudness), shortTerm: lufs(MeterWord.shortTermLoudness),
            integrated: lufs(MeterWord.integratedLoudness), truePeak: held > 0 ? 20 * log10(held) : nil,
            truePeakSinceReset: lufs(MeterWord.truePeakSinceReset))
    }

    /// A period started late (the backend saw it) or a callback overran.
    public func countOverrun(_ count: Int = 1) { words.add(MeterWord.overruns, UInt64(count)) }

    /// Cycles the graph skipped or reported as xruns: counted apart from DirectPipe's own overruns, so a user
    /// reading the status can tell whose they are.
    public func countGraphSkips(_ count: Int = 1) { words.add(MeterWord.graphSkips, UInt64(count)) }

    /// Starts both xrun counts again from zero (a user's "reset xruns").
    public func resetOverruns() {
        words.store(MeterWord.overruns, 0)
        words.store(MeterWord.graphSkips, 0)
    }
}
