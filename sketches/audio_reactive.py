"""Audio reactive: the picture jumps on every onset of a track and rests where the music rests.

Run with the bundled demo track (synthesised drums and chords, CC0) or your own file; the clip lasts exactly
as long as the audio (--frames is ignored), and MP4/WebM outputs carry the sound:

    genart run sketches/audio_reactive.py --audio song.wav -o out.mp4

Needs the audio extra: pip install 'genart-kit[audio]' (and [video] for MP4/WebM).
"""

import numpy as np

import genart_kit as ga
from genart_kit.sketch import Param

PARAMS = {
    "audio": Param("demo", help="audio file (WAV/FLAC/OGG), or 'demo' for the bundled demo track"),
    "model": Param("vae-mnist", help="model (genart list models)"),
    "strength": Param(1.5, min=0.0, max=5.0, help="how far an onset pushes the latent"),
    "release": Param(5.0, min=0.0, max=48.0, help="frames an onset takes to fade"),
    "drift": Param(0.02, min=0.0, max=1.0, help="turns per second of the slow base circle"),
    "colormap": Param("magma", help="colour map"),
}
DEFAULTS = {"fps": 24, "size": 256}


def sketch(p, seed, size, fps):
    model = ga.model(p.model)
    feats = ga.audio.features(ga.audio.load(ga.audio.track_path(p.audio)), fps=fps)
    onset = ga.audio.attack_release(ga.audio.threshold(feats.onset, 0.15), attack=0, release=p.release)
    loud = ga.audio.smooth(feats.rms, 1.0)
    drive = np.stack([onset, onset * loud], axis=1)  # two bands: the hit, and the hit scaled by loudness
    path = ga.latent.pulse(model, drive, seed=seed, strength=p.strength, speed=p.drift, fps=fps)
    if model.num_classes:
        path = path.with_condition(seed % model.num_classes)
    return path | model | ga.render.upscale(size) | ga.render.colormap(p.colormap)
