"""The noise removers' quality and cost, against each other and against RNNoise's reference (a benchmark).

    voice-quality.py DIRECTPIPE [--quick]

Clean speech from espeak-ng (several voices, taken to 48 kHz) is mixed with six noises (white, pink, mains hum with
harmonics, a fan, keyboard clicks, a babble of other voices) at 0, 5, 10 and 15 dB SNR and written as 16-bit WAV.
Each noisy file goes through `directpipe process --effect ID` for speexdsp's `denoise`, `rnnoise` and `deepfilter`,
and through pyrnnoise's own processing (the reference, whose output is cast to 16 bits: ours is scored both as it
is, float, and cast the same way); each output is lined up by the latency it reports and scored
against the clean speech with PESQ (wide band, at 16 kHz) and STOI. Prints one table (means over voices and noises,
per SNR and overall) and the CPU each remover takes: process CPU time for the file, less that of the same command on
a tenth of a second (start-up), as a share of the audio's duration (the anchor: real time, in the same run).
"""
import argparse
import json
import math
import os
import re
import resource
import subprocess
import sys
import tempfile

import numpy as np
import soundfile
from pesq import pesq
from pystoi import stoi
from scipy.signal import butter, lfilter, resample_poly

parser = argparse.ArgumentParser()
parser.add_argument("directpipe")
parser.add_argument("--quick", action="store_true", help="one voice, three noises, two SNRs")
options = parser.parse_args()
rate = 48000
rng = np.random.default_rng(7)
folder = tempfile.mkdtemp(prefix="dp-voice-quality-")

texts = [
    "The stream starts in five minutes, so please check the microphone, the camera and the lights before we go live.",
    "Yesterday we tested the new reverb, but the room sounded far too large for a quiet voice like mine.",
    "If you hear a fan or a keyboard behind me, tell me in the chat and I will turn the noise removal up.",
]
babble_texts = [
    "Somebody left the window open and now the papers are all over the floor of the kitchen.",
    "Numbers one two three four five six seven eight nine ten, and then we count again from the start.",
    "The weather tomorrow will be cloudy in the north and bright in the south with a light wind.",
    "Please remember to bring the cables, the spare batteries and the small red notebook to the studio.",
]


def speak(text, voice):
    path = os.path.join(folder, "speak.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-s", "150", "-w", path, text], check=True)
    audio, source_rate = soundfile.read(path)
    common = math.gcd(rate, source_rate)
    return resample_poly(audio, rate // common, source_rate // common)


def noise(kind, length):
    if kind == "white":
        return rng.standard_normal(length)
    if kind == "pink":
        spectrum = np.fft.rfft(rng.standard_normal(length))
        spectrum /= np.sqrt(np.maximum(np.arange(len(spectrum)), 1))
        return np.fft.irfft(spectrum, length)
    if kind == "hum":
        t = np.arange(length) / rate
        return sum(np.sin(2 * np.pi * 50 * k * t + k) / k for k in range(1, 12))
    if kind == "fan":
        b, a = butter(2, [80 / (rate / 2), 1200 / (rate / 2)], "band")
        t = np.arange(length) / rate
        return lfilter(b, a, rng.standard_normal(length)) * (1 + 0.2 * np.sin(2 * np.pi * 0.3 * t))
    if kind == "keyboard":
        out = np.zeros(length)
        for start in rng.integers(0, length - 400, size=int(length / rate * 9)):
            click = rng.standard_normal(240) * np.exp(-np.arange(240) / 40)
            out[start:start + 240] += click
        return out
    if kind == "babble":
        out = np.zeros(length)
        for index, text in enumerate(babble_texts):
            talker = speak(text, ["en-us", "en-gb", "de", "fr"][index % 4])
            offset = rng.integers(0, max(1, length // 4))
            span = min(length - offset, len(talker))
            out[offset:offset + span] += talker[:span]
        return out
    raise ValueError(kind)


def mix(clean, kind, snr):
    hiss = noise(kind, len(clean))
    active = clean[np.abs(clean) > 1e-4]
    scale = math.sqrt(np.mean(active ** 2) / np.mean(hiss ** 2) / 10 ** (snr / 10))
    noisy = clean + hiss * scale
    peak = np.max(np.abs(noisy))
    factor = 0.5 / peak if peak > 0.5 else 1.0  # headroom: 16-bit without clipping
    return noisy * factor, clean * factor


def children_cpu():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def directpipe(effect, source, target):
    """`effect` an effect id, or "voice chain" (`--chain voice`, the one-click voice's chain)."""
    before = children_cpu()
    chosen = ["--chain", "voice"] if effect == "voice chain" else ["--effect", effect]
    result = subprocess.run([options.directpipe, "process", *chosen, source, target], capture_output=True, text=True)
    used = children_cpu() - before
    if result.returncode != 0:
        raise SystemExit(f"directpipe process --effect {effect}: {result.stderr}")
    latency = int(re.search(r"latency (\d+) frames", result.stderr).group(1))
    output, _ = soundfile.read(target)
    return np.concatenate([output[latency:], np.zeros(latency)]), used


def reference_rnnoise(noisy16):
    from pyrnnoise.rnnoise import create, destroy, process_frame
    state = create()
    frames = [process_frame(state, noisy16[i:i + 480].copy())[0] for i in range(0, len(noisy16) - 479, 480)]
    destroy(state)
    out = np.concatenate(frames).astype(np.float64) / 32768
    out = np.concatenate([out, np.zeros(len(noisy16) - len(out))])
    return np.concatenate([out[960:], np.zeros(960)])  # RNNoise's own delay, as DirectPipe reports it


def scores(clean, processed):
    clean16, processed16 = resample_poly(clean, 1, 3), resample_poly(processed, 1, 3)
    length = min(len(clean16), len(processed16))
    clean16, processed16 = clean16[:length], processed16[:length]
    return pesq(16000, clean16, processed16, "wb"), stoi(clean16, processed16, 16000, extended=False)


voices = ["en-us"] if options.quick else ["en-us", "de"]
kinds = ["white", "fan", "babble"] if options.quick else ["white", "pink", "hum", "fan", "keyboard", "babble"]
snrs = [0, 10] if options.quick else [0, 5, 10, 15]
removers = ["unprocessed", "denoise", "rnnoise", "rnnoise, 16-bit as pyrnnoise", "rnnoise (pyrnnoise reference)", "deepfilter", "voice chain"]
results = {name: {snr: [] for snr in snrs} for name in removers}
cpu = {name: 0.0 for name in ["denoise", "rnnoise", "deepfilter", "voice chain"]}
audio_seconds = 0.0
noisy_path, out_path = os.path.join(folder, "noisy.wav"), os.path.join(folder, "out.wav")

# Start-up cost of each command, measured on a tenth of a second, taken off every run's CPU time.
soundfile.write(noisy_path, np.zeros(rate // 10), rate, subtype="PCM_16")
startup = {name: directpipe(name, noisy_path, out_path)[1] for name in cpu}

for voice in voices:
    clean_voice = np.concatenate([speak(text, voice) for text in texts])
    for kind in kinds:
        for snr in snrs:
            noisy, clean = mix(clean_voice, kind, snr)
            soundfile.write(noisy_path, noisy, rate, subtype="PCM_16")
            noisy16, _ = soundfile.read(noisy_path, dtype="int16")
            noisy_read = noisy16.astype(np.float64) / 32768
            audio_seconds += len(noisy) / rate
            results["unprocessed"][snr].append(scores(clean, noisy_read))
            for name in cpu:
                output, used = directpipe(name, noisy_path, out_path)
                cpu[name] += max(0.0, used - startup[name])
                results[name][snr].append(scores(clean, output))
                if name == "rnnoise":  # pyrnnoise casts its output to 16 bits (toward zero): ours the same way
                    results["rnnoise, 16-bit as pyrnnoise"][snr].append(scores(clean, np.trunc(output * 32768) / 32768))
            results["rnnoise (pyrnnoise reference)"][snr].append(scores(clean, reference_rnnoise(noisy16)))
        print(f"voice-quality: {voice} {kind} done", file=sys.stderr)

print(f"\nNoise removal quality: {len(voices)} voice(s) x {len(kinds)} noises ({', '.join(kinds)}), mean PESQ (wide band) / STOI")
header = f"| remover | " + " | ".join(f"{snr} dB SNR" for snr in snrs) + " | mean |"
print(header)
print("|" + "---|" * (len(snrs) + 2))
summary = {}
for name in removers:
    cells, all_pesq, all_stoi = [], [], []
    for snr in snrs:
        values = results[name][snr]
        p, s = np.mean([v[0] for v in values]), np.mean([v[1] for v in values])
        all_pesq += [v[0] for v in values]
        all_stoi += [v[1] for v in values]
        cells.append(f"{p:.2f} / {s:.3f}")
    summary[name] = (float(np.mean(all_pesq)), float(np.mean(all_stoi)))
    print(f"| {name} | " + " | ".join(cells) + f" | **{summary[name][0]:.2f} / {summary[name][1]:.3f}** |")
print("(voice chain: the one-click voice's whole chain, its auto-gain and EQ included, so its scores are not the noise remover's alone)")
print(f"\nCPU per noise remover at 48 kHz mono (process CPU time / audio time, {audio_seconds:.0f} s of audio, start-up taken off):")
for name, seconds in cpu.items():
    print(f"  {name}: {100 * seconds / audio_seconds:.1f} % of a core")
order = [summary[name][0] for name in ["deepfilter", "rnnoise", "denoise", "unprocessed"]]
print(json.dumps({"event": "voice_quality", "summary": summary, "cpu_percent": {k: 100 * v / audio_seconds for k, v in cpu.items()},
                  "order_holds": all(a > b for a, b in zip(order, order[1:])),
                  "rnnoise_equals_reference": abs(summary["rnnoise, 16-bit as pyrnnoise"][0] - summary["rnnoise (pyrnnoise reference)"][0]) < 0.01}))
