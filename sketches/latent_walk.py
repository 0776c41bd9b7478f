"""Latent walk: a seamless looping walk through a model's latent space, colour-mapped and upscaled.

The README's main job: `genart run sketches/latent_walk.py` writes latent_walk.gif. The walk visits
`keys` random latents (seeded) along great circles (slerp), easing in and out of each, and returns to the
first so the GIF loops without a jump.
"""

import genart_kit as ga
from genart_kit.latent.interpolation import EASINGS
from genart_kit.sketch import Param

PARAMS = {
    "model": Param("vae-mnist", help="model to walk through (genart list models)"),
    "keys": Param(4, min=1, max=64, help="number of keyframes visited per loop"),
    "colormap": Param("magma", help="colour map (any matplotlib name, e.g. viridis, inferno, twilight)"),
    "easing": Param("cosine", choices=list(EASINGS), help="easing between keyframes"),
    "method": Param("slerp", choices=["slerp", "lerp"], help="interpolation"),
    "pixelated": Param(False, help="nearest-neighbour upscaling for a pixel-art look"),
    "prompt": Param("a smiling face", help="what a text-conditioned model (gan-emoji) draws"),
}
DEFAULTS = {"frames": 48, "fps": 24, "size": 256}


def sketch(p, seed, frames, size):
    model = ga.model(p.model)
    path = ga.latent.interpolate(model, frames, keys=p.keys, seed=seed, method=p.method, easing=p.easing, loop=True)
    if model.num_classes:  # class-conditional models: one digit per seed
        path = path.with_condition(seed % model.num_classes)
    elif model.cond_dim:  # text-conditioned models: the prompt
        path = path.with_condition(ga.prompt(p.prompt))
    clip = path | model | ga.render.upscale(size, mode="nearest" if p.pixelated else "smooth")
    # grayscale frames are upscaled first, then coloured: smooth gradients map through the colour map;
    # a colour model keeps its own colours
    return clip | ga.render.colormap(p.colormap) if model.image_shape[0] == 1 else clip
