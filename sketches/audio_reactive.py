"""Audio reactive: the picture jumps on every onset of a track and rests where the music rests.

Run with the bundled demo track (synthesised drums and chords, CC0) or your own file; the clip lasts exactly
as long as the audio (--frames is ignored), and MP4/WebM outputs carry the sound:

    genart run sketches/audio_reactive.py --audio song.wav -o out.mp4

With a conditional model the prompts change on the beat (the cross-modal bridge of text and music):

    genart run sketches/audio_reactive.py --param model=gan-emoji \
        --param "prompts=a cat -> a rocket -> a red heart" --param every=4 -o emoji.mp4

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
    "colormap": Param("magma", help="colour map (for grey models; colour models keep their colours)"),
    "flash": Param(0.3, min=0.0, max=1.0, help="how much an onset flashes the frame white (0: off)"),
    "zoom": Param(0.0, min=0.0, max=1.0, help="how much an onset zooms in (0: off; 0.2: 20 % on a hit)"),
    "hue": Param(0.0, min=0.0, max=1.0, help="hue turns following the spectral centroid (0: off)"),
    "prompts": Param("", help="conditional models: prompts changing on the beat, 'a cat -> a rocket -> a red heart'"),
    "every": Param(4, min=1, max=64, help="beats per prompt"),
    "encoder": Param("", help="text encoder for the prompts (genart list conditioners; empty: the best installed)"),
}
DEFAULTS = {"fps": 24, "size": 256}


def sketch(p, seed, size, fps):
    model = ga.model(p.model)
    feats = ga.audio.features(ga.audio.load(ga.audio.track_path(p.audio)), fps=fps)
    onset = ga.audio.attack_release(ga.audio.threshold(feats.onset, 0.15), attack=0, release=p.release)
    loud = ga.audio.smooth(feats.rms, 1.0)
    drive = np.stack([onset, onset * loud], axis=1)  # two bands: the hit, and the hit scaled by loudness
    path = ga.latent.pulse(model, drive, seed=seed, strength=p.strength, speed=p.drift, fps=fps)
    prompts = [t.strip() for t in p.prompts.split("->") if t.strip()]
    if prompts and not model.conditional:
        raise ga.errors.InvalidInputError(f"prompts need a conditional model (cgan-mnist, cvae-mnist, gan-emoji); "
                                          f"'{p.model}' is unconditional: drop --param prompts or pick one.")
    if prompts:
        timeline = ga.audio.beat_timeline(feats, prompts, every=p.every)
        path = ga.latent.prompt_timeline(model, timeline, feats.frames, fps=fps, latents=path,
                                        encoder=p.encoder or None)
    elif model.num_classes:
        path = path.with_condition(seed % model.num_classes)
    elif model.conditional:
        raise ga.errors.InvalidInputError(f"model '{p.model}' is steered by text: give it prompts, e.g. "
                                          f"--param \"prompts=a cat -> a rocket -> a red heart\".")
    look = ga.render.upscale(size)
    if model.image_shape[0] == 1:
        look = look | ga.render.colormap(p.colormap)
    if p.zoom > 0:
        look = look | ga.render.zoom(1.0 + p.zoom * onset)
    if p.hue > 0:
        look = look | ga.render.hue(p.hue * ga.audio.normalize(ga.audio.smooth(feats.centroid, 2.0), 5, 95))
    if p.flash > 0:
        look = look | ga.render.flash(p.flash * onset)
    return path | model | look
