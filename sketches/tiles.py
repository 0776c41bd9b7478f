"""Tiles: a colourful composition of four animated panels, each a different model, path and look.

Top left: VAE noise loop through magma with trails. Top right: GAN circular walk, viridis, posterized.
Bottom left: VAE morph through real MNIST digits, twilight, with video feedback. Bottom right:
class-conditional GAN counting 0-9 in turbo. All panels loop over the same number of frames.
"""

import genart_kit as ga
from genart_kit.sketch import Param

PARAMS = {
    "vae": Param("vae-mnist", help="the VAE used by two panels"),
    "gan": Param("gan-mnist", help="the GAN panel's model"),
    "cgan": Param("cgan-mnist", help="the class-conditional panel's model"),
    "padding": Param(8, min=0, max=64, help="pixels between and around the panels"),
    "levels": Param(5, min=2, max=32, help="posterize levels of the GAN panel"),
}
DEFAULTS = {"frames": 60, "fps": 20, "size": 384}


def sketch(p, seed, frames, size):
    vae, gan, cgan = ga.model(p.vae), ga.model(p.gan), ga.model(p.cgan)
    cell = max(8, (size - 3 * p.padding) // 2)  # each panel rendered at its final size
    up = ga.render.upscale(cell)
    a = ga.latent.noise_loop(vae, frames, seed=seed) | vae | ga.render.trails(0.7) | up | ga.render.colormap("magma")
    b = ga.latent.circular_walk(gan, frames, seed=seed + 1) | gan | up | ga.render.colormap("viridis") | ga.render.posterize(p.levels)
    c = ga.latent.morph(vae, "mnist:2,0,2,6", frames, hold=0.2) | vae | up | ga.render.colormap("twilight_shifted")
    c = c | ga.render.feedback(zoom=1.04, rotate=2.0, decay=0.8)
    style = ga.latent.noise_loop(cgan, frames, seed=seed + 2, radius=0.5)
    d = ga.latent.class_sweep(cgan, frames, latents=style) | cgan | up | ga.render.colormap("turbo")
    sheet = ga.render.tile([a, b, c, d], cols=2, padding=p.padding, background=0.08)
    return sheet | ga.render.resize((size, size))
