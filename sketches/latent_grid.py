"""Latent grid: a rows x cols sweep over a plane through latent space, the whole plane circling in a loop.

Cell (r, c) shows the latent centre(t) + u_c d1 + v_r d2 for two orthonormal directions d1, d2 (a
grid_sweep); the centre follows a seamless circular walk, so neighbouring cells morph together and the
animation loops. All cells of a frame are decoded in one batch and laid out with ga.render.grid.
"""

import genart_kit as ga
from genart_kit.sketch import Param

PARAMS = {
    "model": Param("vae-mnist", help="model (genart list models)"),
    "rows": Param(5, min=1, max=16, help="grid rows"),
    "cols": Param(5, min=1, max=16, help="grid columns"),
    "extent": Param(1.5, min=0.1, max=5.0, help="half-width of the sweep, in prior standard deviations"),
    "radius": Param(0.8, min=0.0, max=3.0, help="radius of the centre's circular walk"),
    "colormap": Param("twilight_shifted", help="colour map"),
}
DEFAULTS = {"frames": 48, "fps": 24, "size": 256}


def sketch(p, seed, frames, size):
    model = ga.model(p.model)
    offsets = ga.latent.grid_sweep(model, p.rows, p.cols, extent=p.extent, seed=seed).tensor()  # [R*C, D]
    centre = ga.latent.circular_walk(model, frames, seed=seed + 1, radius=p.radius)  # [T, D]
    label = seed % model.num_classes if model.num_classes else None
    k = len(offsets)

    def decode_grid(z):  # z: [B, D] centres -> [B, C, H', W'] grids
        cells = (z[:, None, :] + offsets[None].to(z.device)).reshape(-1, z.shape[1])
        images = model.decode(cells, label) if label is not None else model.decode(cells)
        return ga.render.grid(images.reshape(z.shape[0], k, *images.shape[1:]), cols=p.cols, padding=1)

    return centre | decode_grid | ga.render.upscale(size) | ga.render.colormap(p.colormap)
