import CDirectPipeAlsa
import Glibc

/// One open ALSA PCM (capture or playback) set to interleaved frames at the
/// engine's rate: float32 when the device takes it (plug devices always do),
/// else 32- or 16-bit integers, converted on the audio thread into buffers
/// sized once here.
/// Unchecked Sendable: the snd_pcm handle and `raw` are used by one thread at a time: opened by the caller, then the audio thread's.
final class AlsaDevice: @unchecked Sendable {
    enum SampleFormat { case float32, int32, int16 }

    let name: String
    let pcm: OpaquePointer
    let channels: Int
    let sampleFormat: SampleFormat
    let periodFrames: Int
    /// The device's whole buffer (periods × period), the latency a full buffer adds.
    let bufferFrames: Int
    /// Raw frames as the device wants them (unused for float32).
    private let raw: UnsafeMutableRawPointer

    init(name: String, capture: Bool, rate: Int, channels: Int, periodFrames requestedPeriod: Int, periods: Int) throws(BackendError) {
        let what = capture ? "capture" : "playback"
        var handle: OpaquePointer?
        var code = snd_pcm_open(&handle, name, capture ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK, 0)
        guard code == 0, let pcm = handle else {
            throw .badInput("cannot open ALSA \(what) device '\(name)': \(String(cString: snd_strerror(code)))")
        }
        func fail(_ step: String) -> BackendError {
            snd_pcm_close(pcm)
            return .badInput("ALSA \(what) device '\(name)': \(step): \(String(cString: snd_strerror(code)))")
        }
        var params: OpaquePointer?
        snd_pcm_hw_params_malloc(&params)
        defer { snd_pcm_hw_params_free(params) }
        code = snd_pcm_hw_params_any(pcm, params)
        if code < 0 { throw fail("no configuration") }
        code = snd_pcm_hw_params_set_access(pcm, params, SND_PCM_ACCESS_RW_INTERLEAVED)
        if code < 0 { throw fail("no interleaved access") }
        var chosen: SampleFormat?
        for (format, alsaFormat) in [
            (SampleFormat.float32, SND_PCM_FORMAT_FLOAT_LE), (.int32, SND_PCM_FORMAT_S32_LE), (.int16, SND_PCM_FORMAT_S16_LE),
        ]
        where snd_pcm_hw_params_set_format(pcm, params, alsaFormat) == 0 {
            chosen = format
            break
        }
        guard let chosen else { code = -EINVAL; throw fail("takes none of float32, s32, s16") }
        code = snd_pcm_hw_params_set_channels(pcm, params, UInt32(channels))
        if code < 0 { throw fail("cannot take \(channels) channels (try a plughw: device)") }
        code = snd_pcm_hw_params_set_rate(pcm, params, UInt32(rate), 0)
        if code < 0 { throw fail("cannot run at \(rate) Hz (try a plughw: device)") }
        var period = snd_pcm_uframes_t(requestedPeriod)
        var direction: Int32 = 0
        code = snd_pcm_hw_params_set_period_size_near(pcm, params, &period, &direction)
        if code < 0 { throw fail("cannot use \(requestedPeriod)-frame periods") }
        var count = UInt32(periods)
        code = snd_pcm_hw_params_set_periods_near(pcm, params, &count, &direction)
        if code < 0 { throw fail("cannot use \(periods) periods") }
        code = snd_pcm_hw_params(pcm, params)
        if code < 0 { throw fail("refused the configuration") }
        var buffer = snd_pcm_uframes_t(0)
        snd_pcm_hw_params_get_buffer_size(params, &buffer)
        code = snd_pcm_prepare(pcm)
        if code < 0 { throw fail("cannot prepare") }

        self.name = name
        self.pcm = pcm
        self.channels = channels
        sampleFormat = chosen
        periodFrames = Int(period)
        bufferFrames = Int(buffer)
        raw = .allocate(byteCount: max(1, Int(period)) * channels * 4, alignment: 16)
    }

    deinit {
        snd_pcm_close(pcm)
        raw.deallocate()
    }

    /// Waits until a period can be read or written: 1 when ready, 0 when `milliseconds` passed without
    /// (a device that stopped delivering), a negative ALSA error otherwise.
    /// A prepared stream is ready at once: its first read or write starts it.
    func waitReady(milliseconds: Int32) -> Int32 {
        snd_pcm_state(pcm) == SND_PCM_STATE_PREPARED ? 1 : snd_pcm_wait(pcm, milliseconds)
    }

    /// Reads up to `frames` frames as floats; returns the count, or a negative ALSA error.
    func read(into samples: UnsafeMutablePointer<Float>, frames: Int) -> Int {
        let target = sampleFormat == .float32 ? UnsafeMutableRawPointer(samples) : raw
        let got = Int(snd_pcm_readi(pcm, target, snd_pcm_uframes_t(frames)))
        if got > 0 { toFloat(count: got * channels, into: samples) }
        return got
    }

    /// Writes `frames` float frames; returns the count, or a negative ALSA error.
    func write(_ samples: UnsafePointer<Float>, frames: Int) -> Int {
        if sampleFormat == .float32 { return Int(snd_pcm_writei(pcm, samples, snd_pcm_uframes_t(frames))) }
        fromFloat(samples, count: frames * channels)
        return Int(snd_pcm_writei(pcm, raw, snd_pcm_uframes_t(frames)))
    }

    /// After an overrun/underrun (-EPIPE) or a suspend: 0 when the device can go on.
    func recover(_ error: Int) -> Int32 { snd_pcm_recover(pcm, Int32(error), 1) }

    private func toFloat(count: Int, into samples: UnsafeMutablePointer<Float>) {
        switch sampleFormat {
        case .float32: break
        case .int32:
            let source = raw.assumingMemoryBound(to: Int32.self)
            for index in 0..<count { samples[index] = Float(source[index]) / 2_147_483_648 }
        case .int16:
            let source = raw.assumingMemoryBound(to: Int16.self)
            for index in 0..<count { samples[index] = Float(source[index]) / 32768 }
        }
    }

    private func fromFloat(_ samples: UnsafePointer<Float>, count: Int) {
        switch sampleFormat {
        case .float32: break
        case .int32:
            let target = raw.assumingMemoryBound(to: Int32.self)
            for index in 0..<count { target[index] = Int32(max(-1, min(samples[index], Float(0x7FFF_FF80) / 2_147_483_648)) * 2_147_483_648) }
        case .int16:
            let target = raw.assumingMemoryBound(to: Int16.self)
            for index in 0..<count { target[index] = Int16(max(-1, min(samples[index], 32767.0 / 32768)) * 32768) }
        }
    }
}
