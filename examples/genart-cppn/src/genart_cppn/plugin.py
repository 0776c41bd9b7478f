"""The ``genart_kit`` entry point of genart-cppn: registers the ``cppn`` model and the ``kaleidoscope``
renderer. Cheap to import (no torch): the loaders are ``"module:attribute"`` strings resolved when used."""

from __future__ import annotations

from genart_kit import hookimpl
from genart_kit.options import Option

#: the declared options of the ``cppn`` model (``genart sample cppn --size 512 --hidden 48 ...``)
CPPN_OPTIONS = [
    Option("size", int, 256, "output side in pixels (frames are size x size)", min=8, max=4096),
    Option("latent_dim", int, 8, "length D of the latent vector z fed to every pixel", min=1, max=512),
    Option("hidden", int, 32, "units per hidden layer", min=2, max=512),
    Option("layers", int, 4, "hidden layers (activations cycle tanh, sin, gaussian)", min=1, max=16),
    Option("weights_seed", int, 0, "seed of the fixed random weights (another seed, another family of patterns)", min=0),
    Option("scale", float, 1.0, "zoom of the coordinate plane (larger: finer, busier patterns)", min=0.01, max=100.0),
]

#: latent dimension before options (shown by ``genart list models``)
LATENT_DIM = 8


@hookimpl
def register_models(register):
    """Register ``cppn``: procedural (ready to sample, nothing to train), any size, options declared above."""
    register("cppn", "genart_cppn.model:load",
             description="CPPN: random-weight MLP over pixel coordinates (Stanley 2007), any size, no weights",
             latent_dim=LATENT_DIM, image_shape=(3, None, None), conditional=False, num_classes=None,
             ready=True, trainable=False, options=CPPN_OPTIONS)


@hookimpl
def register_renderers(register):
    """Register ``kaleidoscope``: N-fold mirror symmetry about the frame's centre."""
    register("kaleidoscope", "genart_cppn.kaleidoscope:kaleidoscope",
             description="N-fold mirror symmetry about the centre (folds=6)")
