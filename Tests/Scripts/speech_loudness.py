"""Speech at several levels and pyloudnorm's integrated loudness of each, for the loudness tests.

    speech_loudness.py FOLDER    writes FOLDER/speech-VOICE-LEVEL.wav (48 kHz float, mono) and prints one JSON
                                 object: file name → pyloudnorm's integrated loudness (LUFS)

espeak-ng speaks (several voices), scipy takes it to 48 kHz; the levels are gains on the same speech.
"""
import json
import math
import os
import subprocess
import sys

import numpy as np
import pyloudnorm
import soundfile
from scipy.signal import resample_poly

folder = sys.argv[1]
text = ("DirectPipe takes the microphone, removes the noise and sets the level, before OBS, the call and the "
        "headphones hear it. The quick brown fox jumps over the lazy dog, twice, and then rests.")
readings = {}
for voice in ["en-us", "de", "fr"]:
    raw = os.path.join(folder, f"raw-{voice}.wav")
    subprocess.run(["espeak-ng", "-v", voice, "-w", raw, text], check=True)
    speech, rate = soundfile.read(raw)
    common = math.gcd(48000, rate)
    speech = resample_poly(speech, 48000 // common, rate // common)
    for level in [-30, -15, -3]:
        scaled = (speech * 10 ** (level / 20)).astype(np.float32)
        name = f"speech-{voice}-{-level}.wav"
        soundfile.write(os.path.join(folder, name), scaled, 48000, subtype="FLOAT")
        readings[name] = pyloudnorm.Meter(48000).integrated_loudness(scaled.astype(np.float64))
print(json.dumps(readings))
