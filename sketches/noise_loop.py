"""Noise loop: smooth random wandering that loops seamlessly, with fading light trails.

Samples a periodic Gaussian process (a random trigonometric polynomial per latent dimension): every frame is
a typical latent, the last frame leads into the first, and `harmonics` sets how much it wanders per loop.
"""

import genart_kit as ga
from genart_kit.sketch import Param

PARAMS = {
    "model": Param("vae-mnist", help="model (genart list models)"),
    "harmonics": Param(3, min=1, max=16, help="1 = a plain circle; more = more wandering per loop"),
    "roughness": Param(0.5, min=0.0, max=1.0, help="weight of the higher harmonics"),
    "radius": Param(1.0, min=0.0, max=3.0, help="excursion from the centre of the latent space"),
    "trails": Param(0.75, min=0.0, max=0.99, help="how long motion trails linger (0 = off)"),
    "colormap": Param("viridis", help="colour map"),
}
DEFAULTS = {"frames": 96, "fps": 24, "size": 256}


def sketch(p, seed, frames, size):
    model = ga.model(p.model)
    path = ga.latent.noise_loop(model, frames, seed=seed, harmonics=p.harmonics, roughness=p.roughness, radius=p.radius)
    if model.num_classes:
        path = path.with_condition(seed % model.num_classes)
    clip = path | model
    if p.trails > 0:
        clip = clip | ga.render.trails(p.trails)
    return clip | ga.render.upscale(size) | ga.render.colormap(p.colormap)
