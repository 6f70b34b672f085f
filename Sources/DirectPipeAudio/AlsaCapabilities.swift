import CDirectPipeAlsa

/// What an ALSA PCM device accepts in one direction: channel and rate ranges and the sample formats DirectPipe
/// can use, as its driver (or plugin) says when asked without configuring anything. For `directpipe devices`.
public struct AlsaCapabilities: Sendable, Encodable, Equatable, CustomStringConvertible {
    public var channelsMin: Int
    public var channelsMax: Int
    public var rateMin: Int
    public var rateMax: Int
    /// Among S16_LE, S24_3LE, S24_LE, S32_LE and FLOAT_LE.
    public var sampleFormats: [String]

    private static let formats: [(snd_pcm_format_t, String)] = [
        (SND_PCM_FORMAT_S16_LE, "S16_LE"), (SND_PCM_FORMAT_S24_3LE, "S24_3LE"), (SND_PCM_FORMAT_S24_LE, "S24_LE"),
        (SND_PCM_FORMAT_S32_LE, "S32_LE"), (SND_PCM_FORMAT_FLOAT_LE, "FLOAT_LE"),
    ]

    /// Opens `name` without blocking (a device in use answers at once), reads its ranges, closes it; nil when it
    /// cannot be opened in that direction.
    public static func probe(_ name: String, capture: Bool) -> AlsaCapabilities? {
        dp_alsa_silence_errors()
        var handle: OpaquePointer?
        guard snd_pcm_open(&handle, name, capture ? SND_PCM_STREAM_CAPTURE : SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK) == 0,
            let pcm = handle
        else { return nil }
        defer { snd_pcm_close(pcm) }
        var params: OpaquePointer?
        guard snd_pcm_hw_params_malloc(&params) == 0, let params else { return nil }
        defer { snd_pcm_hw_params_free(params) }
        guard snd_pcm_hw_params_any(pcm, params) >= 0 else { return nil }
        var low: UInt32 = 0, high: UInt32 = 0, direction: Int32 = 0
        snd_pcm_hw_params_get_channels_min(params, &low)
        snd_pcm_hw_params_get_channels_max(params, &high)
        let channels = (Int(low), Int(high))
        snd_pcm_hw_params_get_rate_min(params, &low, &direction)
        snd_pcm_hw_params_get_rate_max(params, &high, &direction)
        let supported = formats.filter { snd_pcm_hw_params_test_format(pcm, params, $0.0) == 0 }.map(\.1)
        return AlsaCapabilities(
            channelsMin: channels.0, channelsMax: channels.1, rateMin: Int(low), rateMax: Int(high), sampleFormats: supported)
    }

    /// "1–2 ch, 44100–48000 Hz, S16_LE S24_3LE".
    public var description: String {
        func range(_ low: Int, _ high: Int) -> String { low == high ? "\(low)" : "\(low)–\(high)" }
        let formats = sampleFormats.isEmpty ? "no format DirectPipe uses" : sampleFormats.joined(separator: " ")
        return "\(range(channelsMin, channelsMax)) ch, \(range(rateMin, rateMax)) Hz, \(formats)"
    }
}
