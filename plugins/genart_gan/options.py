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


#: the DiffAugment policies (Zhao et al. 2020), applied by :func:`genart_gan.augment.diff_augment`
POLICIES = ("color", "translation", "cutout")


def check_policy(policy: object) -> str | None:
    """Why *policy* (comma-separated names from :data:`POLICIES`, or ``"none"``) is not valid, or None."""
    if not isinstance(policy, str):
        return f"expected a comma-separated string such as 'color,translation,cutout', got {policy!r}"
    names = [p.strip() for p in policy.split(",")]
    if policy.strip() == "none":
        return None
    if not all(names):
        return f"expected names separated by commas, such as 'color,translation,cutout' (or 'none'), got {policy!r}"
    bad = [p for p in names if p not in POLICIES]
    if bad:
        return f"unknown augmentation {', '.join(map(repr, bad))}; choose from {', '.join(POLICIES)} (or 'none')"
    if len(set(names)) != len(names):
        return f"an augmentation is named twice in {policy!r}"
    return None


TGAN_OPTIONS = (
    Option("latent_dim", int, 64, "latent dimension D", min=1, max=4096),
    Option("width", int, 32, "conv channel width of D's first and G's last hidden layer (doubles per resolution)",
           min=4, max=1024),
    Option("cond_dim", int, 384, "length of the caption embeddings (384: all-MiniLM-L6-v2, both text encoders)",
           min=1, max=4096),
    Option("embed_dim", int, 128, "G projects the caption embedding to this length before joining it with z",
           min=1, max=4096),
    Option("space", str, "all-MiniLM-L6-v2", "the embedding space of the captions (genart list conditioners)"),
    Option("ema", float, 0.999, "decode with an exponential moving average of G's weights with this decay "
           "(Yazici et al. 2019; 0 turns it off)", min=0.0, max=1.0),
    Option("ema_start", int, 0, "begin averaging after this iteration", min=0, max=2**62, train_only=True),
    Option("diffaug", str, "color,translation,cutout", "DiffAugment policy on everything D sees (Zhao et al. 2020); "
           "'none' turns it off", train_only=True, validate=check_policy),
    Option("cond_noise", float, 0.25, "expected length of the noise added to the unit-length training caption "
           "embeddings (conditioning augmentation; 0: none)", min=0.0, max=10.0, train_only=True),
    Option("image_shape", tuple, (3, 64, 64), "(C, H, W) of the images; genart train takes it from the data",
           cli=False, validate=strided_image_shape()),
    Option("decoder_only", bool, False, "only the generator (exported for shipping; cannot be trained)", cli=False),
)
