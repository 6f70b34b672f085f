"""DirectPipe against its peer, EasyEffects 7, on one private PipeWire graph, in one run (a benchmark).

    peer-easyeffects.py DIRECTPIPE [--seconds S]

Starts a private PipeWire (with WirePlumber and a session bus), a test source (a loopback: what is played into
`peer_in` comes out of the source `peer_src`), Xvfb for EasyEffects' service mode, EasyEffects with an input preset
(noise reduction, gate, compressor, auto-gain, limiter) and `directpipe run` with the closest chain of its own (gate,
compressor, auto-gain, and for the limiter its safety guard at the same ceiling, or with --limiter its lookahead
limiter; the gates' lookahead the same on both sides; its virtual mic on), both on `peer_src`, the graph at 48 kHz with a 256-frame quantum.
A three-channel null sink records the source and both virtual microphones sample-aligned while noise bursts are
played; it drives the graph, as a sound card would (with no device, the virtual microphones' null sinks would, and a
driving null sink passes its input on a quantum late): the latency each adds from the source to the microphone it offers apps is the best-matching lag per burst;
the CPU each process takes is read from /proc over the same seconds. Debian 12's EasyEffects is built without
RNNoise (it says so and passes the audio through that stage), so neither side removes noise here: the comparison is
the rest of the chain. Prints a table and one JSON line.
"""
import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import soundfile

parser = argparse.ArgumentParser()
parser.add_argument("directpipe")
parser.add_argument("--seconds", type=float, default=12)
parser.add_argument("--chain", help="DirectPipe's chain file instead of the one matching EasyEffects' preset")
parser.add_argument("--period", type=int, default=256, help="the graph's quantum, and DirectPipe's period")
parser.add_argument("--gate-lookahead", type=float, default=0, help="both gates' lookahead, ms (EasyEffects' default: 0)")
parser.add_argument("--limiter", action="store_true",
                    help="DirectPipe limits with its lookahead limiter (1.5 ms, as EasyEffects') instead of its zero-latency guard")
options = parser.parse_args()
rate = 48000
work = tempfile.mkdtemp(prefix="dp-peer-")
runtime, home = os.path.join(work, "run"), os.path.join(work, "home")
os.makedirs(runtime, mode=0o700)
os.makedirs(os.path.join(home, ".config/easyeffects/input"))
display = f":{90 + os.getpid() % 9}"
env = dict(os.environ, XDG_RUNTIME_DIR=runtime, PIPEWIRE_RUNTIME_DIR=runtime, HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"),
           DBUS_SESSION_BUS_ADDRESS=f"unix:path={runtime}/bus", GSETTINGS_BACKEND="memory", DISPLAY=display)
env.pop("PIPEWIRE_REMOTE", None)
started = []


def start(*command, log):
    process = subprocess.Popen(list(command), env=env, stdout=open(os.path.join(work, log), "w"), stderr=subprocess.STDOUT)
    started.append(process)
    return process


def run(*command, check=True):
    return subprocess.run(list(command), env=env, capture_output=True, text=True, check=check, timeout=30)


def wait_for(condition, what, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise SystemExit(f"peer-easyeffects: {what} did not happen within {timeout} s (logs in {work})")


def nodes():
    return run("pw-cli", "ls", "Node", check=False).stdout


def cpu_seconds(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


preset = {"input": {
    "blocklist": [], "plugins_order": ["rnnoise#0", "gate#0", "compressor#0", "autogain#0", "limiter#0"],
    "rnnoise#0": {"bypass": False, "input-gain": 0.0, "output-gain": 0.0, "model-path": ""},
    "gate#0": {"bypass": False, "input-gain": 0.0, "output-gain": 0.0, "attack": 1.0, "release": 150.0, "curve-threshold": -50.0,
               "curve-zone": -3.0, "reduction": -25.0,
               "sidechain": {"input": "Internal", "mode": "RMS", "source": "Middle", "preamp": 0.0, "reactivity": 10.0, "lookahead": options.gate_lookahead}},
    "compressor#0": {"bypass": False, "input-gain": 0.0, "output-gain": 0.0, "mode": "Downward", "threshold": -22.0, "ratio": 3.0,
                     "attack": 8.0, "release": 150.0,
                     "sidechain": {"type": "Feed-forward", "mode": "RMS", "source": "Middle", "preamp": 0.0, "reactivity": 10.0, "lookahead": 0.0}},
    "autogain#0": {"bypass": False, "input-gain": 0.0, "output-gain": 0.0, "target": -16.0},
    "limiter#0": {"bypass": False, "input-gain": 0.0, "output-gain": 0.0, "threshold": -1.0, "lookahead": 1.5, "attack": 1.5, "release": 5.0},
}}
chain = {"effects": [
    {"id": "gate", "parameters": {"threshold": -50, "range": -25, "attack": 1, "release": 150, "lookahead": options.gate_lookahead}},
    {"id": "compressor", "parameters": {"threshold": -22, "ratio": 3, "attack": 8, "release": 150}},
    {"id": "autogain", "parameters": {"target": -16}},
] + ([{"id": "limiter", "parameters": {"ceiling": -1}}] if options.limiter else [])}
ceiling = ["--no-guard"] if options.limiter else ["--guard-ceiling", "-1"]

try:
    start("dbus-daemon", "--session", f"--address=unix:path={runtime}/bus", "--nofork", "--nopidfile", log="dbus.log")
    wait_for(lambda: os.path.exists(f"{runtime}/bus"), "the session bus")
    start("pipewire", log="pipewire.log")
    wait_for(lambda: run("pw-cli", "info", "0", check=False).returncode == 0, "PipeWire")
    start("wireplumber", log="wireplumber.log")
    wait_for(lambda: "WirePlumber" in run("pw-cli", "ls", "Client", check=False).stdout, "WirePlumber")
    run("pw-metadata", "-n", "settings", "0", "clock.force-rate", str(rate))
    run("pw-metadata", "-n", "settings", "0", "clock.force-quantum", str(options.period))
    start("pw-loopback", "-n", "peer_loop",
          "--capture-props=media.class=Audio/Sink node.name=peer_in audio.position=[FL FR]",
          "--playback-props=media.class=Audio/Source node.name=peer_src audio.position=[FL FR]", log="loopback.log")
    wait_for(lambda: "peer_src" in nodes(), "the test source")
    run("pw-metadata", "0", "default.audio.source", '{ "name": "peer_src" }', check=False)
    run("pw-cli", "create-node", "adapter",
        "{ factory.name=support.null-audio-sink node.name=peer_probe media.class=Audio/Sink/Virtual "
        "audio.channels=3 audio.position=[FL FR FC] object.linger=true priority.driver=2000 }")
    wait_for(lambda: "peer_probe" in nodes(), "the probe")

    start("Xvfb", display, "-nolisten", "tcp", log="xvfb.log")
    wait_for(lambda: os.path.exists(f"/tmp/.X11-unix/X{display[1:]}"), "Xvfb")
    json.dump(preset, open(os.path.join(home, ".config/easyeffects/input/peer.json"), "w"))
    easyeffects = start("easyeffects", "--gapplication-service", log="easyeffects.log")
    wait_for(lambda: "easyeffects_source" in nodes(), "EasyEffects' virtual source")
    run("easyeffects", "-l", "peer", check=False)  # exits 1 even when it loaded the preset
    wait_for(lambda: "ee_sie_limiter" in nodes(), "EasyEffects' input chain")

    chain_path = options.chain or os.path.join(work, "chain.json")
    if not options.chain:
        json.dump(chain, open(chain_path, "w"))
    directpipe = start(options.directpipe, "run", "--backend", "pipewire", "--input", "peer_src", "--chain", chain_path, "--no-api",
                       *ceiling, "--period", str(options.period), "--pipe", f"peer-{os.getpid()}", "--quiet", log="directpipe.log")
    wait_for(lambda: "directpipe_mic" in nodes(), "DirectPipe's virtual mic")

    # Readers keep both chains running (EasyEffects unlinks its filters when nobody records).
    start("pw-record", "--target", "easyeffects_source", os.devnull, log="keep-ee.log")
    start("pw-record", "--target", "directpipe_mic", os.devnull, log="keep-dp.log")
    time.sleep(1)
    for source, port in [("peer_src", "input_FL"), ("easyeffects_source", "input_FR"), ("directpipe_mic", "input_FC")]:
        outputs = [line.split()[-1] for line in run("pw-link", "-o").stdout.splitlines() if line.startswith(source + ":")]
        first = next(name for name in outputs if name.endswith("FL") or name.endswith("MONO") or name.endswith("_1"))
        run("pw-link", first, f"peer_probe:{port}")
    probe_path = os.path.join(work, "probe.wav")
    recorder = start("pw-record", "--target", "peer_probe", "-P", "{ stream.capture.sink=true }", "--channels", "3", "--channel-map", "FL,FR,FC", "--rate", str(rate),
                     "--format", "f32", probe_path, log="probe.log")
    time.sleep(1)

    # Noise bursts a second apart over a quiet floor, played into the test source.
    rng = np.random.default_rng(3)
    length = int(options.seconds * rate)
    signal_ = rng.standard_normal(length) * 0.0005
    for start_at in range(rate // 2, length - rate // 2, rate):
        signal_[start_at:start_at + int(0.3 * rate)] += rng.standard_normal(int(0.3 * rate)) * 0.1
    played = os.path.join(work, "bursts.wav")
    soundfile.write(played, np.stack([signal_, signal_], axis=1).astype(np.float32), rate, subtype="FLOAT")
    before = {name: cpu_seconds(process.pid) for name, process in [("EasyEffects", easyeffects), ("DirectPipe", directpipe)]}
    began = time.monotonic()
    subprocess.run(["pw-play", "--target", "peer_in", played], env=env, check=True, timeout=options.seconds + 30)
    elapsed = time.monotonic() - began
    cpu = {name: 100 * (cpu_seconds(process.pid) - before[name]) / elapsed
           for name, process in [("EasyEffects", easyeffects), ("DirectPipe", directpipe)]}
    time.sleep(0.5)
    recorder.send_signal(signal.SIGINT)
    recorder.wait(10)

    recording, _ = soundfile.read(probe_path)
    reference = recording[:, 0]
    active = np.where(np.abs(reference) > 0.05)[0]
    if len(active) == 0:
        raise SystemExit(f"peer-easyeffects: the probe heard nothing of the source (logs in {work})")
    starts = [active[0]] + [active[i] for i in range(1, len(active)) if active[i] - active[i - 1] > rate // 2]
    lags = {"EasyEffects": [], "DirectPipe": []}
    for start_at in starts:
        begin, span = max(0, start_at - 2400), int(0.35 * rate)
        piece = reference[begin:begin + span]
        for name, column in [("EasyEffects", 1), ("DirectPipe", 2)]:
            out = recording[begin:begin + span + 9600, column]
            if len(out) < span + 9600 or np.max(np.abs(out)) < 1e-4:
                continue
            size = 1 << int(np.ceil(np.log2(len(out) + len(piece))))
            correlation = np.fft.irfft(np.fft.rfft(out, size) * np.conj(np.fft.rfft(piece, size)))
            lags[name].append(int(np.argmax(correlation[:9600])))
    print(f"\nAgainst EasyEffects {run('dpkg-query', '-W', '-f=${Version}', 'easyeffects', check=False).stdout} on one private "
          f"PipeWire graph (48 kHz, quantum {options.period}), {len(starts)} bursts, {elapsed:.1f} s; both gates' lookahead "
          f"{options.gate_lookahead:g} ms, DirectPipe's ceiling {'its lookahead limiter' if options.limiter else 'its zero-latency guard'}:")
    print("| | latency added, source → virtual mic (median over bursts) | process CPU (share of a core) |")
    print("|---|---|---|")
    for name in ["DirectPipe", "EasyEffects"]:
        lag = float(np.median(lags[name])) if lags[name] else float("nan")
        print(f"| {name} | {lag:.0f} frames = {lag / rate * 1000:.2f} ms (min {min(lags[name], default=-1)}, max {max(lags[name], default=-1)}) "
              f"| {cpu[name]:.1f} % |")
    print(json.dumps({"event": "peer", "latency_frames": {k: (float(np.median(v)) if v else None) for k, v in lags.items()},
                      "cpu_percent": cpu, "bursts": len(starts),
                      "gate_lookahead_ms": options.gate_lookahead, "directpipe_ceiling": "limiter" if options.limiter else "guard"}))
finally:
    for process in reversed(started):
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                process.kill()
    if os.environ.get("DP_PEER_KEEP") is None:
        shutil.rmtree(work, ignore_errors=True)
