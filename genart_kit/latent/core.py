"""The :class:`Latents` object every latent op returns, and small helpers shared by the ops.

A :class:`Latents` is a *lazy* sequence of ``T`` latents ``[T, D]`` (float32): it holds a function that
computes any chunk ``[start, stop)`` on demand, so a 10,000-frame path is never materialised by the
pipeline (which decodes chunk by chunk). It may carry a per-frame condition for conditional models:
``[T]`` int64 class labels or ``[T, cond_dim]`` float32 vectors.

Pipe it into a model (``latents | model``) to get a :class:`~genart_kit.pipeline.Clip`.
"""

from __future__ import annotations

from numbers import Real
from typing import Any, Callable, Sequence

import torch

from ..conditioning import Conditioning, concat_conditions
from ..contracts import LatentDecoder
from ..errors import InvalidInputError
from ..pipeline import Clip
from ..render.base import is_renderer

ChunkFn = Callable[[int, int], torch.Tensor]

# the shared input checks live in genart_kit.checks (torch-free, used by every layer); re-exported here
# because the ops and plugins have always imported them from this module
from ..checks import MAX_FRAMES, check_float, check_frames, check_seed  # noqa: E402,F401


def as_vectors(value: Any, name: str, *, dim: int | None = None) -> torch.Tensor:
    """Convert *value* (tensor, array, nested sequence, :class:`Latents`) to a finite float32 ``[N, D]`` CPU tensor.

    A single vector ``[D]`` becomes ``[1, D]``.

    Raises:
        InvalidInputError: not convertible, wrong rank, wrong D, empty, or NaN/inf values.
    """
    if isinstance(value, Latents):
        t = value.tensor()
    elif isinstance(value, torch.Tensor):
        t = value.detach()
    else:
        try:
            if isinstance(value, (list, tuple)) and value and all(isinstance(v, torch.Tensor) for v in value):
                t = torch.stack([v.detach().reshape(-1).cpu().to(torch.float64) for v in value])
            else:
                t = torch.as_tensor(value, dtype=torch.float64)
        except Exception as exc:  # reported as the toolkit's error
            raise InvalidInputError(f"{name} must be a tensor of latents [N, D], got {type(value).__name__}.") from exc
    if t.ndim == 1:
        t = t.unsqueeze(0)
    if t.ndim != 2:
        raise InvalidInputError(f"{name} must have shape [N, D] or [D], got {list(t.shape)}.")
    if t.shape[0] == 0 or t.shape[1] == 0:
        raise InvalidInputError(f"{name} is empty (shape {list(t.shape)}).")
    if dim is not None and t.shape[1] != dim:
        raise InvalidInputError(f"{name} has latent dimension {t.shape[1]}, expected {dim}.")
    if t.is_complex() or t.dtype == torch.bool:
        raise InvalidInputError(f"{name} must be real numbers, got dtype {t.dtype}.")
    t = t.to(device="cpu")
    if not t.is_floating_point():
        t = t.to(torch.float64)
    if not torch.isfinite(t).all():
        raise InvalidInputError(f"{name} contains NaN or infinite values.")
    big = t.abs().max()
    if big > torch.finfo(torch.float32).max:
        raise InvalidInputError(f"{name} has values too large for float32 (max |z| = {float(big):.3g}).")
    return t.to(torch.float32).contiguous()


def source_info(source: Any) -> tuple[int, Any]:
    """``(latent_dim, model_or_None)`` from a model, an int dimension or a :class:`Latents`.

    Raises:
        InvalidInputError: *source* is none of those.
    """
    if isinstance(source, bool):
        raise InvalidInputError(f"expected a model or a latent dimension, got {source!r}.")
    if isinstance(source, int):
        if source < 1:
            raise InvalidInputError(f"latent dimension must be >= 1, got {source}.")
        return source, None
    if isinstance(source, Latents):
        return source.dim, None
    dim = getattr(source, "latent_dim", None)
    if isinstance(dim, int) and dim >= 1 and hasattr(source, "decode"):
        return dim, source
    raise InvalidInputError(
        f"expected a model (e.g. ga.model('vae-mnist')) or a latent dimension (int), got {type(source).__name__}."
    )


def keyframes(source: Any, n: int, *, seed: int = 0, truncation: float | None = None) -> torch.Tensor:
    """Draw *n* random keyframes from the prior N(0, I), seeded.

    Args:
        source: a model (uses ``model.sample_latents`` so the model's own prior is honoured) or an int D.
        n: number of keyframes, ``>= 1``.
        seed: RNG seed; same seed, same keyframes on any device.
        truncation: optional psi in (0, 1] scaling towards the mean.

    Returns:
        float32 CPU tensor ``[n, D]``.

    Raises:
        InvalidInputError: bad *n*, *seed* or *truncation*.
    """
    n = check_frames(n, name="number of keyframes")
    check_seed(seed)
    if truncation is not None:
        truncation = check_float(truncation, "truncation", low=0.0, high=1.0, low_open=True)
    dim, model = source_info(source)
    if model is not None and hasattr(model, "sample_latents"):
        z = model.sample_latents(n, seed=seed, truncation=truncation)
        return as_vectors(z, "keyframes", dim=dim)
    from ..generative import seeded_generator

    z = torch.randn(n, dim, generator=seeded_generator(seed), dtype=torch.float32)
    if truncation is not None:
        z = z * truncation
    return z


def _check_condition(condition: Any, length: int) -> Any:
    """Normalise a per-frame condition: ``None``, an int label, ``[T]`` int64 labels or ``[T, C]`` float32."""
    if condition is None:
        return None
    if isinstance(condition, Conditioning):  # a prompt: resolved by the model that decodes the path
        if condition.length not in (None, length):
            raise InvalidInputError(f"got {condition.length} prompts for {length} frames; pass one prompt or one per frame.")
        return condition
    if isinstance(condition, bool):
        raise InvalidInputError(f"condition must be a class label or vectors, got {condition!r}.")
    if isinstance(condition, int):
        if condition < 0:
            raise InvalidInputError(f"class label must be >= 0, got {condition}.")
        return int(condition)
    if not isinstance(condition, torch.Tensor):
        try:
            condition = torch.as_tensor(condition)
        except Exception as exc:
            raise InvalidInputError(f"condition must be a label, a [T] label sequence or [T, C] vectors, got {type(condition).__name__}.") from exc
    condition = condition.detach().cpu()
    if condition.ndim == 0:
        return _check_condition(int(condition), length) if not condition.is_floating_point() else _bad_condition(condition)
    if condition.ndim == 1 and not condition.is_floating_point():
        if condition.shape[0] not in (1, length):
            raise InvalidInputError(f"got {condition.shape[0]} labels for {length} frames; pass one label or one per frame.")
        if condition.numel() and int(condition.min()) < 0:
            raise InvalidInputError("class labels must be >= 0.")
        return condition.to(torch.int64).expand(length).contiguous()
    if condition.ndim == 1:
        condition = condition.unsqueeze(0)
    if condition.ndim != 2:
        raise InvalidInputError(f"condition vectors must have shape [T, C], got {list(condition.shape)}.")
    if condition.shape[0] not in (1, length):
        raise InvalidInputError(f"got {condition.shape[0]} condition vectors for {length} frames.")
    condition = condition.to(torch.float32)
    if not torch.isfinite(condition).all():
        raise InvalidInputError("condition vectors contain NaN or infinite values.")
    return condition.expand(length, -1).contiguous()


def _take(cond: Any, indices: list[int]) -> Any:
    """Frames *indices* of a per-frame condition (tensor or :class:`Conditioning`); ``None`` stays ``None``."""
    if cond is None:
        return None
    if isinstance(cond, Conditioning):
        return cond.take(indices)
    return cond[indices]


def _bad_condition(condition: torch.Tensor) -> Any:
    raise InvalidInputError(f"a scalar condition must be an int class label, got {float(condition)}.")


# -------------------------------------------------------------------------------------------- Latents
class Latents:
    """A lazy path of ``T`` latents ``[T, D]`` (float32, CPU), optionally with a per-frame condition.

    Build one with an op (``ga.latent.interpolate(...)``, ``noise_loop``, ...) or from a tensor with
    :func:`from_tensor`. Use ``len(lat)`` for T, ``lat.dim`` for D, ``lat.tensor()`` to materialise,
    ``lat[a:b]`` to slice, arithmetic (``lat + v``, ``lat - v``, ``lat * 0.7``, ``lat + other_latents``) to
    shift paths, and ``lat | model`` to decode lazily into a :class:`~genart_kit.pipeline.Clip`.

    Args:
        fn: ``fn(start, stop) -> [stop - start, D]`` float tensor for ``0 <= start < stop <= length``.
        length: T, the number of frames (>= 1).
        dim: D, the latent dimension (>= 1).
        condition: ``None``; an int label for every frame; ``[T]`` int labels; ``[T, C]`` float vectors.
        loop: whether the last frame leads seamlessly into the first (renderers with memory, such as
            trails, use this to warm up from the end of the clip).
        description: human-readable recipe of the op (``"noise_loop(frames=96, seed=3)"``).

    Raises:
        InvalidInputError: bad length, dim or condition; NaN/inf latents when a chunk is computed.
    """

    def __init__(
        self,
        fn: ChunkFn,
        length: int,
        dim: int,
        *,
        condition: Any = None,
        loop: bool = False,
        description: str = "latents",
    ) -> None:
        self._fn = fn
        self._length = check_frames(length)
        if isinstance(dim, bool) or not isinstance(dim, int) or dim < 1:
            raise InvalidInputError(f"latent dimension must be a positive int, got {dim!r}.")
        self._dim = dim
        self._condition = _check_condition(condition, self._length)
        self.loop = bool(loop)
        self.description = description

    # ------------------------------------------------------------------------------------------ basics
    def __len__(self) -> int:
        return self._length

    @property
    def dim(self) -> int:
        """D, the latent dimension."""
        return self._dim

    @property
    def shape(self) -> tuple[int, int]:
        """``(T, D)``."""
        return (self._length, self._dim)

    @property
    def condition(self) -> torch.Tensor | None:
        """The per-frame condition: ``None``, ``[T]`` int64 labels or ``[T, C]`` float32 vectors."""
        c = self._condition
        if isinstance(c, int):
            return torch.full((self._length,), c, dtype=torch.int64)
        return c

    def condition_chunk(self, start: int, stop: int) -> torch.Tensor | None:
        """The condition for frames ``[start, stop)`` (``None`` for unconditional paths)."""
        c = self._condition
        if c is None:
            return None
        if isinstance(c, int):
            return torch.full((stop - start,), c, dtype=torch.int64)
        if isinstance(c, Conditioning):
            return c.take(range(start, stop))
        return c[start:stop]

    def chunk(self, start: int, stop: int) -> torch.Tensor:
        """Latents of frames ``[start, stop)``: float32 CPU tensor ``[stop - start, D]``.

        Raises:
            InvalidInputError: the range is outside ``[0, T]`` or the op produced NaN/inf values.
        """
        if not (0 <= start < stop <= self._length):
            raise InvalidInputError(f"frame range [{start}, {stop}) is outside this path of {self._length} frames.")
        z = self._fn(start, stop)
        if not isinstance(z, torch.Tensor) or tuple(z.shape) != (stop - start, self._dim):
            got = list(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
            raise InvalidInputError(f"{self.description}: produced {got} for frames [{start}, {stop}), expected [{stop - start}, {self._dim}].")
        z = z.to(device="cpu", dtype=torch.float32)
        if not torch.isfinite(z).all():
            raise InvalidInputError(f"{self.description}: latents contain NaN or infinite values (frames {start}..{stop - 1}).")
        return z

    def tensor(self) -> torch.Tensor:
        """Materialise all latents: float32 CPU tensor ``[T, D]``."""
        return self.chunk(0, self._length)

    def numpy(self) -> Any:
        """All latents as a float32 numpy array ``[T, D]``."""
        return self.tensor().numpy()

    def __iter__(self):
        z = self.tensor()
        return iter(z)

    def __getitem__(self, index: Any) -> Any:
        """``lat[i]`` -> tensor ``[D]``; ``lat[a:b:s]`` -> a new :class:`Latents` (not looping)."""
        if isinstance(index, slice):
            idx = range(self._length)[index]
            if len(idx) == 0:
                raise InvalidInputError(f"slice {index} of a {self._length}-frame path is empty.")
            if idx.step == 1:
                lo = idx.start
                fn: ChunkFn = lambda a, b: self.chunk(lo + a, lo + b)  # noqa: E731
            else:
                fn = lambda a, b: torch.cat([self.chunk(i, i + 1) for i in idx[a:b]])  # noqa: E731
            cond = self.condition
            return Latents(fn, len(idx), self._dim, condition=_take(cond, list(idx)),
                           description=f"{self.description}[{index.start}:{index.stop}:{index.step}]")
        if isinstance(index, bool) or not isinstance(index, int):
            raise InvalidInputError(f"index latents with an int or a slice, got {index!r}.")
        i = range(self._length)[index]
        return self.chunk(i, i + 1)[0]

    # ------------------------------------------------------------------------------------- transforms
    def map(self, fn: Callable[[torch.Tensor], torch.Tensor], *, description: str | None = None) -> "Latents":
        """A new path whose chunks are ``fn(chunk)`` (``[n, D]`` -> ``[n, D]``), computed lazily."""
        return Latents(lambda a, b: fn(self.chunk(a, b)), self._length, self._dim, condition=self._condition,
                       loop=self.loop, description=description or f"{self.description}.map()")

    def with_condition(self, condition: Any) -> "Latents":
        """The same path with a condition: an int label, ``[T]`` labels or ``[T, C]`` vectors (length 1 broadcasts)."""
        return Latents(self._fn, self._length, self._dim, condition=condition, loop=self.loop, description=self.description)

    def truncate(self, psi: float = 0.7, mean: Any = None) -> "Latents":
        """Scale towards *mean* (default 0, the prior mean) by *psi*; see :func:`truncate`."""
        return truncate(self, psi, mean=mean)

    def reverse(self) -> "Latents":
        """The path played backwards."""
        n = self._length
        cond = self.condition
        return Latents(lambda a, b: self.chunk(n - b, n - a).flip(0), n, self._dim,
                       condition=_take(cond, list(range(n - 1, -1, -1))), loop=self.loop,
                       description=f"{self.description}.reverse()")

    def pingpong(self) -> "Latents":
        """Forward then backward (without repeating the end frames): a seamless loop of ``2T - 2`` frames."""
        if self._length < 3:
            return Latents(self._fn, self._length, self._dim, condition=self._condition, loop=True, description=self.description)
        back = self[-2:0:-1]
        out = concat(self, back)
        out.loop = True
        out.description = f"{self.description}.pingpong()"
        return out

    def to_model(self, model: Any) -> Any:
        """Decode lazily through *model*: same as ``self | model``."""
        return Clip.from_latents(self, model)

    # ------------------------------------------------------------------------------------- arithmetic
    def _operand(self, other: Any, op: str) -> Callable[[int, int], torch.Tensor] | float:
        if isinstance(other, Latents):
            if len(other) != self._length or other.dim != self._dim:
                raise InvalidInputError(f"cannot {op} paths of shapes {list(self.shape)} and {list(other.shape)}.")
            return other.chunk
        if isinstance(other, Real) and not isinstance(other, bool):
            return check_float(other, "scalar")
        if isinstance(other, (torch.Tensor, list, tuple)) or hasattr(other, "__array__"):
            t = torch.as_tensor(other).detach().cpu()
            if t.ndim == 0:
                return check_float(float(t), "scalar")
            v = as_vectors(t, f"operand of {op}", dim=self._dim) if t.shape[-1] == self._dim else None
            if v is None:
                raise InvalidInputError(f"cannot {op} a tensor of shape {list(t.shape)} and latents {list(self.shape)}; "
                                        f"use a vector [{self._dim}] or a path [{self._length}, {self._dim}].")
            if v.shape[0] == 1:
                return lambda a, b: v.expand(b - a, -1)
            if v.shape[0] == self._length:
                return lambda a, b: v[a:b]
            raise InvalidInputError(f"cannot {op} {v.shape[0]} vectors and a path of {self._length} frames.")
        return NotImplemented  # type: ignore[return-value]

    def _binary(self, other: Any, op: str, fn: Callable[[torch.Tensor, Any], torch.Tensor], sym: str) -> Any:
        rhs = self._operand(other, op)
        if rhs is NotImplemented:
            return NotImplemented
        if callable(rhs):
            f: ChunkFn = lambda a, b: fn(self.chunk(a, b), rhs(a, b))  # noqa: E731
        else:
            f = lambda a, b: fn(self.chunk(a, b), rhs)  # noqa: E731
        return Latents(f, self._length, self._dim, condition=self._condition, loop=self.loop,
                       description=f"({self.description} {sym} …)")

    def __add__(self, other: Any) -> Any:
        return self._binary(other, "add", lambda x, y: x + y, "+")

    __radd__ = __add__

    def __sub__(self, other: Any) -> Any:
        return self._binary(other, "subtract", lambda x, y: x - y, "-")

    def __rsub__(self, other: Any) -> Any:
        return self._binary(other, "subtract", lambda x, y: y - x, "-")

    def __mul__(self, other: Any) -> Any:
        return self._binary(other, "multiply", lambda x, y: x * y, "*")

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> Any:
        if isinstance(other, Real) and not isinstance(other, bool) and float(other) == 0.0:
            raise InvalidInputError("cannot divide latents by zero.")
        return self._binary(other, "divide", lambda x, y: x / y, "/")

    def __neg__(self) -> "Latents":
        return self * -1.0

    # ------------------------------------------------------------------------------------------- pipe
    def __or__(self, other: Any) -> Any:
        """``latents | model`` (or ``| model.decode`` or any ``f(z [N, D]) -> frames``) -> lazy Clip."""
        if is_renderer(other):
            raise InvalidInputError("decode latents with a model before rendering: latents | model | renderer.")
        if hasattr(other, "decode") or callable(other):
            return Clip.from_latents(self, other)
        return NotImplemented

    def __repr__(self) -> str:
        cond = ""
        c = self._condition
        if isinstance(c, int):
            cond = f", label={c}"
        elif isinstance(c, Conditioning):
            cond = f", {type(c).__name__.lower()}"
        elif c is not None:
            cond = ", labels" if c.ndim == 1 else f", cond_dim={c.shape[1]}"
        return f"<Latents {self.description} T={self._length} D={self._dim}{cond}{', loop' if self.loop else ''}>"


# ------------------------------------------------------------------------------------------ builders
def truncate(latents: Any, psi: float = 0.7, *, mean: Any = None) -> Any:
    """The truncation trick: scale latents towards the mean, ``mean + psi (z - mean)``.

    Smaller *psi* trades variety for typical, cleaner images (Brock et al., "Large Scale GAN Training for
    High Fidelity Natural Image Synthesis", BigGAN, 2019; Karras et al., StyleGAN, 2019).

    Args:
        latents: :class:`Latents` (returns Latents, lazily) or a tensor ``[N, D]`` / ``[D]`` (returns a tensor).
        psi: scale in [0, 1] (0 collapses onto the mean; values up to 2 extrapolate away from it).
        mean: the centre ``[D]``; default 0, the prior mean.

    Raises:
        InvalidInputError: psi outside [0, 2] or NaN; bad mean; NaN latents.
    """
    psi = check_float(psi, "psi", low=0.0, high=2.0)
    if isinstance(latents, Latents):
        m = None if mean is None else as_vectors(mean, "mean", dim=latents.dim)[0]
        out = latents.map(lambda z: z * psi if m is None else m + psi * (z - m))
        out.description = f"truncate({latents.description}, psi={psi:g})"
        return out
    single = isinstance(latents, torch.Tensor) and latents.ndim == 1
    z = as_vectors(latents, "latents")
    m = torch.zeros(z.shape[1]) if mean is None else as_vectors(mean, "mean", dim=z.shape[1])[0]
    out_t = m + psi * (z - m)
    if isinstance(latents, torch.Tensor):
        out_t = out_t.to(latents.device)
    return out_t[0] if single else out_t


def from_tensor(z: Any, *, condition: Any = None, loop: bool = False, description: str = "from_tensor") -> Latents:
    """Wrap latents ``[T, D]`` (a tensor, array or nested list; ``[D]`` means one frame) as :class:`Latents`.

    Use it to start a pipe from a plain tensor: ``ga.latent.from_tensor(z) | vae``.

    Args:
        z: latents ``[T, D]``; copied to a float32 CPU tensor.
        condition: optional int label, ``[T]`` labels or ``[T, C]`` vectors.
        loop: whether the path loops seamlessly.
        description: shown in reprs and recipes.

    Raises:
        InvalidInputError: wrong shape, empty, or NaN/inf values.
    """
    t = as_vectors(z, "latents")
    return Latents(lambda a, b: t[a:b], t.shape[0], t.shape[1], condition=condition, loop=loop, description=description)


def concat(*paths: Latents) -> Latents:
    """Play paths one after another. All must share D and either all or none carry a condition.

    Raises:
        InvalidInputError: no paths, mixed D, or mixed conditions.
    """
    if len(paths) == 1 and isinstance(paths[0], (list, tuple)):
        paths = tuple(paths[0])
    if not paths:
        raise InvalidInputError("concat needs at least one path.")
    for p in paths:
        if not isinstance(p, Latents):
            raise InvalidInputError(f"concat takes Latents, got {type(p).__name__}; wrap tensors with ga.latent.from_tensor.")
    dims = {p.dim for p in paths}
    if len(dims) != 1:
        raise InvalidInputError(f"cannot concatenate paths of different latent dimensions {sorted(dims)}.")
    conds = [p.condition for p in paths]
    if any(c is None for c in conds) and not all(c is None for c in conds):
        raise InvalidInputError("cannot concatenate conditional and unconditional paths; give every path a condition.")
    if conds[0] is None:
        cond = None
    elif any(isinstance(c, Conditioning) for c in conds):
        cond = concat_conditions(conds, [len(p) for p in paths])
    else:
        cond = torch.cat(conds)  # type: ignore[arg-type]
    offsets = [0]
    for p in paths:
        offsets.append(offsets[-1] + len(p))

    def fn(a: int, b: int) -> torch.Tensor:
        parts = []
        for p, lo, hi in zip(paths, offsets[:-1], offsets[1:]):
            s, e = max(a, lo), min(b, hi)
            if s < e:
                parts.append(p.chunk(s - lo, e - lo))
        return torch.cat(parts)

    return Latents(fn, offsets[-1], dims.pop(), condition=cond, description="concat(" + ", ".join(p.description for p in paths) + ")")


def describe_args(name: str, **kwargs: Any) -> str:
    """``"name(k=v, ...)"`` with short reprs (tensors as shapes), for :attr:`Latents.description`."""
    parts = []
    for k, v in kwargs.items():
        if isinstance(v, torch.Tensor):
            v = f"tensor{list(v.shape)}"
        elif isinstance(v, Latents):
            v = f"<{v.description}>"
        elif isinstance(v, LatentDecoder):
            v = getattr(v, "name", type(v).__name__)
        else:
            v = repr(v)
        parts.append(f"{k}={v}")
    return f"{name}({', '.join(parts)})"


def seq(values: Sequence[Any]) -> list[Any]:
    """``list(values)``, raising a clear error for non-sequences."""
    try:
        return list(values)
    except TypeError as exc:
        raise InvalidInputError(f"expected a sequence, got {type(values).__name__}.") from exc
