"""Contract test classes: what every model, renderer, op, exporter and conditioner must do, as pytest tests.

A plugin author enables a contract in one line per part: subclass it in a ``Test*`` class and say which
plugin and which registered name to check (the fixtures come from :mod:`genart_kit.pytest_plugin`, loaded by
pytest automatically wherever genart-kit is installed)::

    from genart_kit.testing import ModelContract
    import my_plugin

    class TestMyModel(ModelContract):
        plugin = my_plugin      # the module with the @hookimpl functions
        name = "cppn"           # the registered name
        options = {"size": 32}  # small options keep the tests fast

Every test runs against an isolated registry holding only ``plugin`` (plus the toolkit's built-in parts), so
it sees the same thing whether or not the plugin's package is also installed. Override a method (for example
:meth:`OpContract.call` for an op that does not take a model) or a class attribute to fit a part; set a test
to ``None`` in the subclass (``test_device_moves = None``) only when it truly does not apply.

This module imports torch (only test files import it).
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest
import torch

import genart_kit as ga
from genart_kit.errors import InvalidInputError
from genart_kit.generative import GenerativeModel
from genart_kit.options import Option

from ._base import Contract, frames_for
from ._parts import ConditionerContract, ExporterContract, OpContract, RendererContract

__all__ = ["Contract", "ModelContract", "RendererContract", "OpContract", "ExporterContract", "ConditionerContract",
           "frames_for"]


def _devices() -> list[str]:
    return ["cpu", *(["cuda"] if torch.cuda.is_available() else [])]


class ModelContract(Contract):
    """The model contract (see :mod:`genart_kit.generative` for the conventions).

    Class attributes:
        plugin, name: see :class:`Contract`.
        options: keyword options for ``ga.model(name, **options)`` (keep them small: ``{"size": 32}``).
        batch: latents per test decode (default 5).
        checkpoint: test the checkpoint round trip; ``None`` (default) means "when the model is trainable or
            needs a checkpoint" (meta ``trainable`` / ``ready=False``); ``True`` for shipped weights too.
        atol: tolerance between CPU and CUDA frames (other kernels round differently).
    """

    kind: ClassVar[str] = "model"
    batch: ClassVar[int] = 5
    checkpoint: ClassVar[bool | None] = None
    atol: ClassVar[float] = 2e-2

    # ------------------------------------------------------------------------------------- helpers
    def load(self, **extra: Any) -> GenerativeModel:
        """``ga.model(name, **options, **extra)`` through the isolated registry."""
        return ga.model(self.name, **{**dict(self.options), **extra})

    def condition(self, model: GenerativeModel, n: int) -> Any:
        """A condition for *n* latents: labels ``arange(n) % num_classes``, seeded ``[n, cond_dim]`` vectors,
        or ``None`` for an unconditional model."""
        if model.num_classes:
            return torch.arange(n) % model.num_classes
        if model.cond_dim:
            return torch.randn(n, model.cond_dim, generator=torch.Generator().manual_seed(0))
        return None

    def decode(self, model: GenerativeModel, z: torch.Tensor) -> torch.Tensor:
        """``model.decode(z, condition)`` with :meth:`condition` for the batch."""
        return model.decode(z, self.condition(model, z.shape[0]))

    @pytest.fixture
    def genart_model(self, genart_registry: Any) -> GenerativeModel:
        """The model under test, loaded with :attr:`options`."""
        return self.load()

    # --------------------------------------------------------------------------------------- tests
    def test_registered_with_metadata(self, genart_registry: Any) -> None:
        meta = self.entry(genart_registry).meta
        assert isinstance(meta.get("latent_dim"), int) and meta["latent_dim"] > 0, \
            f"register meta latent_dim must be a positive int, got {meta.get('latent_dim')!r}"
        shape = meta.get("image_shape")
        assert isinstance(shape, (tuple, list)) and len(shape) == 3 and all(
            s is None or (isinstance(s, int) and s > 0) for s in shape), \
            f"register meta image_shape must be (C, H, W) with None for a free side, got {shape!r}"
        assert isinstance(shape[0], int) and shape[0] in (1, 3, 4), "the channel count C must be given: 1, 3 or 4"
        for key in ("conditional", "ready", "trainable"):
            assert key not in meta or isinstance(meta[key], bool), f"register meta {key} must be True or False"
        assert all(isinstance(o, Option) for o in meta.get("options") or ()), \
            "register meta options must be genart_kit.options.Option instances"

    def test_is_a_generative_model_named_as_registered(self, genart_model: GenerativeModel) -> None:
        assert isinstance(genart_model, GenerativeModel), \
            f"the loader must return a genart_kit.generative.GenerativeModel, got {type(genart_model).__name__}"
        assert genart_model.name == self.name, \
            f"model.name is {genart_model.name!r}: set it to the registered name {self.name!r} (recipes replay by it)"
        assert not genart_model.training, "the loader must return the model in eval mode (model.eval())"

    def test_metadata_matches_instance(self, genart_registry: Any, genart_model: GenerativeModel) -> None:
        meta = self.entry(genart_registry).meta
        if "latent_dim" not in self.options:
            assert genart_model.latent_dim == meta["latent_dim"], "meta latent_dim differs from model.latent_dim"
        shape = tuple(genart_model.image_shape)
        assert len(shape) == 3 and all(isinstance(s, int) and s > 0 for s in shape), \
            f"model.image_shape must be three positive ints (C, H, W), got {shape!r}"
        declared = tuple(meta["image_shape"])
        for want, got in zip(declared, shape):
            if want is not None and not ({"image_shape", "size"} & set(self.options)):
                assert want == got, f"meta image_shape {declared} differs from model.image_shape {shape}"
        if "size" in self.options and None in declared:
            assert shape[1:] == (self.options["size"],) * 2, f"size={self.options['size']} gave image_shape {shape}"
        if "conditional" in meta:
            assert genart_model.conditional == meta["conditional"], "meta conditional differs from the instance"
        if meta.get("num_classes") and "num_classes" not in self.options:
            assert genart_model.num_classes == meta["num_classes"], "meta num_classes differs from the instance"

    def test_sample_latents_shape_dtype_device(self, genart_model: GenerativeModel) -> None:
        z = genart_model.sample_latents(self.batch, seed=0)
        assert z.shape == (self.batch, genart_model.latent_dim) and z.dtype == torch.float32
        assert z.device == genart_model.device
        with pytest.raises(InvalidInputError):
            genart_model.sample_latents(0, seed=0)

    def test_sample_latents_seeded_and_prefix_stable(self, genart_model: GenerativeModel) -> None:
        a = genart_model.sample_latents(7, seed=3)
        assert torch.equal(a, genart_model.sample_latents(7, seed=3)), "same seed must give the same latents"
        assert not torch.equal(a, genart_model.sample_latents(7, seed=4)), "another seed must give other latents"
        for k in (1, 3):
            assert torch.equal(genart_model.sample_latents(k, seed=3), a[:k]), \
                f"sample_latents({k}, seed) must be the first {k} rows of sample_latents(7, seed)"

    def test_decode_shape_range_dtype(self, genart_model: GenerativeModel) -> None:
        z = genart_model.sample_latents(self.batch, seed=1)
        frames = self.decode(genart_model, z)
        assert frames.shape == (self.batch, *genart_model.image_shape), \
            f"decode gave {list(frames.shape)}, expected {[self.batch, *genart_model.image_shape]}"
        assert frames.dtype == torch.float32 and torch.isfinite(frames).all()
        assert float(frames.min()) >= 0.0 and float(frames.max()) <= 1.0, "frames must be in [0, 1]"
        assert frames.device == genart_model.device

    def test_decode_deterministic_and_depends_on_latent(self, genart_registry: Any, genart_model: GenerativeModel) -> None:
        z = genart_model.sample_latents(self.batch, seed=2)
        first = self.decode(genart_model, z)
        assert torch.equal(first, self.decode(genart_model, z)), "decoding the same latents twice must agree"
        if self.entry(genart_registry).meta.get("ready", True):  # (an untrained architecture starts at random)
            assert torch.equal(first, self.decode(self.load(), z)), "a freshly loaded model must decode the same frames"
        assert not torch.equal(first[0], first[1]), "two different latents decoded to the same frame"

    def test_batch_independent(self, genart_model: GenerativeModel) -> None:
        z = genart_model.sample_latents(self.batch, seed=5)
        together = self.decode(genart_model, z)
        cond = self.condition(genart_model, self.batch)
        for i in (0, self.batch - 1):
            alone = genart_model.decode(z[i:i + 1], None if cond is None else cond[i:i + 1])
            assert torch.equal(alone[0], together[i]), \
                f"latent {i} decodes differently alone than in a batch (eval mode? fixed-size blocks?)"

    @pytest.mark.parametrize("device", _devices())
    def test_device_moves(self, genart_model: GenerativeModel, device: str) -> None:
        z = genart_model.sample_latents(3, seed=6)
        reference = self.decode(genart_model, z).cpu()
        assert self.load(device=device).device.type == device, f"ga.model(..., device={device!r}) must put it there"
        moved = genart_model.to(device)
        zz = moved.sample_latents(3, seed=6)
        assert zz.device.type == device and torch.equal(zz.cpu(), z.cpu()), "latents must not depend on the device"
        frames = self.decode(moved, zz)
        assert frames.device.type == device
        assert (frames.cpu() - reference).abs().max() <= self.atol, f"frames on {device} differ from the CPU's"
        back = moved.to("cpu")
        assert back.device.type == "cpu" and torch.equal(self.decode(back, z.cpu()), reference)

    def test_checkpoint_round_trip(self, genart_registry: Any, genart_model: GenerativeModel, genart_out: Any) -> None:
        meta = self.entry(genart_registry).meta
        wanted = self.checkpoint if self.checkpoint is not None else bool(meta.get("trainable") or meta.get("ready") is False)
        if not wanted:
            pytest.skip("a ready, untrainable model takes no checkpoint (set checkpoint = True to test one)")
        from genart_kit.checkpoint import save_checkpoint

        g = torch.Generator().manual_seed(0)
        with torch.no_grad():  # other weights than a fresh model's, so loading them is visible
            for p in genart_model.parameters():
                if p.is_floating_point():
                    p.add_(0.05 * torch.randn(p.shape, generator=g).to(p.device))
        z = genart_model.sample_latents(3, seed=7)
        expected = self.decode(genart_model, z)
        config = dict(genart_model.config)
        path = save_checkpoint(genart_out / "model.safetensors", genart_model.state_dict(),
                               {"architecture": config.pop("architecture", self.name), "model_config": config})
        loaded = self.load(checkpoint=str(path))
        assert torch.equal(self.decode(loaded, z), expected), "the reloaded checkpoint decodes other frames"
        assert not torch.equal(self.decode(self.load(), z), expected), "the checkpoint's weights were not used"

    def test_declared_options_accepted_at_their_defaults(self, genart_registry: Any) -> None:
        for opt in self.entry(genart_registry).meta.get("options") or ():
            model = self.load(**{opt.name: opt.default})
            assert isinstance(model, GenerativeModel), f"option {opt.name}={opt.default!r} broke the loader"

    def test_option_values_checked(self, genart_registry: Any) -> None:
        with pytest.raises(InvalidInputError):
            self.load(genart_kit_no_such_option=1)
        for opt in self.entry(genart_registry).meta.get("options") or ():
            if opt.type in (int, float) and opt.min is not None:
                with pytest.raises(InvalidInputError):
                    self.load(**{opt.name: opt.type(opt.min - 1)})

    def test_any_size(self, genart_registry: Any) -> None:
        meta = self.entry(genart_registry).meta
        size = {o.name: o for o in meta.get("options") or ()}.get("size")
        if None not in tuple(meta["image_shape"]) or size is None:
            pytest.skip("a fixed-size model (no free side in image_shape, or no 'size' option)")
        for side in sorted({int(size.min or 8), int(size.min or 8) + 5}):
            model = self.load(size=side)
            frames = self.decode(model, model.sample_latents(1, seed=0))
            assert frames.shape[-2:] == (side, side), f"size={side} gave frames {list(frames.shape)}"

    def test_bad_latents_raise(self, genart_model: GenerativeModel) -> None:
        d = genart_model.latent_dim
        cond = self.condition(genart_model, 2)
        for bad in (torch.zeros(2, d + 1), torch.full((2, d), float("nan")), torch.zeros(2, 1, d), torch.zeros(0, d)):
            with pytest.raises(InvalidInputError):
                genart_model.decode(bad, cond)
        if genart_model.conditional:
            with pytest.raises(InvalidInputError):
                genart_model.decode(torch.zeros(2, d))

    def test_pipes_into_a_clip_with_a_recipe(self, genart_model: GenerativeModel) -> None:
        z = genart_model.sample_latents(4, seed=8)
        cond = self.condition(genart_model, 4)
        clip = ga.latent.from_tensor(z.cpu(), condition=cond) | genart_model
        assert clip.shape == (4, *genart_model.image_shape)
        assert torch.equal(clip.tensor(batch_size=3).cpu(), self.decode(genart_model, z).cpu())
        assert clip.full_recipe()["model"] == self.name

