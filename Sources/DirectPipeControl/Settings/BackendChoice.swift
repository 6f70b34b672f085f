/// Which audio backend `run` uses; `auto` picks PipeWire, then JACK, then ALSA, then the clock.
public enum BackendChoice: String, SettingChoice {
    case auto, pipewire, jack, alsa, file, clock
}

/// Whose clock an ALSA monitor runs on: the capture card's (`shared`, written in lockstep), its own (`own`,
/// through a drift-following resampler), or `auto` (shared when the monitor is the capture device).
public enum MonitorClock: String, SettingChoice {
    case auto, shared, own
}
