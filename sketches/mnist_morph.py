"""MNIST morph: encode real MNIST test digits with the VAE and morph from one to the next, looping.

The digits are real MNIST test images shipped with genart-kit (no dataset or network needed). Pass your
own with --param images=PATH (a file or a folder of images; light strokes on dark, or add invert=true).
"""

import genart_kit as ga
from genart_kit.sketch import Param

PARAMS = {
    "model": Param("vae-mnist", help="a model that can encode (a VAE)"),
    "digits": Param("3,1,4,1,5,9,2,6", help="comma-separated MNIST test digits to morph through, in order"),
    "images": Param("", help="instead of digits: an image file or a folder of images"),
    "invert": Param(False, help="invert the images first (for dark strokes on a light background)"),
    "hold": Param(0.3, min=0.0, max=0.9, help="fraction of each transition spent resting on a digit"),
    "colormap": Param("inferno", help="colour map"),
}
DEFAULTS = {"frames": 96, "fps": 24, "size": 256}


def sketch(p, frames, size):
    model = ga.model(p.model)
    if p.images:
        images = p.images
    else:
        try:
            digits = [int(d) for d in p.digits.replace(" ", "").split(",") if d]
        except ValueError:
            raise ga.errors.InvalidInputError(f"parameter 'digits' must be comma-separated digits 0-9, got {p.digits!r}.") from None
        images = "mnist:" + ",".join(map(str, digits))
    path = ga.latent.morph(model, images, frames, hold=p.hold, invert=p.invert, loop=True)
    return path | model | ga.render.upscale(size) | ga.render.colormap(p.colormap)
