"""The first-party parts pass the same conformance kit a third-party plugin author runs (genart_kit.testing).

The GAN and VAE plugins are tested as plugins under test (isolated registries holding only them); the
built-in renderers, ops and exporters with ``plugin = ()`` (the built-ins only). Options are tiny to keep it
fast. tests/test_conformance_kit.py checks that the kit catches broken parts.
"""

from __future__ import annotations

import json
from pathlib import Path

import genart_gan.plugin
import genart_vae.plugin
import pytest
import torch

from genart_kit.testing import ExporterContract, ModelContract, OpContract, RendererContract


# ------------------------------------------------------------------------------------------------ models
class _Mnist(ModelContract):
    checkpoint = True  # shipped weights, and a checkpoint of other weights loads in their place
    test_any_size = None  # fixed 28 px models (the scaffold's and the CPPN's any-size models run it)


class TestVaeMnist(_Mnist):
    plugin = genart_vae.plugin
    name = "vae-mnist"


class TestCvaeMnist(_Mnist):
    plugin = genart_vae.plugin
    name = "cvae-mnist"


class TestVaeArchitecture(_Mnist):
    plugin = genart_vae.plugin
    name = "vae"
    options = {"width": 8, "hidden": 16}


class TestGanMnist(_Mnist):
    plugin = genart_gan.plugin
    name = "gan-mnist"


class TestCganArchitecture(_Mnist):
    plugin = genart_gan.plugin
    name = "cgan"


# --------------------------------------------------------------------------------------------- renderers
class _Builtin:
    plugin = ()


class TestColormap(_Builtin, RendererContract):
    name = "colormap"
    options = {"cmap": "magma"}
    frame_shape = (1, 12, 12)


class TestUpscale(_Builtin, RendererContract):
    name = "upscale"
    options = {"size": 24, "mode": "nearest"}


class TestResize(_Builtin, RendererContract):
    name = "resize"
    options = {"size": 9}
    frame_shape = (4, 16, 16)


class TestTrails(_Builtin, RendererContract):
    name = "trails"
    options = {"decay": 0.7}


class TestFeedback(_Builtin, RendererContract):
    name = "feedback"
    options = {"zoom": 1.1, "rotate": 5.0}


class TestPosterize(_Builtin, RendererContract):
    name = "posterize"
    options = {"levels": 3}


class TestInvert(_Builtin, RendererContract):
    name = "invert"


class TestContrast(_Builtin, RendererContract):
    name = "contrast"


class TestGamma(_Builtin, RendererContract):
    name = "gamma"


class TestCaption(_Builtin, RendererContract):
    name = "caption"
    options = {"text": "f{frame}", "size": 8}
    frame_shape = (3, 24, 32)


# ------------------------------------------------------------------------------------------------- ops
class TestNoiseLoop(_Builtin, OpContract):
    name = "noise_loop"


class TestCircularWalk(_Builtin, OpContract):
    name = "circular_walk"


class TestRandomWalk(_Builtin, OpContract):
    name = "random_walk"


class TestInterpolate(_Builtin, OpContract):
    name = "interpolate"
    options = {"frames": 9, "keys": 3, "seed": 0, "loop": True}


class TestGridSweep(_Builtin, OpContract):
    name = "grid_sweep"
    options = {"rows": 2, "cols": 3, "seed": 0}
    bad_options = {"rows": 0}


class TestSlerp(_Builtin, OpContract):
    name = "slerp"
    options = {}
    bad_options = {"t": float("nan")}

    def call(self, op, model, **extra):
        a, b = model.sample_latents(2, seed=0)
        return op(a, b, extra.get("t", torch.linspace(0, 1, 5)))


class TestTruncate(_Builtin, OpContract):
    name = "truncate"
    options = {"psi": 0.5}
    bad_options = {"psi": 2.5}

    def call(self, op, model, **extra):
        import genart_kit as ga

        return op(ga.latent.noise_loop(model, frames=6, seed=1), **{**self.options, **extra})


# --------------------------------------------------------------------------------------------- exporters
class TestGif(_Builtin, ExporterContract):
    name = "gif"
    recipe_embedded = True


class TestApng(_Builtin, ExporterContract):
    name = "apng"
    recipe_embedded = True


class TestWebp(_Builtin, ExporterContract):
    name = "webp"
    options = {"lossless": True}
    recipe_embedded = True


class TestPngSequence(_Builtin, ExporterContract):
    name = "png-sequence"
    frame_shape = (1, 8, 8)
    recipe_embedded = True


class TestSpritesheet(_Builtin, ExporterContract):
    name = "spritesheet"
    recipe_embedded = True

    def read_back(self, path: Path) -> int:
        return len(json.loads(path.read_text())["frames"])


class TestMp4(_Builtin, ExporterContract):
    name = "mp4"
    frame_shape = (3, 16, 16)
    recipe_embedded = True

    def read_back(self, path: Path) -> int:
        iio = pytest.importorskip("imageio.v3")
        return sum(1 for _ in iio.imiter(path, plugin="FFMPEG"))
