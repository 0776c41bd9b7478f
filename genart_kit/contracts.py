"""The contracts between the core and the parts plugins contribute, written down as typed protocols.

Each protocol is :func:`typing.runtime_checkable`, so the core tells what an object is with ``isinstance``
(which checks that the members exist, not their signatures) instead of sniffing attributes one by one::

    from genart_kit.contracts import Exporter, LatentDecoder

    isinstance(ga.model("vae-mnist"), LatentDecoder)    # True: it has latent_dim and decode
    isinstance(ga.export.find_exporter("x.gif"), Exporter)  # True: it has write

Tensor conventions (see ``docs/writing-plugins.md``): latents ``[T, D]`` float32, frames ``[T, C, H, W]``
float32 in [0, 1] on the model's device, exported arrays ``[T, H, W, C]`` uint8.

The base classes most plugins subclass (:class:`genart_kit.generative.GenerativeModel`,
:class:`genart_kit.render.base.Renderer`) satisfy these protocols; nothing requires subclassing them.
This module imports no torch (the annotations are strings), so listings and ``--help`` stay fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Mapping, Protocol, Sequence, runtime_checkable

if TYPE_CHECKING:  # pragma: no cover
    from pathlib import Path

    import numpy as np
    import torch

    from .conditioning import ConditionSpec

__all__ = [
    "LatentDecoder",
    "Model",
    "Renderer",
    "Uint8Renderer",
    "Op",
    "Exporter",
    "TextEncoder",
    "Conditioner",
    "TrainingStep",
    "Trainable",
    "LatentPath",
    "FrameSource",
]


@runtime_checkable
class LatentPath(Protocol):
    """What a pipe decodes: a lazy path of T latents (:class:`genart_kit.latent.Latents` is one).

    Attributes:
        dim: D (an int); loop: whether the path is a seamless loop; condition: ``None``, a label, ``[T]``
            labels, ``[T, K]`` vectors or a lazy :class:`~genart_kit.conditioning.Conditioning`.

    ``chunk(start, stop)`` -> float32 ``[stop - start, D]``; ``condition_chunk(start, stop)`` -> the condition
    of those frames (or ``None``); ``len(path)`` -> T.
    """

    dim: int
    loop: bool
    condition: Any

    def __len__(self) -> int: ...

    def chunk(self, start: int, stop: int) -> "torch.Tensor":
        """Latents of frames ``[start, stop)``: float32 ``[stop - start, D]``."""
        ...

    def condition_chunk(self, start: int, stop: int) -> Any:
        """The condition of frames ``[start, stop)``, or ``None``."""
        ...


@runtime_checkable
class FrameSource(Protocol):
    """Something that streams frames (a :class:`genart_kit.pipeline.Clip`): not a renderer, even though a
    clip can be piped on; ``iter_frames(batch_size)`` yields float32 ``[B, C, H, W]`` in [0, 1]."""

    def iter_frames(self, batch_size: int = 64, **kwargs: Any) -> Iterable[Any]:
        """Yield the frames in batches."""
        ...


@runtime_checkable
class LatentDecoder(Protocol):
    """What a pipe needs of a model: ``latents | model`` decodes through it.

    Attributes:
        latent_dim: D, the length of one latent vector (an int).

    ``decode(z, condition=None)``: latents ``[N, D]`` float32 (and a condition when the model is
    conditional) -> frames ``[N, C, H, W]`` float32 in [0, 1]; raises
    :class:`~genart_kit.errors.InvalidInputError` for latents of the wrong shape or non-finite values.
    """

    latent_dim: int

    def decode(self, z: "torch.Tensor", condition: Any = None) -> "torch.Tensor":
        """Latents ``[N, D]`` -> frames ``[N, C, H, W]`` float32 in [0, 1]."""
        ...


@runtime_checkable
class Model(LatentDecoder, Protocol):
    """The full model contract (:class:`genart_kit.generative.GenerativeModel` implements it).

    Attributes:
        name: the registered name (recipes replay the model by it).
        latent_dim: D.
        image_shape: ``(C, H, W)`` of the frames it decodes, in pixels; C in 1, 3, 4.

    ``sample_latents(n, seed)`` -> float32 ``[n, D]`` from N(0, I), seeded, prefix-stable (the first k rows do
    not depend on n); ``decode`` as in :class:`LatentDecoder`.
    """

    name: str
    image_shape: tuple[int, int, int]

    def sample_latents(self, n: int, seed: int | None = None, **kwargs: Any) -> "torch.Tensor":
        """*n* seeded latents ``[n, D]`` float32 on the model's device."""
        ...


@runtime_checkable
class Renderer(Protocol):
    """A frame renderer: frames ``[T, C, H, W]`` float32 in [0, 1] -> frames (``describe()``: its recipe text,
    a call such as ``"posterize(4)"``). :class:`genart_kit.render.base.Renderer` implements it, with the
    streaming state, ``|`` and ``output_shape`` the pipeline uses."""

    def render(self, frames: "torch.Tensor") -> "torch.Tensor":
        """Frames ``[B, C, H, W]`` float32 in [0, 1] -> frames ``[B, C', H', W']`` float32 in [0, 1]."""
        ...

    def describe(self) -> str:
        """The renderer with the options that change its output, as a call: ``"gamma(1.5)"``."""
        ...


@runtime_checkable
class Uint8Renderer(Protocol):
    """A renderer that can also write uint8 frames directly (a colour map: a table lookup), which the
    pipeline uses as a fast path when it is the last renderer before an exporter."""

    warmup: int

    def render_uint8(self, frames: "torch.Tensor") -> "np.ndarray | None":
        """Frames ``[B, C, H, W]`` float32 in [0, 1] -> uint8 ``[B, H, W, C']``, or ``None`` to decline."""
        ...


@runtime_checkable
class Op(Protocol):
    """A latent op: ``op(source, frames=..., *, seed=..., **options)`` -> latents ``[T, D]`` (a
    :class:`genart_kit.latent.Latents` or a float tensor). *source* is a model (or an int D); every random
    choice takes ``seed``. Any callable satisfies the runtime check."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Latents ``[T, D]`` float32."""
        ...


@runtime_checkable
class Exporter(Protocol):
    """An exporter (writer): ``write(path, batches, *, fps, total_frames=None, recipe=None, **options) -> Path``.

    *batches* yields uint8 ``[B, H, W, C]`` arrays; *fps* is frames per second; the file is written atomically
    (no partial file on error); raises :class:`~genart_kit.errors.ExportError` for a path it cannot write.
    """

    def write(self, path: Any, batches: Iterable[Any], *, fps: float, total_frames: int | None = None,
              recipe: Mapping[str, Any] | None = None, **options: Any) -> "Path":
        """Write *batches* to *path*; return the path written."""
        ...


@runtime_checkable
class TextEncoder(Protocol):
    """What turns prompts into vectors: ``encode(texts) -> Tensor [N, dim]`` float32 (N = len(texts))."""

    def encode(self, texts: Sequence[str]) -> "torch.Tensor":
        """Prompts (a list of N strings) -> embeddings ``[N, dim]`` float32."""
        ...


@runtime_checkable
class Conditioner(TextEncoder, Protocol):
    """A conditioner (what ``register_conditioners`` loaders return): :meth:`encode` as a
    :class:`TextEncoder`, and ``condition(texts, spec) -> Tensor [N, spec.size]`` float32 for a model's
    :class:`~genart_kit.conditioning.ConditionSpec` (soft class vectors over its classes, or embeddings in
    its space); raises :class:`~genart_kit.errors.InvalidInputError` for a spec it cannot serve."""

    def condition(self, texts: Sequence[str], spec: "ConditionSpec") -> "torch.Tensor":
        """Prompts (N strings) -> conditions ``[N, spec.size]`` float32 for a model with *spec*."""
        ...


@runtime_checkable
class TrainingStep(Protocol):
    """One training iteration of a trainable model, what ``model.training_step(lr=...)`` returns to the
    loop behind ``genart train``.

    Attributes:
        modules: name -> ``torch.nn.Module`` trained (saved in checkpoints, wrapped for DDP).
        optimizers: name -> ``torch.optim.Optimizer`` (their state is saved for ``--resume``).

    ``wrap(fn)``: replace each module used in the forward passes by ``fn(module)`` (DistributedDataParallel);
    ``step(images [B, C, H, W] float32 in [0, 1], labels [B] int64) -> {loss name: float}``.
    """

    modules: Mapping[str, Any]
    optimizers: Mapping[str, Any]

    def wrap(self, fn: Callable[[Any], Any]) -> None:
        """Wrap the modules of the forward passes with ``fn(module) -> module``."""
        ...

    def __call__(self, images: "torch.Tensor", labels: "torch.Tensor") -> dict[str, float]:
        """One optimisation step on a batch; the losses by name (floats)."""
        ...


@runtime_checkable
class Trainable(Protocol):
    """A model ``genart train`` can train: ``training_step(lr=None) -> TrainingStep``."""

    def training_step(self, lr: float | None = None, **options: Any) -> TrainingStep:
        """The step object for training this model with learning rate *lr* (``None``: its own default)."""
        ...
