#!/usr/bin/env bash
# Builds DirectPipe's native (non-Swift) pieces with the C compiler, into
# .build/native/ (or $1). These ship to machines without a Swift toolchain,
# so they must depend on libc only (tests check with readelf):
#   libdirectpipe-reader.so    the C reader library (protocol v1)
#   directpipe-reader-check    a C reader used by the cross-process tests
#   reader-idle-check          the CPU a reader spends waiting on a stopped writer
#   copy-window-check          a writer restarting in another format during a reader's copy (reader.c built in)
#   memtrap-check              the SIGBUS trap in a process that ignores SIGBUS, after a sent one
#   segment-validate-fuzz      libFuzzer target (only if clang has libFuzzer)
#   libdirectpipe-alloc-counter.so  LD_PRELOAD allocation counter for the audio-thread test
#   jack-ramp                  a JACK peer that feeds and checks DirectPipe's ports
#   pw-ramp                    the same as a PipeWire source node (on DirectPipe's own PipeWire glue)
#   pw-stress                  that glue's node started and stopped beside a device lister (AddressSanitizer)
#   obs/directpipe-obs.so      the OBS source plugin (libobs and libc only), with obs/data/
#   obs-host                   a libobs host that loads the plugin, for its tests
#   ladspa-test/*.so           LADSPA plugins that misbehave (crash, hang, NaN) and one that does not
#   lv2/dp-busy-worker.lv2     an LV2 plugin whose worker is always busy, and checks the host's removal order
#   dpf/bin/dptest-filter*     the cross-format test plugin, built by DPF as LV2, LADSPA, VST2, VST3 and CLAP
#   format-test/{vst,vst3,clap} VST2, VST3 and CLAP plugins that crash, hang or abort, and a VST2 shell
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$root/.build/native}
mkdir -p "$out"
out=$(cd "$out" && pwd)  # absolute: the DPF build runs make in the plugin's own folder
cc=${CC:-cc}

# Nothing to do when no source changed since the last complete build and the same optional libraries are
# there: every test process calls this, and a rebuild (seconds of both cores) in the middle of a real-time
# test is what that test would measure.
sources=("$root/scripts/build-native.sh" "$root/Sources/CDirectPipeShm" "$root/Sources/CDirectPipePipeWire" "$root/Sources/CDirectPipePluginABI"
    "$root/Sources/DirectPipeOBS" "$root/Tests/Native" "$root/Tests/Fuzz" "$root/Benchmarks/Probes")
available=$(for package in jack libpipewire-0.3 libobs; do pkg-config --exists "$package" && echo "$package"; done
    [ -f /usr/include/ladspa.h ] && echo ladspa; [ -f /usr/share/dpf/Makefile.plugins.mk ] && echo dpf; command -v clang || true; echo "cc=$cc ${FUZZ_CC:-}")
stamp=$out/.complete
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$available" ] &&
    [ -z "$(find "${sources[@]}" -newer "$stamp" -print -quit)" ]; then
    exit 0
fi
rm -f "$stamp"
cflags=(-std=c11 -O2 -g -Wall -Wextra -Werror -fPIC -I"$root/Sources/CDirectPipeShm/include")
src=$root/Sources/CDirectPipeShm
lib_sources=("$src/reader.c" "$src/segment_validate.c" "$src/futex.c" "$src/memtrap.c")

"$cc" "${cflags[@]}" -pthread -shared -Wl,-soname,libdirectpipe-reader.so.2 -Wl,--no-undefined \
    -o "$out/libdirectpipe-reader.so.2" "${lib_sources[@]}"
ln -sf libdirectpipe-reader.so.2 "$out/libdirectpipe-reader.so"

"$cc" "${cflags[@]}" -o "$out/directpipe-reader-check" "$root/Tests/Native/reader_check.c" \
    -L"$out" -ldirectpipe-reader -Wl,-rpath,'$ORIGIN'

"$cc" "${cflags[@]}" -o "$out/reader-idle-check" "$root/Tests/Native/reader_idle_check.c" \
    -L"$out" -ldirectpipe-reader -Wl,-rpath,'$ORIGIN'
"$cc" "${cflags[@]}" -pthread -o "$out/copy-window-check" "$root/Tests/Native/copy_window_check.c" \
    "$src/segment_validate.c" "$src/futex.c" "$src/memtrap.c"
"$cc" "${cflags[@]}" -pthread -o "$out/memtrap-check" "$root/Tests/Native/memtrap_check.c" "$src/memtrap.c"

"$cc" "${cflags[@]}" -shared -o "$out/libdirectpipe-alloc-counter.so" "$root/Tests/Native/alloc_counter.c"
"$cc" "${cflags[@]}" -o "$out/alloc-counter-check" "$root/Tests/Native/alloc_counter_check.c" \
    -L"$out" -l:libdirectpipe-alloc-counter.so -Wl,-rpath,'$ORIGIN'

# A JACK peer for the JACK backend's tests (needs libjack; skipped without it).
if pkg-config --exists jack; then
    "$cc" "${cflags[@]}" -o "$out/jack-ramp" "$root/Tests/Native/jack_ramp.c" $(pkg-config --cflags --libs jack)
    # The anchor of the engine CPU benchmark (Benchmarks/).
    "$cc" "${cflags[@]}" -o "$out/jack-passthrough" "$root/Benchmarks/Probes/jack_passthrough.c" $(pkg-config --cflags --libs jack)
fi

# A PipeWire peer for the PipeWire backend's tests (needs libpipewire; skipped without it).
if pkg-config --exists libpipewire-0.3; then
    pw=$root/Sources/CDirectPipePipeWire
    "$cc" "${cflags[@]}" -I"$pw/include" -I"$pw" -o "$out/pw-ramp" "$root/Tests/Native/pw_ramp.c" \
        "$pw/pipewire_node.c" "$pw/pipewire_links.c" "$pw/pipewire_graph.c" $(pkg-config --cflags --libs libpipewire-0.3)
    # The node started and stopped beside a thread listing devices, under AddressSanitizer.
    "$cc" "${cflags[@]}" -O1 -fsanitize=address -fno-omit-frame-pointer -I"$pw/include" -I"$pw" -o "$out/pw-stress" \
        "$root/Tests/Native/pw_stress.c" "$pw/pipewire_node.c" "$pw/pipewire_links.c" "$pw/pipewire_graph.c" \
        $(pkg-config --cflags --libs libpipewire-0.3)
fi

# Misbehaving LADSPA plugins for the scanner's and the chain's tests (need ladspa.h; skipped without it).
if [ -f /usr/include/ladspa.h ]; then
    mkdir -p "$out/ladspa-test"
    for mode in GOOD:dp_good NAN_OUTPUT:dp_nan CRASH:dp_crash HANG:dp_hang LOAD_CRASH:dp_load_crash; do
        "$cc" "${cflags[@]}" -Wno-unused-parameter -D"${mode%%:*}" -shared -o "$out/ladspa-test/${mode##*:}.so" \
            "$root/Tests/Native/ladspa_misbehaving.c" -lm
    done
fi

# An LV2 plugin whose worker is always busy, for the plugin host's removal test (needs lv2-dev).
if [ -f /usr/include/lv2/worker/worker.h ] || [ -f /usr/include/lv2/lv2plug.in/ns/ext/worker/worker.h ]; then
    rm -rf "$out/lv2/dp-busy-worker.lv2" && mkdir -p "$out/lv2" && cp -r "$root/Tests/Native/lv2/dp-busy-worker.lv2" "$out/lv2/"
    "$cc" "${cflags[@]}" -shared -o "$out/lv2/dp-busy-worker.lv2/dp_busy_worker.so" "$root/Tests/Native/lv2_busy_worker.c"
fi

# VST2, VST3 and CLAP plugins that misbehave (and a VST2 shell that does not), on our own ABI declarations.
formats=$out/format-test
rm -rf "$formats" && mkdir -p "$formats/vst" "$formats/vst3/dp_abort.vst3/Contents/$(uname -m)-linux" "$formats/clap"
abi=(-I"$root/Sources/CDirectPipePluginABI/include" -Wno-unused-parameter -shared)
"$cc" "${cflags[@]}" "${abi[@]}" -DVST2_SHELL -o "$formats/vst/dp_shell-vst.so" "$root/Tests/Native/format_misbehaving.c"
"$cc" "${cflags[@]}" "${abi[@]}" -DVST2_CRASH -o "$formats/vst/dp_crash-vst.so" "$root/Tests/Native/format_misbehaving.c"
"$cc" "${cflags[@]}" "${abi[@]}" -DVST2_HANG -o "$formats/vst/dp_hang-vst.so" "$root/Tests/Native/format_misbehaving.c"
"$cc" "${cflags[@]}" "${abi[@]}" -DVST2_NAN -o "$formats/vst/dp_nan-vst.so" "$root/Tests/Native/format_misbehaving.c"
"$cc" "${cflags[@]}" "${abi[@]}" -DVST3_ABORT -o "$formats/vst3/dp_abort.vst3/Contents/$(uname -m)-linux/dp_abort.so" \
    "$root/Tests/Native/format_misbehaving.c"
"$cc" "${cflags[@]}" "${abi[@]}" -DCLAP_HANG -o "$formats/clap/dp_hang.clap" "$root/Tests/Native/format_misbehaving.c"
"$cc" "${cflags[@]}" "${abi[@]}" -DCLAP_GOOD -o "$formats/clap/dp_gain.clap" "$root/Tests/Native/format_misbehaving.c"

# What the editor tests ask of the X server: windows by title, screenshots, clients (libX11, libXRes, libpng headers).
if [ -f /usr/include/X11/Xlib.h ] && [ -f /usr/include/X11/extensions/XRes.h ] && [ -f /usr/include/png.h ]; then
    "$cc" "${cflags[@]}" -o "$out/x11_probe" "$root/Tests/Native/x11_probe.c" -lX11 -lXRes -lpng -lm
fi

# The cross-format test plugin, built by DPF into LV2, LADSPA, VST2, VST3 and CLAP (needs dpf-source; skipped
# without it), with DPF's generator writing the LV2 bundle's Turtle.
if [ -f /usr/share/dpf/Makefile.plugins.mk ]; then
    dpf_out=$out/dpf
    rm -rf "$dpf_out/bin"
    make -s -C "$root/Tests/Native/dpf-test-plugin" DPF_PATH=/usr/share/dpf DPF_TARGET_DIR="$dpf_out/bin" DPF_BUILD_DIR="$dpf_out/build" > /dev/null
    make -s -C "$root/Tests/Native/dpf-test-plugin" NO_STATE=true DPF_PATH=/usr/share/dpf DPF_TARGET_DIR="$dpf_out/bin" \
        DPF_BUILD_DIR="$dpf_out/build-ladspa" > /dev/null
    "$cc" -O1 -o "$dpf_out/lv2-ttl-generator" /usr/share/dpf/utils/lv2-ttl-generator/lv2_ttl_generator.c -ldl
    (cd "$dpf_out/bin/dptest-filter.lv2" && "$dpf_out/lv2-ttl-generator" ./dptest-filter_dsp.so > /dev/null)
fi

# The OBS plugin and its test host (need libobs; skipped without it).
if pkg-config --exists libobs; then
    obs_cflags=$(pkg-config --cflags libobs | sed 's/-I/-isystem /g')  # libobs' headers are not -Wextra clean
    mkdir -p "$out/obs"
    "$cc" "${cflags[@]}" -std=gnu11 $obs_cflags -shared -pthread -Wl,--no-undefined -o "$out/obs/directpipe-obs.so" \
        "$root/Sources/DirectPipeOBS/directpipe_obs.c" "${lib_sources[@]}" $(pkg-config --libs libobs)
    rm -rf "$out/obs/data" && cp -r "$root/Sources/DirectPipeOBS/data" "$out/obs/data"
    # -Wl,--export-dynamic-symbol: the host interposes obs_source_output_audio for the OBS benchmark.
    "$cc" "${cflags[@]}" -std=gnu11 $obs_cflags -pthread -Wl,--export-dynamic-symbol=obs_source_output_audio \
        -o "$out/obs-host" "$root/Tests/Native/obs_host.c" \
        "${lib_sources[@]}" $(pkg-config --libs libobs)
fi

# The fuzz target needs clang with libFuzzer (the Swift toolchain's clang has it).
fuzz_cc=${FUZZ_CC:-$(command -v clang || true)}
if [ -n "$fuzz_cc" ] && echo 'int LLVMFuzzerTestOneInput(const char*d,unsigned long n){return 0;}' |
    "$fuzz_cc" -x c -fuse-ld=lld -fsanitize=fuzzer -o /dev/null - 2>/dev/null; then
    "$fuzz_cc" "${cflags[@]}" -fuse-ld=lld -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
        -o "$out/segment-validate-fuzz" "$root/Tests/Fuzz/segment_validate_fuzz.c" "$src/segment_validate.c"
else
    rm -f "$out/segment-validate-fuzz"
    echo "build-native: no clang with libFuzzer; fuzz target not built" >&2
fi

# The waiting side of the wake-latency benchmark (Benchmarks/).
"$cc" "${cflags[@]}" -o "$out/wake-probe" "$root/Benchmarks/Probes/wake_probe.c" \
    -L"$out" -ldirectpipe-reader -Wl,-rpath,'$ORIGIN'

echo "$available" > "$stamp"
