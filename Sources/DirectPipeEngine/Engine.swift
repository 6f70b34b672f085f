import Atomics
import CDirectPipeShm
import DirectPipeDSP
import DirectPipeShm

// Everything the audio thread runs is in this file: in a debug build the
// compiler checks @_noAllocation only against code it sees in the same file.

/// The real-time heart of DirectPipe: one call per period from a backend's
/// audio thread, input → gain → mono/stereo → chain → output router.
///
/// ``process(input:frames:captureTimeNs:)`` allocates nothing, takes no lock
/// and makes no system call but the pipe writer's one futex wake (checked by
/// `@_noAllocation` and by the allocation-counting test); NaN and infinity
/// never reach an output. Everything else is set up before audio starts.
///
/// Sendable because the audio thread is its only caller of `process` (one
/// at a time), and everything the control side touches (controls, meters)
/// is atomic; the rest is immutable after init or the audio thread's own (the
/// period's buffers and gain ramps).
/// Unchecked Sendable: buffers, ramps and the chain run on the one audio thread; the control side touches only atomics and ChainSwap.
public final class Engine: @unchecked Sendable {
    public let format: EngineFormat
    public let controls: EngineControls
    public let meters = EngineMeters()
    private let pipe: PipeWriter?
    /// The same writer without reference counting, for the audio thread (`pipe` keeps it alive).
    private let pipeView: Unmanaged<PipeWriter>?
    /// Where the monitor and virtual-mic outputs also go when they play on another clock (see
    /// `AlsaBridge`, `PipeWireMicBridge`); the rings themselves are kept alive here.
    private let monitorRing: SampleRing?
    private let monitorRingView: Unmanaged<SampleRing>?
    private let micRing: SampleRing?
    private let micRingView: Unmanaged<SampleRing>?
    /// The processed signal for a recorder (see ``recording``), two seconds deep: a writer thread drains it.
    public let recordRing: SampleRing
    private let recordRingView: Unmanaged<SampleRing>
    // Trivial views of the controls' and meters' words: no reference counting on the audio thread.
    private let controlWords: AtomicWords
    private let meterWriter: MeterWriter

    /// Every buffer the period passes through, in one allocation laid out for the period's length.
    private var buffers: PeriodBuffers
    /// The effects chain, swapped in whole (see ``install(chain:)``).
    private let chainSwap: ChainSwap
    // Its view for the audio thread, without reference counting (the property above keeps it alive).
    private let chainSwapView: Unmanaged<ChainSwap>
    private var inputGain: GainRamp
    private var chainGain: GainRamp
    private var pipeGain: GainRamp
    private var micGain: GainRamp
    private var monitorGain: GainRamp
    /// Where each output's samples are this period (see ``route(into:ramp:target:frames:channels:)``).
    private var pipeOutput: UnsafeMutablePointer<Float>
    private var micOutput: UnsafeMutablePointer<Float>
    private var monitorOutput: UnsafeMutablePointer<Float>
    /// The safety guard after the chain (the recording, and every output at unity volume, share its signal), and
    /// one for each output whose volume makes a copy (a volume above 1 could take it over the ceiling again).
    private var chainGuard: SafetyGuard
    private var pipeGuard: SafetyGuard
    private var micGuard: SafetyGuard
    private var monitorGuard: SafetyGuard
    /// The guard after the chain in its true-peak mode (nil: the sample-peak `chainGuard`): a constant lookahead.
    private let truePeakGuard: TruePeakGuard?
    private let truePeakGuardView: Unmanaged<TruePeakGuard>?
    /// Frames the guard after the chain delays every output by: its true-peak lookahead, or 0.
    public var guardLatencyFrames: Int { truePeakGuard?.latencyFrames ?? 0 }
    /// The output's loudness and true peak (EBU R 128), on the signal the recording and the outputs at unity get.
    private let loudness: LoudnessMeter
    private let loudnessView: Unmanaged<LoudnessMeter>
    private var loudnessBlocks = 0
    private var loudnessResets: UInt64 = 0
    private let periodNs: Float
    private let maxFrames = EngineFormat.maxPeriodFrames
    private let inputChannels: Int
    private let outputChannels: Int
    private let isMono: Bool
    /// Frames of the latency impulse pattern still to come (see ``EngineControls/requestLatencyImpulse()``).
    private var impulsePatternLeft = 0
    // The impulse's constants as stored values: the audio thread touches no type metadata.
    private let impulseLevel = Engine.latencyImpulseLevel
    private let impulseSilence = Engine.latencyImpulseSilence

    /// `pipe` receives the output (its format must have `format.outputChannels`); `monitorRing` and
    /// `micRing`, when given, receive the monitor and virtual-mic outputs every period (for a device
    /// or graph on another clock). `truePeakGuard`: the guard after the chain keeps the true peak (between samples) under
    /// its ceiling, 1 ms late, instead of the samples with no latency; it delays even while the guard is off.
    public init(
        format: EngineFormat, controls: EngineControls = EngineControls(), pipe: PipeWriter?, monitorRing: SampleRing? = nil,
        micRing: SampleRing? = nil, chain: EffectChain? = nil, truePeakGuard: Bool = false
    ) throws(EngineError) {
        if let chain { try Self.check(chain, format) }
        if let pipe, Int(pipe.format.channels) != format.outputChannels || Int(pipe.format.sampleRate) != format.sampleRate {
            throw .badSetting("pipe", "its format (\(pipe.format)) does not match the engine's output (\(format))")
        }
        for (name, ring) in [("monitor", monitorRing), ("virtual mic", micRing)]
        where (ring?.channels ?? format.outputChannels) != format.outputChannels {
            throw .badSetting(name, "its ring has \(ring?.channels ?? 0) channels, the engine's output \(format.outputChannels)")
        }
        self.monitorRing = monitorRing
        monitorRingView = monitorRing.map { Unmanaged.passUnretained($0) }
        self.micRing = micRing
        micRingView = micRing.map { Unmanaged.passUnretained($0) }
        recordRing = SampleRing(channels: format.outputChannels, minimumFrames: format.sampleRate * 2)
        recordRingView = Unmanaged.passUnretained(recordRing)
        self.format = format
        self.controls = controls
        self.pipe = pipe
        pipeView = pipe.map { Unmanaged.passUnretained($0) }
        controlWords = controls.words
        meterWriter = MeterWriter(words: meters.words)
        buffers = PeriodBuffers(inputChannels: format.inputChannels, outputChannels: format.outputChannels)
        buffers.layOut(frames: format.periodFrames)
        (pipeOutput, micOutput, monitorOutput) = (buffers.pipe, buffers.mic, buffers.monitor)
        chainSwap = ChainSwap(chain)
        chainSwapView = Unmanaged.passUnretained(chainSwap)
        // Start where the controls are: a gain set before audio starts is not faded in.
        func gain(_ output: OutputControl) -> Float { output.isEnabled && !output.isMuted ? output.volume : 0 }
        inputGain = GainRamp(controls.isInputMuted ? 0 : controls.inputGain)
        chainGain = GainRamp(controls.chainGain)
        pipeGain = GainRamp(gain(controls.pipe))
        micGain = GainRamp(gain(controls.virtualMic))
        monitorGain = GainRamp(gain(controls.monitor))
        do {
            // A mono output is read as a stereo stream carries it (both channels): dual mono.
            loudness = try LoudnessMeter(channels: format.outputChannels, sampleRate: Double(format.sampleRate), monoAsDualMono: true)
        } catch {
            throw .badSetting("loudness meter", "\(error)")
        }
        loudnessView = Unmanaged.passUnretained(loudness)
        loudnessResets = controls.words.load(ControlWord.loudnessReset)
        let safetyGuard = SafetyGuard(sampleRate: Double(format.sampleRate))
        (chainGuard, pipeGuard, micGuard, monitorGuard) = (safetyGuard, safetyGuard, safetyGuard, safetyGuard)
        self.truePeakGuard = truePeakGuard ? TruePeakGuard(channels: format.outputChannels, sampleRate: Double(format.sampleRate)) : nil
        truePeakGuardView = self.truePeakGuard.map { Unmanaged.passUnretained($0) }
        periodNs = Float(format.periodNs)
        inputChannels = format.inputChannels
        outputChannels = format.outputChannels
        isMono = format.channelMode == .mono
    }

    deinit {
        buffers.deallocate()
    }

    /// Processes one period: `frames` interleaved frames of `format.inputChannels`
    /// (at most `EngineFormat.maxPeriodFrames`), the first captured at
    /// `captureTimeNs` (CLOCK_MONOTONIC). Feeds the pipe; the virtual mic and
    /// monitor buffers are then ready in ``output(_:)`` for the backend.
    /// `input` may be ``inputBuffer(frames:)``.
    @_noAllocation
    public func process(input: UnsafePointer<Float>, frames: Int, captureTimeNs: UInt64) {
        run(input: input, frames: frames, startNs: monotonicNs(), captureTimeNs: captureTimeNs)
    }

    /// The same for a period whose first frame was captured `captureAgeNs` before this call (one period for JACK
    /// and ALSA): the clock is read once for both the capture time and the CPU load.
    @_noAllocation
    public func process(input: UnsafePointer<Float>, frames: Int, captureAgeNs: UInt64) {
        let start = monotonicNs()
        run(input: input, frames: frames, startNs: start, captureTimeNs: start &- captureAgeNs)
    }

    /// Where a backend may gather a period of `frames` interleaved input frames before ``process(input:frames:captureAgeNs:)``:
    /// beside the engine's own buffers, so the audio thread's memory stays in a few pages. Audio thread only.
    @_noAllocation
    public func inputBuffer(frames: Int) -> UnsafeMutablePointer<Float> {
        buffers.layOut(frames: min(frames, maxFrames))
        return buffers.input
    }

    @_noAllocation
    private func run(input: UnsafePointer<Float>, frames requested: Int, startNs start: UInt64, captureTimeNs: UInt64) {
        let frames = min(requested, maxFrames)
        buffers.layOut(frames: frames)
        let channels = outputChannels

        meterInput(input, frames: frames, channels: inputChannels)
        mixToOutputChannels(input, frames: frames, inputChannels: inputChannels)
        let gain = controlWords.flag(ControlWord.inputMuted) ? 0 : controlWords.float(ControlWord.inputGain)
        inputGain.apply(gain, to: processed, frames: frames, channels: channels)
        runChain(frames: frames)
        markLatencyImpulse(frames: frames, channels: channels)
        chainGain.apply(controlWords.float(ControlWord.chainGain), to: processed, frames: frames, channels: channels)
        let nonFinite = silenceNonFinite(processed, count: frames * channels)
        meterOutput(frames: frames, channels: channels)
        let guardOn = controlWords.flag(ControlWord.guardEnabled)
        let ceiling = controlWords.float(ControlWord.guardCeiling)
        var guardGain: Float = 1
        if let truePeakGuardView {
            // Always through it, off too (an infinite ceiling): switching the guard never moves the output in time.
            let samples = processed, limit = guardOn ? ceiling : Float.infinity
            guardGain = truePeakGuardView._withUnsafeGuaranteedRef { $0.process(samples, frames: frames, ceiling: limit) }
        } else if guardOn {
            guardGain = chainGuard.process(processed, frames: frames, channels: channels, ceiling: ceiling)
        }
        measureLoudness(frames: frames)
        if controlWords.flag(ControlWord.recording) {
            let block = UnsafeBufferPointer(start: processed, count: frames * channels)
            recordRingView._withUnsafeGuaranteedRef { $0.write(block, frames: frames, timeNs: start) }
        }

        pipeOutput = route(into: buffers.pipe, ramp: &pipeGain, target: outputGain(ControlWord.pipe), frames: frames, channels: channels)
        micOutput = route(into: buffers.mic, ramp: &micGain, target: outputGain(ControlWord.virtualMic), frames: frames, channels: channels)
        monitorOutput = route(into: buffers.monitor, ramp: &monitorGain, target: outputGain(ControlWord.monitor), frames: frames, channels: channels)
        if guardOn {
            if pipeOutput != processed {
                guardGain = min(guardGain, pipeGuard.process(pipeOutput, frames: frames, channels: channels, ceiling: ceiling))
            }
            if micOutput != processed {
                guardGain = min(guardGain, micGuard.process(micOutput, frames: frames, channels: channels, ceiling: ceiling))
            }
            if monitorOutput != processed {
                guardGain = min(guardGain, monitorGuard.process(monitorOutput, frames: frames, channels: channels, ceiling: ceiling))
            }
        }
        meterWriter.publishGuard(gain: guardGain)
        if controlWords.flag(ControlWord.pipe + ControlWord.enabled), let pipeView {
            let block = UnsafeBufferPointer(start: pipeOutput, count: frames * channels)
            pipeView._withUnsafeGuaranteedRef { $0.write(block, captureTimeNs: captureTimeNs) }
        }
        if let monitorRingView {
            let block = UnsafeBufferPointer(start: monitorOutput, count: frames * channels)
            monitorRingView._withUnsafeGuaranteedRef { $0.write(block, frames: frames, timeNs: start) }
        }
        if let micRingView {
            let block = UnsafeBufferPointer(start: micOutput, count: frames * channels)
            micRingView._withUnsafeGuaranteedRef { $0.write(block, frames: frames, timeNs: start) }
        }

        let elapsed = Float(monotonicNs() &- start)
        meterWriter.publishCallback(load: elapsed / periodNs, overran: elapsed > periodNs, nonFiniteSamples: nonFinite)
    }

    /// The output's loudness, measured on `processed` after the guard; reset when the controls ask.
    @_noAllocation
    private func measureLoudness(frames: Int) {
        let resets = controlWords.load(ControlWord.loudnessReset)
        let processed = self.processed, seenResets = loudnessResets, seenBlocks = loudnessBlocks, writer = meterWriter
        loudnessBlocks = loudnessView._withUnsafeGuaranteedRef { meter in
            if resets != seenResets { meter.resetIntegrated() }
            meter.add(processed, frames: frames)
            writer.publishLoudness(meter, newBlock: meter.blocks != seenBlocks)
            return meter.blocks
        }
        loudnessResets = resets
    }

    /// Runs the effects chain over `processed`; a chain waiting in the swap takes over here, crossfaded
    /// from the old one across this period, and the old one is parked for the control side to free.
    @_noAllocation
    private func runChain(frames: Int) {
        let swap = chainSwapView._withUnsafeGuaranteedRef { $0.takePending() }
        let current = chainSwapView._withUnsafeGuaranteedRef { $0.currentChain() }
        guard swap != nil || current != nil else { return }
        let channels = outputChannels, chain = buffers.chainChannels, fade = buffers.fadeChannels
        for channel in 0..<channels {
            for frame in 0..<frames { chain[channel][frame] = processed[frame * channels + channel] }
        }
        if let (incoming, outgoing, crossfade) = swap {
            let fadeFrom = crossfade ? outgoing : nil
            if let outgoing = fadeFrom {
                for channel in 0..<channels { copySamples(from: chain[channel], to: fade[channel], count: frames) }
                outgoing._withUnsafeGuaranteedRef { $0.process(fade, frames: frames) }
            }
            incoming._withUnsafeGuaranteedRef { $0.process(chain, frames: frames) }
            if fadeFrom != nil {
                let step = 1 / Float(frames)
                for channel in 0..<channels {
                    for frame in 0..<frames {
                        let old = fade[channel][frame]
                        chain[channel][frame] = old + (chain[channel][frame] - old) * Float(frame + 1) * step
                    }
                }
            }
            if let outgoing { chainSwapView._withUnsafeGuaranteedRef { $0.retire(outgoing) } }
        } else if let current {
            current._withUnsafeGuaranteedRef { $0.process(chain, frames: frames) }
        }
        for channel in 0..<channels {
            for frame in 0..<frames { processed[frame * channels + channel] = chain[channel][frame] }
        }
    }

    /// Puts `chain` live from the next period on (built and prepared off the audio thread), crossfading from
    /// the one before over that period, or switching at once when `crossfade` is false (a chain that shares
    /// slots with the running one; see ``ChainEditor``); chains it replaced earlier are freed here, on the
    /// caller's thread.
    public func install(chain: EffectChain, crossfade: Bool = true) throws(EngineError) {
        try Self.check(chain, format)
        chainSwap.install(chain, crossfade: crossfade)
    }

    /// Whether the chain given last has not gone live yet (the audio thread takes it at its next period).
    public var isChainPending: Bool { chainSwap.hasPending }

    /// Frees chains the audio thread has replaced (call now and then from the control side).
    public func collectRetiredChains() { chainSwap.collectRetired() }

    private static func check(_ chain: EffectChain, _ format: EngineFormat) throws(EngineError) {
        guard chain.channels == format.outputChannels, chain.maxFrames >= EngineFormat.maxPeriodFrames,
            Int(chain.sampleRate) == format.sampleRate
        else {
            throw .badSetting(
                "chain",
                "built for \(chain.channels) channels at \(Int(chain.sampleRate)) Hz in blocks of \(chain.maxFrames); the engine needs \(format.outputChannels) at \(format.sampleRate) Hz in blocks of up to \(EngineFormat.maxPeriodFrames)"
            )
        }
    }

    /// The latency impulse's level (before the gain stages) and the exact silence that follows it, in frames.
    public static var latencyImpulseLevel: Float { 0.5 }
    public static var latencyImpulseSilence: Int { 256 }

    /// The last period's samples for an output, with its mute and volume applied.
    /// Call it on the audio thread, after ``process(input:frames:captureTimeNs:)``.
    public func output(_ id: OutputID) -> UnsafeBufferPointer<Float> {
        let count = buffers.frames * outputChannels
        switch id {
        case .pipe: return UnsafeBufferPointer(start: pipeOutput, count: count)
        case .virtualMic: return UnsafeBufferPointer(start: micOutput, count: count)
        case .monitor: return UnsafeBufferPointer(start: monitorOutput, count: count)
        }
    }

    // MARK: stages

    /// The processed signal (after the chain), output channels interleaved.
    private var processed: UnsafeMutablePointer<Float> { buffers.processed }

    /// An output's gain now: its volume, or 0 when muted or disabled.
    @_noAllocation
    private func outputGain(_ first: Int) -> Float {
        // (No `&&`: its autoclosure would capture self.)
        if !controlWords.flag(first + ControlWord.enabled) { return 0 }
        if controlWords.flag(first + ControlWord.muted) { return 0 }
        return controlWords.float(first + ControlWord.volume)
    }

    /// Mono averages every input channel; stereo takes the first two (a mono input goes to both).
    @_noAllocation
    private func mixToOutputChannels(_ input: UnsafePointer<Float>, frames: Int, inputChannels: Int) {
        if isMono {
            let scale = 1 / Float(inputChannels)
            for frame in 0..<frames {
                var sum: Float = 0
                for channel in 0..<inputChannels { sum += input[frame * inputChannels + channel] }
                processed[frame] = inputChannels == 1 ? sum : sum * scale
            }
        } else {
            let right = inputChannels > 1 ? 1 : 0
            for frame in 0..<frames {
                processed[frame * 2] = input[frame * inputChannels]
                processed[frame * 2 + 1] = input[frame * inputChannels + right]
            }
        }
    }

    /// When asked for, puts the latency impulse pattern in place of the chain's output: ``Engine/latencyImpulseSilence``
    /// frames of exact zeros, one frame at ``Engine/latencyImpulseLevel`` on every channel, and as many zeros
    /// again, across periods shorter than that. A reader of any output finds the impulse as the first loud frame
    /// after a long silence. It goes through the output gain and the router like the processed signal; it comes
    /// after the chain, whose gates, denoisers and filters would hide or smear it: the chain's delay is what its
    /// effects declare (and the host compensates), added by whoever measures.
    @_noAllocation
    private func markLatencyImpulse(frames: Int, channels: Int) {
        // A plain load each period; the (locked) exchange only when a request is there.
        if controlWords.load(ControlWord.latencyImpulse) != 0, controlWords.exchange(ControlWord.latencyImpulse, 0) != 0 {
            impulsePatternLeft = 2 * impulseSilence + 1
        }
        guard impulsePatternLeft > 0 else { return }
        let count = min(impulsePatternLeft, frames)
        processed.update(repeating: 0, count: count * channels)
        let impulseAt = impulsePatternLeft - impulseSilence - 1  // frames from this block's start to the impulse
        if impulseAt >= 0, impulseAt < count {
            for channel in 0..<channels { processed[impulseAt * channels + channel] = impulseLevel }
        }
        impulsePatternLeft -= count
    }

    /// An output's samples for this period: the processed signal itself at unity gain (nothing copied, nothing
    /// more to touch: the usual case), else `buffer` with the output's gain or silence.
    @_noAllocation
    private func route(
        into buffer: UnsafeMutablePointer<Float>, ramp: inout GainRamp, target: Float, frames: Int, channels: Int
    ) -> UnsafeMutablePointer<Float> {
        if target == 1 && ramp.current == 1 { return processed }
        let bytes = frames * channels * MemoryLayout<Float>.stride
        if target == 0 && ramp.current == 0 {  // off (muted, disabled) and done fading: silence, no copy
            UnsafeMutableRawPointer(buffer).initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
            return buffer
        }
        UnsafeMutableRawPointer(buffer).copyMemory(from: processed, byteCount: bytes)
        ramp.apply(target, to: buffer, frames: frames, channels: channels)
        return buffer
    }

    @_noAllocation
    private func meterInput(_ input: UnsafePointer<Float>, frames: Int, channels: Int) {
        for channel in 0..<channels {  // at most EngineFormat.maxInputChannels == EngineMeters.maxChannels
            let (peak, meanSquare) = level(input + channel, frames: frames, stride: channels)
            meterWriter.publishInput(channel: channel, peak: peak, meanSquare: meanSquare)
        }
    }

    @_noAllocation
    private func meterOutput(frames: Int, channels: Int) {
        for channel in 0..<channels {
            let (peak, meanSquare) = level(processed + channel, frames: frames, stride: channels)
            meterWriter.publishOutput(channel: channel, peak: peak, meanSquare: meanSquare)
        }
    }
}

/// Peak and mean square of every `stride`-th sample. Four frames a step, each into its own sum and peak: one
/// running sum would make every addition wait for the one before (four channel passes a period, each a chain of
/// 64 dependent additions at 64 frames).
@_noAllocation
private func level(_ samples: UnsafePointer<Float>, frames: Int, stride: Int) -> (peak: Float, meanSquare: Float) {
    var peaks: (Float, Float, Float, Float) = (0, 0, 0, 0)
    var sums: (Float, Float, Float, Float) = (0, 0, 0, 0)
    var frame = 0
    while frame + 4 <= frames {
        let a = samples[frame * stride], b = samples[(frame + 1) * stride]
        let c = samples[(frame + 2) * stride], d = samples[(frame + 3) * stride]
        peaks = (max(peaks.0, a.magnitude), max(peaks.1, b.magnitude), max(peaks.2, c.magnitude), max(peaks.3, d.magnitude))
        sums = (sums.0 + a * a, sums.1 + b * b, sums.2 + c * c, sums.3 + d * d)
        frame += 4
    }
    while frame < frames {
        let sample = samples[frame * stride]
        peaks.0 = max(peaks.0, sample.magnitude)
        sums.0 += sample * sample
        frame += 1
    }
    let peak = max(max(peaks.0, peaks.1), max(peaks.2, peaks.3))
    let sumOfSquares = (sums.0 + sums.1) + (sums.2 + sums.3)
    return (peak, frames > 0 ? sumOfSquares / Float(frames) : 0)
}

/// Replaces NaN and infinity with silence; returns how many there were.
@_noAllocation
private func silenceNonFinite(_ samples: UnsafeMutablePointer<Float>, count: Int) -> Int {
    var replaced = 0
    for index in 0..<count where !samples[index].isFinite {
        samples[index] = 0
        replaced += 1
    }
    return replaced
}

/// CLOCK_MONOTONIC through the vDSO: a memory read, not a system call.
@_noAllocation
private func monotonicNs() -> UInt64 {
    _unsafePerformance { dp_monotonic_ns() }
}

// MARK: - Real-time primitives

/// A fixed block of 64-bit atomic words that never moves, shared by the
/// audio thread and the control side. A copy of this view is a pointer, so
/// the audio thread reads and writes it with no locks and no reference
/// counting. The owner (``EngineControls``, ``EngineMeters``) frees it.
/// Unchecked Sendable: a raw pointer to words used only as UnsafeAtomic; the owner frees them, so no copy may outlive its owner.
struct AtomicWords: @unchecked Sendable {
    private let base: UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>

    /// Zero-filled words; free with ``deallocate()``.
    static func allocate(count: Int) -> AtomicWords {
        let base = UnsafeMutablePointer<UnsafeAtomic<UInt64>.Storage>.allocate(capacity: count)
        base.initialize(repeating: UnsafeAtomic<UInt64>.Storage(0), count: count)
        return AtomicWords(base: base)
    }

    func deallocate() { base.deallocate() }

    private func atomic(_ index: Int) -> UnsafeAtomic<UInt64> { UnsafeAtomic(at: base + index) }

    // Relaxed throughout: each word is a value of its own, not a guard for others.
    func load(_ index: Int) -> UInt64 { atomic(index).load(ordering: .relaxed) }
    func store(_ index: Int, _ value: UInt64) { atomic(index).store(value, ordering: .relaxed) }
    func add(_ index: Int, _ value: UInt64) { atomic(index).wrappingIncrement(by: value, ordering: .relaxed) }
    func exchange(_ index: Int, _ value: UInt64) -> UInt64 { atomic(index).exchange(value, ordering: .relaxed) }
    func float(_ index: Int) -> Float { Float(bitPattern: UInt32(truncatingIfNeeded: load(index))) }
    func setFloat(_ index: Int, _ value: Float) { store(index, UInt64(value.bitPattern)) }
    func flag(_ index: Int) -> Bool { load(index) != 0 }
    func setFlag(_ index: Int, _ value: Bool) { store(index, value ? 1 : 0) }
}

/// Where each control lives in ``EngineControls``' words. Each output has
/// three words (enabled, muted, volume) from its first one. Computed, not
/// stored: the audio thread must not touch lazily initialised statics.
enum ControlWord {
    static var inputGain: Int { 0 }
    static var inputMuted: Int { 1 }
    static var chainGain: Int { 2 }
    static var pipe: Int { 3 }
    static var virtualMic: Int { 6 }
    static var monitor: Int { 9 }
    static var latencyImpulse: Int { 12 }
    static var recording: Int { 13 }
    static var guardEnabled: Int { 14 }
    static var guardCeiling: Int { 15 }
    /// Bumped by each loudness reset; the audio thread resets when it differs from what it last saw.
    static var loudnessReset: Int { 16 }
    static var count: Int { 17 }
    static var enabled: Int { 0 }
    static var muted: Int { 1 }
    static var volume: Int { 2 }
}

/// Where each meter lives in ``EngineMeters``' words. Mean squares are
/// stored; the square root is taken by the reader, off the audio thread.
enum MeterWord {
    static var inputPeak: Int { 0 }
    static var inputMeanSquare: Int { 8 }
    static var outputPeak: Int { 16 }
    static var outputMeanSquare: Int { 18 }
    static var inputClipped: Int { 20 }
    static var outputClipped: Int { 21 }
    static var load: Int { 22 }
    static var maxLoad: Int { 23 }
    static var callbacks: Int { 24 }
    static var overruns: Int { 25 }
    static var nonFinite: Int { 26 }
    static var graphSkips: Int { 27 }
    /// How far the safety guards turned the signal down (1 − their lowest gain), held until read.
    static var guardReduction: Int { 28 }
    /// The output's loudness (LUFS, −∞ for silence), written every 100 ms.
    static var momentaryLoudness: Int { 29 }
    static var shortTermLoudness: Int { 30 }
    static var integratedLoudness: Int { 31 }
    /// The output's highest true peak, linear: held until read, and since the last loudness reset.
    static var truePeak: Int { 32 }
    static var truePeakSinceReset: Int { 33 }
    static var count: Int { 34 }
}

/// What the audio thread writes into ``EngineMeters``.
struct MeterWriter {
    let words: AtomicWords

    // Peaks are held (the largest since the reader last looked), so short
    // periods cannot hide a peak between two reads.
    @_noAllocation
    func publishInput(channel: Int, peak: Float, meanSquare: Float) {
        if peak > words.float(MeterWord.inputPeak + channel) { words.setFloat(MeterWord.inputPeak + channel, peak) }
        words.setFloat(MeterWord.inputMeanSquare + channel, meanSquare)
        if peak >= 1 { words.setFlag(MeterWord.inputClipped, true) }
    }

    @_noAllocation
    func publishGuard(gain: Float) {
        let reduction = 1 - gain
        if reduction > words.float(MeterWord.guardReduction) { words.setFloat(MeterWord.guardReduction, reduction) }
    }

    @_noAllocation
    func publishLoudness(_ meter: LoudnessMeter, newBlock: Bool) {
        let peak = meter.latestTruePeak
        if peak > words.float(MeterWord.truePeak) { words.setFloat(MeterWord.truePeak, peak) }
        guard newBlock else { return }
        let reading = meter.reading
        words.setFloat(MeterWord.momentaryLoudness, Float(reading.momentary))
        words.setFloat(MeterWord.shortTermLoudness, Float(reading.shortTerm))
        words.setFloat(MeterWord.integratedLoudness, Float(reading.integrated))
        words.setFloat(MeterWord.truePeakSinceReset, Float(reading.truePeak))
    }

    @_noAllocation
    func publishOutput(channel: Int, peak: Float, meanSquare: Float) {
        if peak > words.float(MeterWord.outputPeak + channel) { words.setFloat(MeterWord.outputPeak + channel, peak) }
        words.setFloat(MeterWord.outputMeanSquare + channel, meanSquare)
        if peak >= 1 { words.setFlag(MeterWord.outputClipped, true) }
    }

    @_noAllocation
    func publishCallback(load: Float, overran: Bool, nonFiniteSamples: Int) {
        words.setFloat(MeterWord.load, load)
        if load > words.float(MeterWord.maxLoad) { words.setFloat(MeterWord.maxLoad, load) }
        words.add(MeterWord.callbacks, 1)
        if overran { words.add(MeterWord.overruns, 1) }
        if nonFiniteSamples > 0 { words.add(MeterWord.nonFinite, UInt64(nonFiniteSamples)) }
    }
}

/// The engine's buffers for one period, carved from one allocation for the period's length: the backend's
/// gathered input, the processed signal, the three outputs' copies, the chain's planar buffers and the
/// crossfade's. A 64-frame stereo period uses about 4.5 KB in a row instead of a page or more per buffer
/// sized for the longest period: the callback starts with cold caches and TLB after every context switch,
/// so it should touch as little memory as it can. Any period up to ``EngineFormat/maxPeriodFrames`` still
/// fits; nothing in them outlives a period, so a new length just lays them out anew.
struct PeriodBuffers {
    private let base: UnsafeMutablePointer<Float>
    private let inputChannels: Int
    private let outputChannels: Int
    /// Planar channel tables handed to the chain; their pointers follow the layout.
    let chainChannels: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    let fadeChannels: UnsafeMutablePointer<UnsafeMutablePointer<Float>>
    /// The period length the buffers are laid out for.
    private(set) var frames = 0
    private(set) var input: UnsafeMutablePointer<Float>
    private(set) var processed: UnsafeMutablePointer<Float>
    private(set) var pipe: UnsafeMutablePointer<Float>
    private(set) var mic: UnsafeMutablePointer<Float>
    private(set) var monitor: UnsafeMutablePointer<Float>

    /// Zeroed, for periods up to ``EngineFormat/maxPeriodFrames``; free with ``deallocate()``.
    init(inputChannels: Int, outputChannels: Int) {
        self.inputChannels = inputChannels
        self.outputChannels = outputChannels
        let capacity = Self.floats(frames: EngineFormat.maxPeriodFrames, inputChannels: inputChannels, outputChannels: outputChannels)
        base = UnsafeMutableRawPointer.allocate(byteCount: capacity * MemoryLayout<Float>.stride, alignment: 64)
            .initializeMemory(as: Float.self, repeating: 0, count: capacity)
        chainChannels = .allocate(capacity: 2 * outputChannels)
        fadeChannels = chainChannels + outputChannels
        chainChannels.initialize(repeating: base, count: 2 * outputChannels)
        (input, processed, pipe, mic, monitor) = (base, base, base, base, base)
    }

    func deallocate() {
        base.deallocate()
        chainChannels.deallocate()
    }

    /// Floats for every buffer at `frames`, each rounded up to a cache line.
    private static func floats(frames: Int, inputChannels: Int, outputChannels: Int) -> Int {
        line(frames * inputChannels) + 4 * line(frames * outputChannels) + 2 * outputChannels * line(frames)
    }

    @inline(__always)
    private static func line(_ floats: Int) -> Int { (floats + 15) & ~15 }

    /// Lays the buffers out for `frames` (at most ``EngineFormat/maxPeriodFrames``); nothing to do when they are.
    @_noAllocation
    mutating func layOut(frames: Int) {
        guard frames != self.frames else { return }
        self.frames = frames
        let interleaved = Self.line(frames * outputChannels), planar = Self.line(frames)
        input = base
        processed = input + Self.line(frames * inputChannels)
        pipe = processed + interleaved
        mic = pipe + interleaved
        monitor = mic + interleaved
        var next = monitor + interleaved
        for channel in 0..<(2 * outputChannels) {  // the chain's channels, then the crossfade's
            chainChannels[channel] = next
            next += planar
        }
    }
}

/// A gain that moves to a new value over one period instead of jumping
/// (no zipper noise, no click), and is bit-exact at unity.
struct GainRamp {
    private(set) var current: Float

    init(_ initial: Float) { current = initial }

    /// Multiplies interleaved `frames` × `channels` samples in place, ramping
    /// linearly from the current gain to `target` across the block.
    @_noAllocation
    mutating func apply(_ target: Float, to samples: UnsafeMutablePointer<Float>, frames: Int, channels: Int) {
        if target == current {
            if target == 1 { return }
            for index in 0..<(frames * channels) { samples[index] *= target }
            return
        }
        let step = (target - current) / Float(frames)
        var gain = current
        for frame in 0..<frames {
            gain += step
            for channel in 0..<channels { samples[frame * channels + channel] *= gain }
        }
        current = target
    }
}
