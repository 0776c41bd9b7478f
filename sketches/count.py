"""Count 0 -> 9: a class-conditional model draws each digit in turn while its style drifts in a noise loop.

The latent (the handwriting style) follows a slow seamless noise loop; the class label steps through the
digits, with a caption showing the label.
"""

import genart_kit as ga
from genart_kit.sketch import Param

PARAMS = {
    "model": Param("cgan-mnist", help="a class-conditional model (cgan-mnist, cvae-mnist)"),
    "start": Param(0, min=0, max=9, help="first digit"),
    "stop": Param(9, min=0, max=9, help="last digit (counts down if below start)"),
    "drift": Param(0.6, min=0.0, max=2.0, help="how far the style wanders"),
    "caption": Param(True, help="write the digit in the corner"),
    "colormap": Param("turbo", help="colour map"),
}
DEFAULTS = {"frames": 60, "fps": 6, "size": 256}


def sketch(p, seed, frames, size):
    model = ga.model(p.model)
    step = 1 if p.stop >= p.start else -1
    digits = list(range(p.start, p.stop + step, step))
    style = ga.latent.noise_loop(model, frames, seed=seed, harmonics=2, radius=p.drift)
    path = ga.latent.class_sweep(model, frames, classes=digits, latents=style)
    labels = path.condition.tolist()
    clip = path | model | ga.render.upscale(size) | ga.render.colormap(p.colormap)
    if p.caption:
        clip = clip | ga.render.caption(lambda i: str(labels[i]), position="top-left", background_alpha=0.0)
    return clip
