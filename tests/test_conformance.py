"""The first-party parts pass the same conformance kit a third-party plugin author runs (genart_kit.testing).

The GAN and VAE plugins are tested as plugins under test (isolated registries holding only them); the
built-in renderers, ops and exporters with ``plugin = ()`` (the built-ins only). Options are tiny to keep it
fast. At the end, a deliberately broken plugin checks that the kit catches each kind of mistake.
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


class TestGanEmoji(ModelContract):
    """The shipped text-to-emoji GAN (decoder-only weights; a checkpoint of other weights loads in their place)."""

    plugin = genart_gan.plugin
    name = "gan-emoji"
    checkpoint = True
    test_any_size = None


class TestTganArchitecture(ModelContract):
    """The text-conditioned GAN (conditioned on [N, 384] caption embeddings), small and at 32 px."""

    plugin = genart_gan.plugin
    name = "tgan"
    options = {"width": 4, "embed_dim": 8, "image_shape": (3, 32, 32)}
    checkpoint = True
    test_any_size = None


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


# ------------------------------------------------------------------------------- the kit catches mistakes
BROKEN = '''
import torch
import genart_kit as ga
from genart_kit import hookimpl
from genart_kit.export.atomic import check_target
from genart_kit.render.base import Renderer
from genart_kit.testing import ConditionerContract, ExporterContract, ModelContract, OpContract, RendererContract
from genart_kit.testing.fakes import TinyModel


class BatchDependent(TinyModel):
    def _decode(self, z, c):
        return super()._decode(z + z.mean(0, keepdim=True), c)   # the batch leaks into every frame


def named(cls, name):
    def load(checkpoint=None, device=None):
        m = cls()
        m.name = name
        return m.eval()
    return load


class Forgetful(Renderer):   # trails that forget their state at every batch
    def init_state(self):
        return None
    def process(self, frames, state, start, total):
        out, prev = [], None
        for f in frames:
            prev = f if prev is None else torch.maximum(f, 0.8 * prev)
            out.append(prev)
        return torch.stack(out), None


def unseeded(source, frames=8, seed=0):
    return ga.latent.from_tensor(torch.randn(frames, source.latent_dim))


class InPlace:   # writes straight to the final name
    def write(self, path, batches, *, fps, total_frames=None, recipe=None):
        path = check_target(path)
        with open(path, "wb") as fh:
            for b in batches:
                fh.write(bytes(b.tobytes()))
        return path


class Fussy:
    cond_dim = 4
    def encode(self, texts):
        return torch.stack([torch.tensor([float(len(t)), 1.0, 2.0, 3.0]) for t in texts])


class Parts:
    @hookimpl
    def register_models(self, register):
        for name, cls in (("good", TinyModel), ("batchdep", BatchDependent)):
            register(name, named(cls, name), description="x", latent_dim=4, image_shape=(3, 16, 16), options=[])
        register("unnamed", named(TinyModel, "tiny"), description="x", latent_dim=4, image_shape=(3, 16, 16), options=[])

    @hookimpl
    def register_renderers(self, register):
        register("forgetful", Forgetful, description="x")

    @hookimpl
    def register_ops(self, register):
        register("unseeded", unseeded, description="x")

    @hookimpl
    def register_exporters(self, register):
        register("inplace", InPlace, description="x", suffixes=(".raw",))

    @hookimpl
    def register_conditioners(self, register):
        register("fussy", lambda: Fussy(), description="x", cond_dim=4)


class K:
    plugin = Parts()


class TestGood(K, ModelContract):
    name = "good"

class TestBatchdep(K, ModelContract):
    name = "batchdep"

class TestUnnamed(K, ModelContract):
    name = "unnamed"

class TestForgetful(K, RendererContract):
    name = "forgetful"

class TestUnseeded(K, OpContract):
    name = "unseeded"

class TestInplace(K, ExporterContract):
    name = "inplace"
    def read_back(self, path):
        return path.stat().st_size // (16 * 16 * 3)

class TestFussy(K, ConditionerContract):
    name = "fussy"
'''


def test_the_kit_catches_broken_parts(tmp_path):
    """Each broken part fails exactly the contract test that describes its mistake; a good one passes all."""
    import os
    import subprocess
    import sys
    import xml.etree.ElementTree as ET

    (tmp_path / "test_broken.py").write_text(BROKEN)
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", f"--junitxml={tmp_path / 'r.xml'}",
                           str(tmp_path / "test_broken.py")], capture_output=True, text=True, cwd=tmp_path,
                          env={**os.environ, "PYTHONPATH": ""})
    results = {}
    for case in ET.parse(tmp_path / "r.xml").iter("testcase"):
        outcome = "failed" if case.find("failure") is not None or case.find("error") is not None else (
            "skipped" if case.find("skipped") is not None else "passed")
        results[f"{case.get('classname').rsplit('.', 1)[-1]}::{case.get('name')}"] = outcome
    failed = sorted(k for k, v in results.items() if v == "failed")
    assert failed == [
        "TestBatchdep::test_batch_independent",
        "TestBatchdep::test_pipes_into_a_clip_with_a_recipe",  # a clip decodes in other batches than decode()
        "TestForgetful::test_bad_input_raises",  # an unknown option gives TypeError, not InvalidInputError
        "TestForgetful::test_streamed_in_batches_equals_one_call",
        "TestFussy::test_bad_input_raises",
        "TestFussy::test_condition_serves_its_embedding_space",  # it has no condition(texts, spec)
        "TestInplace::test_no_partial_file_on_error",
        "TestUnnamed::test_is_a_generative_model_named_as_registered",
        "TestUnnamed::test_pipes_into_a_clip_with_a_recipe",  # the recipe names 'tiny', not 'unnamed'
        "TestUnseeded::test_deterministic_with_a_seed",
    ], proc.stdout[-3000:]
    assert not [k for k, v in results.items() if k.startswith("TestGood::") and v == "failed"], results
    assert len([k for k in results if k.startswith("TestGood::")]) >= 15, proc.stdout[-3000:]


def test_the_pytest_plugin_is_registered_and_imports_no_torch(tmp_path):
    """Checked from a neutral folder: a stale ``*.egg-info`` in a checkout's root would shadow the metadata."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from importlib.metadata import entry_points\n"
            "eps = [ep.value for ep in entry_points(group='pytest11') if ep.name == 'genart_kit']\n"
            "assert eps == ['genart_kit.pytest_plugin'], eps\n"
            "import genart_kit.pytest_plugin, genart_kit.testing\n"
            "assert 'torch' not in sys.modules, 'the pytest plugin imported torch'\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr


def test_a_test_class_without_a_plugin_is_told_what_to_set():
    """genart_plugin without a ``plugin`` attribute fails with the fix in the message (checked in-process)."""
    from genart_kit import pytest_plugin

    class Request:
        cls = type("TestMine", (), {})
        node = type("Node", (), {"name": "test_x"})()

    with pytest.raises(pytest.fail.Exception, match="set plugin = <your plugin module>"):
        pytest_plugin.genart_plugin.__wrapped__(Request())
