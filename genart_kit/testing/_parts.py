"""Contracts of the animation parts: renderers, latent ops, exporters, conditioners (see
:mod:`genart_kit.testing.contracts`; imports torch)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Callable, ClassVar, Iterator, Sequence

import pytest
import torch

import genart_kit as ga
from genart_kit.errors import GenartError, InvalidInputError
from genart_kit.generative import GenerativeModel
from genart_kit.render.base import Renderer

from ._base import Contract, frames_for

_UNKNOWN = "genart_kit_no_such_option"


class RendererContract(Contract):
    """The renderer contract: frames ``[T, C, H, W]`` float32 in [0, 1] in, the same kind of frames out.

    Class attributes:
        options: the factory's options (``ga.render.get(name, **options)``).
        frame_shape: ``(C, H, W)`` of the test frames (``(1, 16, 16)`` for a renderer of grey frames).
        frames: T, frames per test clip.
        atol: tolerance between a streamed clip (batches of 2) and one call on all frames.
    """

    kind: ClassVar[str] = "renderer"
    frame_shape: ClassVar[tuple[int, int, int]] = (3, 16, 16)
    frames: ClassVar[int] = 6
    atol: ClassVar[float] = 1e-6

    def make(self, **extra: Any) -> Renderer:
        """A fresh renderer: ``ga.render.get(name, **options, **extra)``."""
        return ga.render.get(self.name, **{**dict(self.options), **extra})

    def test_is_a_renderer_with_a_recipe_text(self, genart_registry: Any) -> None:
        r = self.make()
        assert isinstance(r, Renderer), f"the factory must return a genart_kit.render.Renderer, got {type(r).__name__}"
        text = r.describe()
        assert isinstance(text, str) and text.strip(), "describe() must return the recipe text, e.g. \"name(k=v)\""

    def test_frames_in_frames_out(self, genart_registry: Any) -> None:
        r, x = self.make(), frames_for(self.frame_shape, self.frames)
        out = r(x)
        shape = tuple(r.output_shape(tuple(self.frame_shape)))
        assert out.shape == (self.frames, *shape), f"got {list(out.shape)}; output_shape() says {shape}"
        assert out.dtype == torch.float32 and torch.isfinite(out).all() and out.device == x.device
        assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0, "frames out must be in [0, 1]"
        assert r(x.mul(255).round().to(torch.uint8)).shape == out.shape, "uint8 frames [T, C, H, W] are accepted too"

    def test_deterministic(self, genart_registry: Any) -> None:
        x = frames_for(self.frame_shape, self.frames)
        r = self.make()
        first = r(x)
        assert torch.equal(first, r(x)), "the same renderer must give the same frames twice"
        assert torch.equal(first, self.make()(x)), "a new renderer with the same options must give the same frames"

    def test_streamed_in_batches_equals_one_call(self, genart_registry: Any) -> None:
        x = frames_for(self.frame_shape, self.frames)
        clip = ga.pipeline.Clip.from_frames(x) | self.make()
        streamed = clip.tensor(batch_size=2)
        assert (streamed - self.make()(x)).abs().max() <= self.atol, \
            "batches of 2 give other frames than one call: carry state across batches in process()"

    def test_chains_with_pipe(self, genart_registry: Any) -> None:
        from genart_kit.render.color import invert

        x = frames_for(self.frame_shape, self.frames)
        chain = self.make() | invert()
        assert torch.equal(chain(x), invert()(self.make()(x))), "r | invert() must apply r, then invert"
        assert self.make().describe() in chain.describe()

    def test_bad_input_raises(self, genart_registry: Any) -> None:
        r = self.make()
        c, h, w = self.frame_shape
        for bad in (torch.full((2, c, h, w), float("nan")), torch.zeros(h, w), torch.zeros(2, 2, h, w), "frames"):
            with pytest.raises(InvalidInputError):
                r(bad)
        with pytest.raises(InvalidInputError):
            self.make(**{_UNKNOWN: 1})


class OpContract(Contract):
    """The latent-op contract: an op returns latents ``[T, D]`` (:class:`~genart_kit.latent.Latents` or a
    float tensor), the same ones for the same arguments and seed.

    Class attributes:
        options: keyword arguments after the model (``{"frames": 8, "seed": 0}``).
        bad_options: arguments that must raise InvalidInputError (default ``{"frames": 0}`` when the op
            takes ``frames``; ``{}`` for none).
    """

    kind: ClassVar[str] = "op"
    options: ClassVar[dict[str, Any]] = {"frames": 8, "seed": 0}
    bad_options: ClassVar[dict[str, Any] | None] = None

    def call(self, op: Callable[..., Any], model: GenerativeModel, **extra: Any) -> Any:
        """Call the op on *model*; override for an op with another signature (e.g. ``op(a, b, t)``)."""
        return op(model, **{**dict(self.options), **extra})

    def latents(self, result: Any) -> torch.Tensor:
        """The op's result as a float tensor ``[T, D]``."""
        return result.tensor() if hasattr(result, "tensor") else torch.as_tensor(result)

    def test_returns_latents(self, genart_registry: Any, tiny_model: GenerativeModel) -> None:
        op = genart_registry.load("op", self.name)
        assert callable(op), "an op's loader must be the op function itself"
        z = self.latents(self.call(op, tiny_model))
        assert z.ndim == 2 and z.shape[1] == tiny_model.latent_dim, \
            f"got {list(z.shape)}; expected [T, {tiny_model.latent_dim}] for a model with D={tiny_model.latent_dim}"
        assert z.dtype == torch.float32 and torch.isfinite(z).all()
        if "frames" in self.options:
            assert z.shape[0] == self.options["frames"], "T must be the frames= asked for"

    def test_deterministic_with_a_seed(self, genart_registry: Any, tiny_model: GenerativeModel) -> None:
        op = genart_registry.load("op", self.name)
        first = self.latents(self.call(op, tiny_model))
        assert torch.equal(first, self.latents(self.call(op, tiny_model))), "same arguments, other latents"
        if "seed" in self.options:
            other = self.latents(self.call(op, tiny_model, seed=int(self.options["seed"]) + 1))
            assert not torch.equal(first, other), "another seed gave the same latents"

    def test_pipes_into_a_model(self, genart_registry: Any, tiny_model: GenerativeModel) -> None:
        from genart_kit.latent import Latents

        result = self.call(genart_registry.load("op", self.name), tiny_model)
        if not isinstance(result, Latents):
            result = ga.latent.from_tensor(result)
        clip = result | tiny_model
        assert clip.tensor().shape == (len(result), *tiny_model.image_shape)

    def test_bad_input_raises(self, genart_registry: Any, tiny_model: GenerativeModel) -> None:
        bad = self.bad_options if self.bad_options is not None else ({"frames": 0} if "frames" in self.options else {})
        if not bad:
            pytest.skip("no bad_options given for this op")
        with pytest.raises(InvalidInputError):
            self.call(genart_registry.load("op", self.name), tiny_model, **bad)


class ExporterContract(Contract):
    """The exporter contract: ``write(path, batches, *, fps, total_frames=None, recipe=None, **options)`` writes
    uint8 batches ``[B, H, W, C]`` to *path* atomically and returns the path.

    Class attributes:
        options: write options (``{"quality": 80}``).
        suffix: output suffix (default: the first of the registered ``suffixes``).
        frame_shape, frames, fps: the test clip.
        recipe_embedded: ``genart_kit.export.read_recipe(path)`` reads the recipe back.
        same_bytes: the same frames and recipe give the same bytes.
    """

    kind: ClassVar[str] = "exporter"
    suffix: ClassVar[str | None] = None
    frame_shape: ClassVar[tuple[int, int, int]] = (3, 16, 16)
    frames: ClassVar[int] = 5
    fps: ClassVar[float] = 12.0
    recipe_embedded: ClassVar[bool] = False
    same_bytes: ClassVar[bool] = True

    def read_back(self, path: Path) -> int:
        """Number of frames in the written file (Pillow's ``n_frames``; PNG files for a folder). Override
        for a format Pillow cannot read."""
        if path.is_dir():
            return len(list(path.glob("*.png")))
        from PIL import Image

        with Image.open(path) as im:
            return int(getattr(im, "n_frames", 1))

    def target(self, registry: Any, folder: Path, stem: str = "clip") -> Path:
        """``folder / (stem + suffix)``."""
        suffix = self.suffix if self.suffix is not None else tuple(self.entry(registry).meta.get("suffixes") or ("",))[0]
        return folder / f"{stem}{suffix}"

    def batches(self, n: int | None = None) -> Iterator[Any]:
        """The test clip as uint8 batches ``[2, H, W, C]`` (the toolkit's own conversion)."""
        clip = ga.pipeline.Clip.from_frames(frames_for(self.frame_shape, n or self.frames, seed=1))
        return clip.iter_uint8(batch_size=2)

    def write(self, registry: Any, path: Path, batches: Any = None, **extra: Any) -> Path:
        """Write through the registered exporter object; returns the path it reports."""
        exporter = registry.load("exporter", self.name)
        recipe = {"test": "genart-kit exporter contract", "frames": self.frames}
        return Path(exporter.write(path, self.batches() if batches is None else batches, fps=self.fps,
                                   total_frames=self.frames, recipe=recipe, **{**dict(self.options), **extra}))

    def test_writes_a_readable_file(self, genart_registry: Any, genart_out: Path) -> None:
        path = self.target(genart_registry, genart_out)
        written = self.write(genart_registry, path)
        assert written == path and path.exists(), f"write() must create and return {path}"
        assert path.is_dir() or path.stat().st_size > 0
        assert self.read_back(path) == self.frames, "reading the file back gave another frame count"
        if self.recipe_embedded:
            from genart_kit.export.recipe import read_recipe

            assert read_recipe(path)["test"] == "genart-kit exporter contract"
        self.write(genart_registry, path)  # overwriting an existing output works
        assert self.read_back(path) == self.frames

    def test_chosen_by_suffix_from_a_clip(self, genart_registry: Any, genart_out: Path) -> None:
        path = self.target(genart_registry, genart_out, "saved")
        clip = ga.pipeline.Clip.from_frames(frames_for(self.frame_shape, self.frames))
        assert Path(clip.save(path, fps=self.fps, **dict(self.options))) == path and path.exists()

    def test_same_frames_same_bytes(self, genart_registry: Any, genart_out: Path) -> None:
        if not self.same_bytes:
            pytest.skip("same_bytes = False: this format stores something that changes per run")
        (genart_out / "a").mkdir()
        (genart_out / "b").mkdir()
        a = self.write(genart_registry, self.target(genart_registry, genart_out / "a"))
        b = self.write(genart_registry, self.target(genart_registry, genart_out / "b"))
        assert _content(a) == _content(b), "the same frames and recipe must give the same bytes"

    def test_no_partial_file_on_error(self, genart_registry: Any, genart_out: Path) -> None:
        path = self.target(genart_registry, genart_out)

        def failing() -> Iterator[Any]:
            it = self.batches()
            yield next(it)
            raise RuntimeError("source failed mid-clip")

        with pytest.raises((RuntimeError, GenartError)):
            self.write(genart_registry, path, failing())
        assert not os.listdir(genart_out), f"a failed write left {os.listdir(genart_out)} behind"
        import numpy as np

        for bad in ([np.zeros((2, 8, 8, 3), dtype=np.float64)], [np.zeros((8, 8), dtype=np.uint8)]):
            with pytest.raises(GenartError):
                self.write(genart_registry, path, bad)
            assert not os.listdir(genart_out), "bad frames left a file behind"


def _content(path: Path) -> list[tuple[str, bytes]]:
    files = sorted(p for p in path.rglob("*") if p.is_file()) if path.is_dir() else [path]
    return [(str(p.relative_to(path)) if path.is_dir() else "", p.read_bytes()) for p in files]


class ConditionerContract(Contract):
    """The conditioner contract: ``encode(texts: list[str]) -> Tensor [N, cond_dim]`` float32, finite,
    deterministic, one prompt alone as in a batch; odd prompts give a vector or InvalidInputError.

    Class attributes:
        options: the loader's options.
        prompts: ordinary prompts.
        odd_prompts: prompts that must not crash (empty, blank, emoji, very long, control characters).
        atol: tolerance between a prompt encoded alone and in a batch (padding).
    """

    kind: ClassVar[str] = "conditioner"
    prompts: ClassVar[Sequence[str]] = ("a red circle", "blue waves at night", "3")
    odd_prompts: ClassVar[Sequence[str]] = ("", "   ", "ÉMOJI 🎨 ✨ 漢字", "spiral " * 400, "line\nbreak\ttab\x00")
    atol: ClassVar[float] = 1e-4

    def make(self) -> Any:
        """The conditioner object: ``registry.load("conditioner", name, **options)``."""
        return ga.registry.load("conditioner", self.name, **dict(self.options))

    def test_encode_shape_dtype(self, genart_registry: Any) -> None:
        cond_dim = self.entry(genart_registry).meta.get("cond_dim")
        assert isinstance(cond_dim, int) and cond_dim > 0, "register the conditioner with meta cond_dim=<int>"
        out = self.make().encode(list(self.prompts))
        assert isinstance(out, torch.Tensor) and out.shape == (len(self.prompts), cond_dim), \
            f"encode gave {getattr(out, 'shape', type(out).__name__)}, expected [{len(self.prompts)}, {cond_dim}]"
        assert out.dtype == torch.float32 and torch.isfinite(out).all()
        assert not torch.equal(out[0], out[1]), "two different prompts gave the same vector"

    def test_deterministic_and_batch_independent(self, genart_registry: Any) -> None:
        c = self.make()
        first = c.encode(list(self.prompts))
        assert torch.equal(first, c.encode(list(self.prompts))), "the same prompts must give the same vectors"
        assert (first - self.make().encode(list(self.prompts))).abs().max() <= self.atol
        for i, prompt in enumerate(self.prompts):
            assert (c.encode([prompt])[0] - first[i]).abs().max() <= self.atol, f"prompt {prompt!r} alone differs"

    def test_odd_prompts_handled(self, genart_registry: Any) -> None:
        c = self.make()
        for prompt in self.odd_prompts:
            try:
                out = c.encode([prompt])
            except InvalidInputError:
                continue
            assert out.shape[0] == 1 and torch.isfinite(out).all(), f"prompt {prompt[:20]!r} gave {out}"

    def test_bad_input_raises(self, genart_registry: Any) -> None:
        c = self.make()
        for bad in ([3], [None], None):
            with pytest.raises(InvalidInputError):
                c.encode(bad)

    def test_condition_serves_its_embedding_space(self, genart_registry: Any) -> None:
        """``condition(texts, spec)`` for a model taking this conditioner's embeddings gives ``encode``'s rows."""
        from genart_kit.conditioning import ConditionSpec

        meta = self.entry(genart_registry).meta
        c = self.make()
        if not hasattr(c, "condition"):
            pytest.fail("a conditioner needs condition(texts, spec) (see docs/writing-plugins.md)", pytrace=False)
        spec = ConditionSpec("embedding", int(meta["cond_dim"]), space=meta.get("space"))
        out = c.condition(list(self.prompts), spec)
        assert isinstance(out, torch.Tensor) and out.shape == (len(self.prompts), spec.size)
        assert torch.allclose(out, c.encode(list(self.prompts)), atol=self.atol)
        with pytest.raises(InvalidInputError):
            c.condition(list(self.prompts), ConditionSpec("embedding", spec.size + 1, space="another-space"))
