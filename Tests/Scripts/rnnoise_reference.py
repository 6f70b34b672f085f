"""RNNoise's reference output for the DSP tests: pyrnnoise's own frame processing (pyrnnoise.rnnoise.process_frame,
the library the wheel carries) over raw little-endian int16 mono samples at 48 kHz, in frames of 480.

    rnnoise_reference.py INPUT.raw OUTPUT.raw PROBABILITIES.raw
"""
import sys

import numpy as np
from pyrnnoise.rnnoise import FRAME_SIZE, create, destroy, process_frame

source, target, probabilities = sys.argv[1:]
samples = np.fromfile(source, dtype="<i2")
state = create()
out, voice = [], []
for start in range(0, len(samples) - FRAME_SIZE + 1, FRAME_SIZE):
    frame, probability = process_frame(state, samples[start:start + FRAME_SIZE].copy())
    out.append(frame)
    voice.append(probability)
destroy(state)
np.concatenate(out).astype("<i2").tofile(target)
np.array(voice, dtype="<f4").tofile(probabilities)
