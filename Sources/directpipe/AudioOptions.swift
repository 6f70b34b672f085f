import ArgumentParser
import DirectPipeControl

/// The flags that choose what the audio side runs on, shared by `run` and `ctl audio` (which changes them while
/// running): each typed as the settings model holds it, so a wrong value is refused with the same words.
struct AudioOptions: ParsableArguments {
    @Option(help: "auto, pipewire, jack, alsa, file or clock. Default auto.", transform: BackendChoice.init(argument:))
    var backend: BackendChoice?

    @Option(
        help: """
            What to capture. clock: tone:HZ, silence, or a WAV/FLAC file (looped); default tone:440. \
            pipewire: a source node's name or id, or 'none'; default the default source. \
            jack: capture ports, comma-separated, or 'none'; default the physical capture ports. \
            alsa: a PCM name (hw:1,0, plughw:1,0, default); default 'default'. file: the WAV/FLAC file.
            """, transform: Endpoint.init(argument:))
    var input: Endpoint?

    @Option(
        help: """
            Turn monitoring on: on PipeWire, the sink node (or 'default'); on JACK, the playback ports for \
            monitor_out_N (comma-separated); on ALSA and the clock, the playback PCM; anywhere, alsa:PCM for an \
            ALSA device on its own clock (drift-compensated); 'none' turns it off.
            """, transform: Endpoint.init(argument:))
    var monitor: Endpoint?

    @Option(help: "Sample rate in Hz (default 48000; on JACK the server decides).", transform: SampleRate.init(argument:))
    var rate: SampleRate?

    @Option(
        help: "Frames per period, 16-8192 (default 128; on PipeWire the quantum asked for; on JACK the server decides).",
        transform: PeriodFrames.init(argument:))
    var period: PeriodFrames?

    @Option(help: "Output channels: 1 (mono, the average of the inputs) or 2 (stereo, default).", transform: OutputChannels.init(argument:))
    var channels: OutputChannels?

    /// The settings these flags give (nil where a flag was not given).
    var settings: RunSettings {
        var settings = RunSettings()
        settings.backend = backend
        settings.input = input
        settings.monitor = monitor
        settings.rate = rate
        settings.period = period
        settings.channels = channels
        return settings
    }
}
