#!/usr/bin/env bash
# Installs the Debian packages DirectPipe needs to build and test, only those
# missing (so a second run does nothing), then checks for a Swift 6 toolchain.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)

packages=(
    build-essential pkg-config binutils python3  # C pieces, readelf/nm in tests, fuzz seeds
    libsndfile1-dev                              # WAV/FLAC files
    libjack-jackd2-dev jackd2                    # the JACK backend; jackd for its tests; jack_ringbuffer anchor
    libasound2-dev libasound2-plugins            # the ALSA backend; ALSA's file and jack plugins for its tests
    libpipewire-0.3-dev libspa-0.2-dev           # the PipeWire backend
    pipewire pipewire-bin wireplumber dbus-daemon # a private PipeWire graph for its tests
    pipewire-jack                                # the JACK backend's test on PipeWire's JACK layer (pw-jack)
    libsamplerate0-dev                           # drift-compensated monitor on another clock
)
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

. "$root/scripts/lib/toolchain.sh"
directpipe_find_swift
