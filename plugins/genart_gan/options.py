"""The options of the GAN architectures, declared with their registration (torch-free: read by listings).

``genart train gan|cgan`` builds its architecture flags from these, ``ga.model`` checks them, and the model and
checkpoint loading validate against them.
"""

from __future__ import annotations

from genart_kit.options import Option, strided_image_shape

GAN_OPTIONS = (
    Option("latent_dim", int, 64, "latent dimension D", min=1, max=4096),
    Option("width", int, 32, "conv channel width of the last generator layer (doubles per resolution)", min=1, max=1024),
    Option("extra_layers", int, 0, "E extra 3x3 conv blocks per resolution in G and D (1 doubles the training time)",
           min=0, max=16),
    Option("ema", float, None, "sample from an exponential moving average of the generator's weights with this decay "
           "(e.g. 0.999; Yazici et al. 2019)", min=0.0, max=1.0),
    Option("ema_start", int, 0, "with --ema: begin averaging after this iteration; resuming a run without averaging "
           "with --ema --ema-start STEP (its current step) adds it", min=0, max=2**62, train_only=True),
    Option("image_shape", tuple, (1, 28, 28), "(C, H, W) of the images; genart train takes it from the data",
           cli=False, validate=strided_image_shape()),
    Option("cond_dim", int, None, "length of conditioning vectors instead of labels", min=1, max=4096, cli=False),
)

CGAN_OPTIONS = (*GAN_OPTIONS, Option("num_classes", int, None, "number of class labels (default 10 for the conditional architecture)", min=1, max=10000))
