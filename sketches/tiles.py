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
    "padding": Param(4, min=0, max=64, help="pixels between panels (at 28 px per panel, before upscaling)"),
    "levels": Param(5, min=2, max=32, help="posterize levels of the GAN panel"),
}
DEFAULTS = {"frames": 60, "fps": 20, "size": 384}


def sketch(p, seed, frames, size):
    vae, gan, cgan = ga.model(p.vae), ga.model(p.gan), ga.model(p.cgan)
    cell = 64
    a = ga.latent.noise_loop(vae, frames, seed=seed) | vae | ga.render.trails(0.7) | ga.render.colormap("magma")
    b = ga.latent.circular_walk(gan, frames, seed=seed + 1) | gan | ga.render.colormap("viridis") | ga.render.posterize(p.levels)
    c = ga.latent.morph(vae, "mnist:2,0,2,6", frames, hold=0.2) | vae | ga.render.colormap("twilight_shifted") | ga.render.upscale(cell)
    c = c | ga.render.feedback(zoom=1.04, rotate=2.0, decay=0.8)
    d = ga.latent.class_sweep(cgan, frames, latents=ga.latent.noise_loop(cgan, frames, seed=seed + 2, radius=0.5)) | cgan | ga.render.colormap("turbo")
    panels = [x | ga.render.upscale(cell) for x in (a, b)] + [c, d | ga.render.upscale(cell)]
    return ga.render.tile(panels, cols=2, padding=p.padding, background=0.08) | ga.render.upscale(size)
