"""The animation pipeline: ``latents | model | renderers`` -> a lazy, streamed :class:`Clip`.

Nothing is computed when a pipe is built. A clip is evaluated only when iterated (:meth:`Clip.iter_frames`,
:meth:`Clip.iter_uint8`), saved (:meth:`Clip.save`) or materialised (:meth:`Clip.frames`), and then in
batches: latents for frames ``[s, s + B)`` are computed, decoded, run through every renderer and handed on
before the next batch starts, so a 10,000-frame animation exports with the memory of one batch
(``benchmarks/pipeline_memory.py`` measures it). Renderers with memory (trails) keep their state across
batches and are warmed up on the frames before the first one (wrapping around for looping clips).

Frames are float32 ``[B, C, H, W]`` in [0, 1] on the model's device until :meth:`Clip.iter_uint8` converts
them to numpy uint8 ``[B, H, W, C]`` for exporters.

Example::

    import genart_kit as ga
    vae = ga.model("vae-mnist")
    clip = ga.latent.noise_loop(vae, frames=96, seed=3) | vae | ga.render.colormap("magma") | ga.render.upscale(256)
    clip.save("loop.gif", fps=24)            # exporter picked from the suffix
    arr = clip.frames()                      # numpy uint8 [96, 256, 256, 3]
"""

from __future__ import annotations

import base64
import io
import logging
import math
import os
import platform
import re
import threading
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

import torch

from .contracts import Exporter, LatentDecoder, LatentPath, Uint8Renderer
from .checks import check_float
from .errors import Cancelled, ExportError, GenartError, InvalidInputError
from .render.base import Chain, Renderer, as_renderer, check_frames_tensor, is_renderer

log = logging.getLogger(__name__)

Progress = Callable[[int, int], Any]
Shape = tuple[int, int, int]

__all__ = ["Clip", "tile", "is_renderer", "Sink", "to", "versions", "DEFAULT_BATCH"]

DEFAULT_BATCH = 64
#: Memory budget of one batch of float32 frames at the widest stage of a pipe (bytes).
BATCH_BYTES = 256 * 2**20


def versions() -> dict[str, str]:
    """Versions that determine an export's bytes: genart-kit, torch, numpy, Pillow, Python."""
    from . import __version__

    out = {"genart_kit": __version__, "torch": torch.__version__.split("+")[0], "python": platform.python_version()}
    try:
        import numpy

        out["numpy"] = numpy.__version__
    except ImportError:  # pragma: no cover
        pass
    try:
        import PIL

        out["pillow"] = PIL.__version__
    except ImportError:  # pragma: no cover
        pass
    return out


def _is_cancelled(cancel: Any) -> bool:
    if cancel is None:
        return False
    if hasattr(cancel, "is_set"):
        return bool(cancel.is_set())
    if callable(cancel):
        return bool(cancel())
    return bool(cancel)


def _check_batch_size(batch_size: Any) -> int:
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise InvalidInputError(f"batch_size must be a positive int, got {batch_size!r}.")
    return batch_size


# ------------------------------------------------------------------------------------------ sources
class _Source:
    """Produces frames ``[B, C, H, W]`` (float32, [0, 1]) for ranges of a clip's timeline."""

    length: int
    shape: Shape
    loop: bool = False

    def batches(self, start: int, stop: int, batch_size: int, cancel: Any) -> Iterator[torch.Tensor]:
        raise NotImplementedError

    def describe(self) -> str:
        return "frames"

    def models(self) -> list[str]:
        return []


class _LatentSource(_Source):
    def __init__(self, latents: LatentPath, decoder: Any) -> None:
        self.latents = latents
        self.length = len(latents)
        self.loop = latents.loop
        model = decoder
        if not hasattr(decoder, "decode") and hasattr(getattr(decoder, "__self__", None), "decode") and getattr(decoder, "__name__", "") == "decode":
            model = decoder.__self__  # `latents | vae.decode`
        self.model = model
        self._user = not isinstance(model, LatentDecoder)
        if hasattr(model, "decode"):
            dim = getattr(model, "latent_dim", None)
            name = getattr(model, "name", type(model).__name__)
            if isinstance(dim, int) and dim != latents.dim:
                raise InvalidInputError(
                    f"these latents have D={latents.dim} but model '{name}' expects D={dim}; "
                    f"build the path from the model, e.g. ga.latent.interpolate(model, ...)."
                )
            conditional = bool(getattr(model, "num_classes", None) or getattr(model, "cond_dim", None))
            if conditional and latents.condition is None:
                raise InvalidInputError(
                    f"model '{name}' is conditional: give the latents a condition, e.g. "
                    "ga.latent.class_sweep(model, frames) or latents.with_condition(3)."
                )
            if not conditional and latents.condition is not None:
                raise InvalidInputError(f"model '{name}' is not conditional; drop the latents' condition (latents.with_condition(None)).")
            self._decode = model.decode
            shape = getattr(model, "image_shape", None)
            self.shape = tuple(int(v) for v in shape) if shape else self._probe()  # type: ignore[assignment]
            self.name = name
        elif callable(decoder):
            self._decode = decoder
            self.name = getattr(decoder, "__name__", "decoder")
            self.shape = self._probe()
        else:
            raise InvalidInputError(f"cannot decode latents with {type(decoder).__name__}; pipe them into a model.")

    def _probe(self) -> Shape:
        return tuple(self._frames(0, 1).shape[1:])  # type: ignore[return-value]

    def _frames(self, start: int, stop: int) -> torch.Tensor:
        z = self.latents.chunk(start, stop)
        cond = self.latents.condition_chunk(start, stop)
        if not self._user:
            with torch.no_grad():
                out = self._decode(z) if cond is None else self._decode(z, cond)
        else:
            try:
                with torch.no_grad():
                    out = self._decode(z) if cond is None else self._decode(z, cond)
            except GenartError:
                raise
            except Exception as exc:  # a user's decode function: say which one failed
                raise InvalidInputError(f"decoding frames {start}..{stop - 1} with '{self.name}' failed: {type(exc).__name__}: {exc}") from exc
        if not isinstance(out, torch.Tensor) or out.ndim != 4 or out.shape[0] != stop - start:
            got = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise InvalidInputError(f"decoder '{self.name}' must return frames [{stop - start}, C, H, W], got {got}.")
        if out.dtype != torch.float32:
            out = check_frames_tensor(out, name=f"frames from '{self.name}'")
        elif not torch.isfinite(out).all():
            raise InvalidInputError(f"decoder '{self.name}' returned NaN or infinite values for frames {start}..{stop - 1}.")
        return out

    def batches(self, start: int, stop: int, batch_size: int, cancel: Any) -> Iterator[torch.Tensor]:
        for s in range(start, stop, batch_size):
            if _is_cancelled(cancel):
                raise Cancelled("render cancelled.")
            e = min(s + batch_size, stop)
            out = self._frames(s, e)
            if tuple(out.shape[1:]) != self.shape:
                raise InvalidInputError(f"decoder '{self.name}' changed its frame shape from {list(self.shape)} to {list(out.shape[1:])}.")
            yield out

    def describe(self) -> str:
        return f"{self.latents.description} | {self.name}"

    def models(self) -> list[str]:
        return [self.name]


class _TensorSource(_Source):
    def __init__(self, frames: Any, loop: bool) -> None:
        self.frames = check_frames_tensor(frames)
        self.length = self.frames.shape[0]
        self.shape = tuple(self.frames.shape[1:])  # type: ignore[assignment]
        self.loop = loop

    def batches(self, start: int, stop: int, batch_size: int, cancel: Any) -> Iterator[torch.Tensor]:
        for s in range(start, stop, batch_size):
            if _is_cancelled(cancel):
                raise Cancelled("render cancelled.")
            yield self.frames[s: min(s + batch_size, stop)]

    def describe(self) -> str:
        return f"frames{list(self.frames.shape)}"


class _SliceSource(_Source):
    def __init__(self, clip: "Clip", start: int, stop: int) -> None:
        self.clip, self.offset = clip, start
        self.length = stop - start
        self.shape = clip.frame_shape

    def batches(self, start: int, stop: int, batch_size: int, cancel: Any) -> Iterator[torch.Tensor]:
        yield from self.clip._iter(self.offset + start, self.offset + stop, batch_size, cancel=cancel)

    def describe(self) -> str:
        return f"({self.clip.describe()})[{self.offset}:{self.offset + self.length}]"

    def models(self) -> list[str]:
        return self.clip.models()


class _ConcatSource(_Source):
    def __init__(self, clips: Sequence["Clip"]) -> None:
        self.clips = list(clips)
        shapes = {c.frame_shape for c in self.clips}
        if len(shapes) != 1:
            raise InvalidInputError(f"cannot concatenate clips with different frame shapes {sorted(shapes)}; resize them first.")
        self.shape = shapes.pop()
        self.offsets = [0]
        for c in self.clips:
            self.offsets.append(self.offsets[-1] + len(c))
        self.length = self.offsets[-1]

    def batches(self, start: int, stop: int, batch_size: int, cancel: Any) -> Iterator[torch.Tensor]:
        pending: list[torch.Tensor] = []
        count = 0
        for clip, lo, hi in zip(self.clips, self.offsets[:-1], self.offsets[1:]):
            s, e = max(start, lo), min(stop, hi)
            if s >= e:
                continue
            for b in clip._iter(s - lo, e - lo, batch_size, cancel=cancel):
                pending.append(b)
                count += b.shape[0]
                if count >= batch_size:
                    allb = torch.cat([p.to(pending[0].device) for p in pending])
                    yield allb[:batch_size]
                    pending, count = ([allb[batch_size:]], allb.shape[0] - batch_size) if allb.shape[0] > batch_size else ([], 0)
        if count:
            yield torch.cat([p.to(pending[0].device) for p in pending])

    def describe(self) -> str:
        return "concat(" + ", ".join(c.describe() for c in self.clips) + ")"

    def models(self) -> list[str]:
        return sorted({m for c in self.clips for m in c.models()})


class _TileSource(_Source):
    def __init__(self, clips: Sequence["Clip"], cols: int, padding: int, background: float, length: str) -> None:
        self.clips = list(clips)
        self.cols = cols
        self.rows = math.ceil(len(self.clips) / cols)
        self.padding = padding
        self.background = background
        lengths = [len(c) for c in self.clips]
        if length == "equal" and len(set(lengths)) > 1:
            raise InvalidInputError(
                f"tiled clips must have the same number of frames, got {lengths}; "
                "pass length='min' (cut to the shortest) or length='max' (shorter clips repeat)."
            )
        self.length = min(lengths) if length == "min" else max(lengths)
        self.loop = all(c.loop for c in self.clips) and len(set(lengths)) == 1
        hw = {c.frame_shape[1:] for c in self.clips}
        if len(hw) != 1:
            raise InvalidInputError(
                f"tiled clips must have the same frame size, got {sorted(hw)}; add ga.render.upscale(SIZE) to each."
            )
        self.cell = hw.pop()
        self.channels = max(c.frame_shape[0] for c in self.clips)
        if self.channels == 4 or {c.frame_shape[0] for c in self.clips} == {1, 3}:
            self.channels = max(3, self.channels)
        h, w = self.cell
        p = padding
        self.shape = (self.channels, self.rows * h + (self.rows + 1) * p, cols * w + (cols + 1) * p)

    def _sub(self, clip: "Clip", start: int, stop: int, batch_size: int, cancel: Any) -> Iterator[torch.Tensor]:
        n = len(clip)
        if stop <= n:
            yield from clip._iter(start, stop, batch_size, cancel=cancel)
            return
        # shorter clip in a length='max' tile: repeat it
        pos = start
        while pos < stop:
            s = pos % n
            e = min(n, s + (stop - pos))
            yield from clip._iter(s, e, batch_size, cancel=cancel)
            pos += e - s

    @staticmethod
    def _rebatch(it: Iterator[torch.Tensor], batch_size: int) -> Iterator[torch.Tensor]:
        buf: list[torch.Tensor] = []
        count = 0
        for b in it:
            buf.append(b)
            count += b.shape[0]
            while count >= batch_size:
                allb = torch.cat(buf) if len(buf) > 1 else buf[0]
                yield allb[:batch_size]
                rest = allb[batch_size:]
                buf, count = ([rest] if rest.shape[0] else []), rest.shape[0]
        if count:
            yield torch.cat(buf) if len(buf) > 1 else buf[0]

    def batches(self, start: int, stop: int, batch_size: int, cancel: Any) -> Iterator[torch.Tensor]:
        iters = [self._rebatch(self._sub(c, start, stop, batch_size, cancel), batch_size) for c in self.clips]
        h, w = self.cell
        p, c_out = self.padding, self.channels
        for parts in zip(*iters):
            device = parts[0].device
            b = parts[0].shape[0]
            grid = torch.full((b, c_out, self.shape[1], self.shape[2]), float(self.background), device=device)
            if c_out == 4:
                grid[:, 3] = 1.0
            for i, x in enumerate(parts):
                x = x.to(device)
                if x.shape[1] == 1 and c_out >= 3:
                    x = x.expand(-1, 3, -1, -1)
                r, col = divmod(i, self.cols)
                y0, x0 = p + r * (h + p), p + col * (w + p)
                grid[:, : x.shape[1], y0: y0 + h, x0: x0 + w] = x
            yield grid

    def describe(self) -> str:
        return f"tile({len(self.clips)} clips, cols={self.cols})"

    def models(self) -> list[str]:
        return sorted({m for c in self.clips for m in c.models()})


# --------------------------------------------------------------------------------------------- Clip
class Clip:
    """A lazy animation: ``T`` frames ``[C, H, W]`` float32 in [0, 1], produced batch by batch on demand.

    Build one with ``latents | model`` and extend it with ``clip | renderer`` (each ``|`` returns a new clip;
    nothing is computed). Evaluate it with :meth:`iter_frames` / :meth:`iter_uint8` (streamed),
    :meth:`frames` / :meth:`tensor` (materialised) or :meth:`save` (streamed into an exporter).

    Attributes:
        recipe: dict embedded into exported files (sketch, params, seed, model, versions, pipeline); filled
            in by :class:`genart_kit.sketch.Sketch`, and by default describing the pipe.
        loop: whether the last frame leads seamlessly into the first.
    """

    def __init__(self, source: _Source, renderers: Sequence[Renderer] = (), *, recipe: dict | None = None) -> None:
        self._source = source
        self._renderers = tuple(renderers)
        self._chain = Chain(list(self._renderers)) if self._renderers else None
        shape = source.shape
        biggest = shape[0] * shape[1] * shape[2]
        for r in self._renderers:
            shape = r.output_shape(shape)
            biggest = max(biggest, shape[0] * shape[1] * shape[2])
            if len(shape) != 3 or shape[0] not in (1, 3, 4) or min(shape) < 1:
                raise InvalidInputError(f"renderer {r.describe()} produces frames of shape {list(shape)}; expected [C in 1/3/4, H, W].")
        self._shape: Shape = tuple(int(v) for v in shape)  # type: ignore[assignment]
        self._frame_bytes = 4 * biggest  # float32 bytes of the largest frame along the pipe
        self.loop = source.loop
        self.recipe: dict[str, Any] = dict(recipe) if recipe else {}

    # ------------------------------------------------------------------------------------- builders
    @classmethod
    def from_latents(cls, latents: LatentPath, model: Any) -> "Clip":
        """``latents | model``: decode lazily with *model* (a GenerativeModel, ``model.decode`` or any
        ``f(z [N, D]) -> [N, C, H, W]``).

        Raises:
            InvalidInputError: D or conditioning does not match the model.
        """
        if not isinstance(latents, LatentPath):
            raise InvalidInputError(f"expected Latents, got {type(latents).__name__}; wrap tensors with ga.latent.from_tensor(z).")
        return cls(_LatentSource(latents, model))

    @classmethod
    def from_frames(cls, frames: Any, *, loop: bool = False) -> "Clip":
        """A clip over existing frames ``[T, C, H, W]`` (float in [0, 1] or uint8), e.g. decoded by hand.

        Raises:
            InvalidInputError: bad shape, channels or NaN.
        """
        return cls(_TensorSource(frames, loop))

    # ----------------------------------------------------------------------------------- properties
    def __len__(self) -> int:
        return self._source.length

    @property
    def frame_shape(self) -> Shape:
        """``(C, H, W)`` of each frame."""
        return self._shape

    @property
    def shape(self) -> tuple[int, int, int, int]:
        """``(T, C, H, W)``."""
        return (len(self), *self._shape)

    @property
    def size(self) -> tuple[int, int]:
        """``(H, W)`` in pixels (torch order; note Pillow's ``Image.size`` is ``(W, H)``)."""
        return (self._shape[1], self._shape[2])

    @property
    def width(self) -> int:
        """Frame width in pixels."""
        return self._shape[2]

    @property
    def height(self) -> int:
        """Frame height in pixels."""
        return self._shape[1]

    @property
    def channels(self) -> int:
        """C: 1 (grayscale), 3 (RGB) or 4 (RGBA)."""
        return self._shape[0]

    @property
    def renderers(self) -> tuple[Renderer, ...]:
        """The renderers applied after the source, in order."""
        return self._renderers

    def models(self) -> list[str]:
        """Names of the models that decode this clip."""
        return self._source.models()

    def describe(self) -> str:
        """The pipe as text: ``"noise_loop(...) | vae-mnist | colormap('magma') | upscale(256)"``."""
        parts = [self._source.describe(), *(r.describe() for r in self._renderers)]
        return " | ".join(parts)

    # -------------------------------------------------------------------------------------- piping
    def __or__(self, other: Any) -> Any:
        """``clip | renderer`` -> a new clip; ``clip | sink`` (``ga.pipeline.to("out.gif")`` or an exporter
        object with ``write``) -> saves and returns the path."""
        if isinstance(other, Sink):
            return other.write(self)
        if isinstance(other, Exporter) and not isinstance(other, Renderer):
            return self.save_with(other)
        r = as_renderer(other)
        if r is None:
            if isinstance(other, LatentDecoder):
                raise InvalidInputError("a clip is already decoded; pipe latents into a model: latents | model | renderer.")
            return NotImplemented
        return self.with_renderers(r)

    def with_renderers(self, *renderers: Renderer) -> "Clip":
        """A new clip with *renderers* appended (same as ``clip | r1 | r2``)."""
        out = Clip(self._source, (*self._renderers, *renderers), recipe=self.recipe)
        return out

    def __getitem__(self, index: Any) -> "Clip":
        """``clip[a:b]``: frames a..b-1 as a new clip (renderer state is warmed up on the frames before)."""
        if not isinstance(index, slice) or index.step not in (None, 1):
            raise InvalidInputError("index a clip with a slice of consecutive frames, e.g. clip[10:20].")
        start, stop, _ = index.indices(len(self))
        if stop <= start:
            raise InvalidInputError(f"clip slice {index} is empty (the clip has {len(self)} frames).")
        return Clip(_SliceSource(self, start, stop), recipe=self.recipe)

    def __add__(self, other: Any) -> "Clip":
        """``a + b``: play clip *b* after clip *a* (same frame shape)."""
        if not isinstance(other, Clip):
            return NotImplemented
        return Clip(_ConcatSource([self, other]), recipe=self.recipe)

    # ---------------------------------------------------------------------------------- evaluation
    def _warmup_runs(self, start: int) -> list[tuple[int, int]]:
        """Contiguous ranges (in order) of the frames preceding *start* that warm up stateful renderers."""
        need = self._chain.warmup if self._chain is not None else 0
        n = len(self)
        if need <= 0:
            return []
        runs: list[tuple[int, int]] = []
        if not self.loop:
            s = max(0, start - need)
            return [(s, start)] if s < start else []
        # looping: the timeline wraps; take up to `need` frames before start, possibly several laps
        need = min(need, 4 * n)
        a = start - need
        while a < start:
            s = a % n
            e = min(n, s + (start - a))
            runs.append((s, e))
            a += e - s
        return runs

    def _iter(self, start: int, stop: int, batch_size: int, *, cancel: Any = None, progress: Progress | None = None,
              uint8: bool = False) -> Iterator[Any]:
        chain = self._chain
        total = len(self)
        # uint8 fast path: a last renderer with render_uint8 (a colour map) writes uint8 [B, H, W, C] directly
        last = self._renderers[-1] if (uint8 and self._renderers) else None
        direct = last if isinstance(last, Uint8Renderer) and last.warmup == 0 else None
        if direct is not None:
            chain = Chain(list(self._renderers[:-1])) if len(self._renderers) > 1 else None
        state = chain.init_state() if chain is not None else None
        if chain is not None:
            for s, e in self._warmup_runs(start):
                pos = s
                for frames in self._source.batches(s, e, batch_size, cancel):
                    _, state = chain.process(frames, state, pos, total)
                    pos += frames.shape[0]
        done = 0
        pos = start
        for frames in self._source.batches(start, stop, batch_size, cancel):
            if _is_cancelled(cancel):
                raise Cancelled("render cancelled.")
            n = frames.shape[0]
            with torch.no_grad():
                if chain is not None:
                    frames, state = chain.process(frames, state, pos, total)
                if uint8:
                    fast = direct.render_uint8(frames) if direct is not None else None
                    if fast is None:
                        if direct is not None:
                            frames = direct.render(frames)
                        fast = to_uint8(frames)
                    frames = fast
            pos += n
            done += n
            yield frames
            if progress is not None:
                progress(done, stop - start)

    def iter_frames(
        self,
        batch_size: int = DEFAULT_BATCH,
        *,
        start: int = 0,
        stop: int | None = None,
        progress: Progress | None = None,
        cancel: Any = None,
    ) -> Iterator[torch.Tensor]:
        """Stream the clip: yields float32 ``[B, C, H, W]`` in [0, 1] (B <= *batch_size*), on the model's device.

        Args:
            batch_size: frames per batch (peak memory is about one batch per pipeline stage).
            start, stop: frame range (default the whole clip).
            progress: called as ``progress(frames_done, frames_total)`` after each batch.
            cancel: a :class:`threading.Event` (or a callable returning True) checked before each batch.

        Raises:
            Cancelled: *cancel* was set; nothing more is produced.
            InvalidInputError: bad range or batch size; NaN latents; a failing renderer function.
        """
        yield from self._stream(batch_size, start, stop, progress, cancel, uint8=False)

    def effective_batch_size(self, batch_size: int = DEFAULT_BATCH) -> int:
        """*batch_size* reduced so one batch of the largest frames along the pipe stays under
        :data:`BATCH_BYTES` (large frames, e.g. 2048 px, render a few at a time; at least 1)."""
        return max(1, min(batch_size, BATCH_BYTES // max(1, self._frame_bytes)))

    def _stream(self, batch_size: Any, start: int, stop: int | None, progress: Progress | None, cancel: Any, *, uint8: bool) -> Iterator[Any]:
        from .context import default_cancel, default_progress

        progress = progress if progress is not None else default_progress()  # e.g. the REPL job's
        cancel = cancel if cancel is not None else default_cancel()
        batch_size = self.effective_batch_size(_check_batch_size(batch_size))
        stop = len(self) if stop is None else stop
        if not (0 <= start < stop <= len(self)):
            raise InvalidInputError(f"frame range [{start}, {stop}) is outside this clip of {len(self)} frames.")
        yield from self._iter(start, stop, batch_size, cancel=cancel, progress=progress, uint8=uint8)

    def iter_uint8(
        self,
        batch_size: int = DEFAULT_BATCH,
        *,
        start: int = 0,
        stop: int | None = None,
        progress: Progress | None = None,
        cancel: Any = None,
    ) -> Iterator[Any]:
        """Stream the clip as numpy uint8 ``[B, H, W, C]`` (values ``rint(255 x)``), ready for exporters.

        Same arguments as :meth:`iter_frames`. When the last renderer is a colour map, its uint8 table is
        applied directly (same values, no float RGB frames).
        """
        yield from self._stream(batch_size, start, stop, progress, cancel, uint8=True)

    def frames(self, **kwargs: Any) -> Any:
        """All frames as numpy uint8 ``[T, H, W, C]`` (materialised: T x H x W x C bytes)."""
        import numpy as np

        return np.concatenate(list(self.iter_uint8(**kwargs)), axis=0)

    def tensor(self, **kwargs: Any) -> torch.Tensor:
        """All frames as float32 ``[T, C, H, W]`` in [0, 1] (materialised)."""
        return torch.cat(list(self.iter_frames(**kwargs)), dim=0)

    def frame(self, index: int = 0) -> Any:
        """One frame as numpy uint8 ``[H, W, C]`` (renderer state warmed up as in the full clip)."""
        n = len(self)
        if isinstance(index, bool) or not isinstance(index, int) or not -n <= index < n:
            raise InvalidInputError(f"frame index must be an int in [{-n}, {n - 1}], got {index!r}.")
        index %= n
        warm = self._chain.warmup if self._chain is not None else 0
        if warm <= 0:
            return next(self.iter_uint8(1, start=index, stop=index + 1))[0]
        # stateful renderers (trails, feedback): warming up costs `warm` frames whatever the range, so render
        # a whole batch from *index* in one pass (warm-up batched too) and keep it for the next frame() calls
        cache = self.__dict__.get("_frame_cache")
        if cache is not None and cache[0] <= index < cache[0] + cache[1].shape[0]:
            return cache[1][index - cache[0]].copy()
        import numpy as np

        batch = self.effective_batch_size(DEFAULT_BATCH)
        stop = min(n, index + batch)
        block = np.concatenate(list(self.iter_uint8(batch, start=index, stop=stop)), axis=0)
        self._frame_cache = (index, block)
        return block[0].copy()

    def sheet(self, cols: int | None = None, *, padding: int = 0, background: float = 0.0) -> "Clip":
        """All frames laid out in one grid image: a 1-frame clip (e.g. for ``grid_sweep`` latents).

        Args:
            cols: columns (default ``ceil(sqrt(T))``).
            padding: pixels between cells.
            background: grey level of the padding.

        Raises:
            InvalidInputError: more than 4096 frames, bad cols.
        """
        n = len(self)
        if n > 4096:
            raise InvalidInputError(f"a contact sheet of {n} frames is too large; slice the clip first (clip[:64]).")
        cols = cols or math.ceil(math.sqrt(n))
        frames = self.tensor()
        cells = [Clip.from_frames(frames[i: i + 1]) for i in range(n)]
        return tile(cells, cols=cols, padding=padding, background=background)

    # -------------------------------------------------------------------------------------- export
    def save(
        self,
        path: str | os.PathLike[str],
        fps: float = 24,
        *,
        batch_size: int = DEFAULT_BATCH,
        progress: Progress | None = None,
        cancel: Any = None,
        recipe: dict | None = None,
        **options: Any,
    ) -> Path:
        """Render and write the clip; the exporter is picked from the file suffix (``.gif``, ``.webp``, ...).

        Frames are streamed into the exporter batch by batch; the write is atomic (a temporary file renamed
        at the end), so an error or Ctrl-C leaves no partial file. The recipe (:attr:`recipe`, or *recipe*)
        is embedded in the file.

        Args:
            path: output file; its folder must exist.
            fps: frames per second (> 0).
            batch_size: frames per rendered batch.
            progress: ``progress(frames_done, frames_total)`` after each batch.
            cancel: :class:`threading.Event` or callable; when set, rendering stops and nothing is written.
            recipe: overrides :attr:`recipe`.
            **options: exporter options (e.g. ``colors=64`` or ``dither="bayer"`` for GIF).

        Returns:
            the written path.

        Raises:
            ExportError: unsupported suffix, missing folder, bad fps, the exporter failed.
            Cancelled: cancelled via *cancel*.
        """
        target = _check_output(path)
        from .registry import get_registry

        from .export.api import writer_of

        entry = get_registry().find_exporter(target.suffix)
        return self.save_with(writer_of(entry), target, fps=fps, batch_size=batch_size, progress=progress,
                              cancel=cancel, recipe=recipe, **options)

    def save_with(self, exporter: Any, path: Any = None, *, fps: float = 24, batch_size: int = DEFAULT_BATCH,
                  progress: Progress | None = None, cancel: Any = None, recipe: dict | None = None, **options: Any) -> Path:
        """Write with a given exporter object (``write(path, batches, fps=, total_frames=, recipe=)``).

        Raises:
            ExportError / InvalidInputError / Cancelled: as for :meth:`save`; InvalidInputError too when
                *exporter* has no ``write``.
        """
        if isinstance(exporter, type):
            exporter = exporter()
        if not isinstance(exporter, Exporter):
            raise InvalidInputError(f"{type(exporter).__name__} {exporter!r:.60} is not an exporter: it has no "
                                    "write(path, batches, *, fps, ...) (genart_kit.contracts.Exporter).")
        if path is None:
            path = getattr(exporter, "path", None)
            if path is None:
                raise ExportError("no output path: use clip.save('out.gif') or ga.pipeline.to('out.gif').")
        target = _check_output(path)
        _check_fps(fps)
        from ._options import check_options

        check_options(f"exporter for '{path}'", exporter.write, options, skip=("fps", "total_frames", "recipe"))
        rec = self.full_recipe() if recipe is None else dict(recipe)
        if recipe is None:
            rec.setdefault("fps", fps)
        batches = self.iter_uint8(batch_size, progress=progress, cancel=cancel)
        try:
            out = exporter.write(target, batches, fps=fps, total_frames=len(self), recipe=rec, **options)
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()
        return Path(out) if out is not None else target

    def full_recipe(self) -> dict[str, Any]:
        """The recipe embedded into exports: :attr:`recipe` completed with the model(s), the pipe's text,
        frame count, size and versions."""
        rec = dict(self.recipe)
        models = self.models()
        rec.setdefault("model", models[0] if len(models) == 1 else models)
        rec.setdefault("pipeline", self.describe())
        rec.setdefault("frames", len(self))
        if "seed" not in rec:
            seeds = set(re.findall(r"\bseed=(-?\d+)", rec["pipeline"] if isinstance(rec.get("pipeline"), str) else ""))
            if len(seeds) == 1:  # one seed in the whole pipe: record it
                rec["seed"] = int(seeds.pop())
        rec.setdefault("size", [self.height, self.width])
        rec.setdefault("versions", versions())
        return rec

    # ------------------------------------------------------------------------------------- display
    def _preview(self, max_frames: int, max_side: int) -> "Clip":
        clip: Clip = self
        n = len(self)
        if n > max_frames:
            clip = clip[:max_frames]
        h, w = self.size
        if max(h, w) > max_side:
            from .render.geometry import resize

            clip = clip | resize(max_side, mode="area")
        return clip

    def _repr_png_(self) -> bytes:
        """The first frame as PNG bytes (notebooks)."""
        from PIL import Image

        arr = self._preview(1, 1024).frame(0)
        img = Image.fromarray(arr[..., 0] if arr.shape[-1] == 1 else arr)
        buf = io.BytesIO()
        img.save(buf, format="PNG")
        return buf.getvalue()

    def _repr_html_(self) -> str:
        """An animated GIF preview as an ``<img>`` (at most 600 frames, 512 px; notebooks)."""
        import tempfile

        fps = float(self.recipe.get("fps", 24) or 24)
        try:
            clip = self._preview(600, 512)
            with tempfile.TemporaryDirectory() as d:
                p = clip.save(Path(d) / "preview.gif", fps=min(fps, 50))
                data = p.read_bytes()
            mime = "image/gif"
        except Exception as exc:  # noqa: BLE001 - fall back to a still frame
            log.debug("GIF preview failed (%s); showing the first frame", exc)
            data, mime = self._repr_png_(), "image/png"
        b64 = base64.b64encode(data).decode("ascii")
        title = f"{len(self)} frames, {self.width}x{self.height}"
        return f'<img src="data:{mime};base64,{b64}" title="{title}" style="image-rendering: pixelated"/>'

    def __repr__(self) -> str:
        return f"<Clip {len(self)} frames {self.width}x{self.height}x{self.channels}{' loop' if self.loop else ''}: {self.describe()}>"


def to_uint8(frames: torch.Tensor) -> Any:
    """float32 ``[B, C, H, W]`` in [0, 1] -> numpy uint8 ``[B, H, W, C]``, rounding half to even (like
    :func:`genart_kit.export.to_uint8`)."""
    x = frames.detach().clamp(0.0, 1.0).mul(255.0).round_().to(torch.uint8)
    return x.permute(0, 2, 3, 1).contiguous().cpu().numpy()


def _check_fps(fps: Any) -> float:
    if isinstance(fps, bool) or not isinstance(fps, (int, float)):
        raise ExportError(f"fps must be a positive number of frames per second, got {fps!r}; pass e.g. fps=24.")
    if not math.isfinite(float(fps)) or fps <= 0:
        raise ExportError(f"fps must be a positive, finite number of frames per second, got {fps!r}; pass e.g. fps=24.")
    return float(fps)


def _check_output(path: Any) -> Path:
    """Validate an output path before rendering (the exporter re-checks it when writing).

    A file path must not be an existing folder; a path without a suffix (or ending in ``/``) is a PNG-sequence
    folder, which may replace a folder written by a previous PNG-sequence export (it holds ``frames.json``).
    """
    from .export.atomic import check_target

    if isinstance(path, (str, os.PathLike)) and not isinstance(path, bytes) and str(path) and "\x00" not in str(path):
        raw = os.fspath(path)
        p = Path(raw).expanduser()
        if isinstance(raw, str) and str(p) != "." and (p.suffix == "" or raw.endswith(("/", os.sep))):
            target = check_target(p, directory=True)
            if target.is_dir() and not (target / "frames.json").is_file():
                raise ExportError(f"output path {p} is a folder that was not written by a PNG-sequence export "
                                  f"(no frames.json); give a file name such as {p / 'out.gif'}, or a new folder name for a "
                                  "PNG sequence.")
            return target
    elif not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ExportError(f"output path must be a file name such as 'out.gif', got {path!r}.")
    return check_target(path)


def tile(
    clips: Sequence[Clip],
    cols: int | None = None,
    *,
    padding: int = 0,
    background: float = 0.0,
    length: str = "equal",
) -> Clip:
    """Lay several clips out in a grid, frame by frame, streamed (each clip is evaluated in step).

    Grayscale clips are promoted to RGB when mixed with colour ones. All clips must share the frame size
    (add ``ga.render.upscale(N)`` to each otherwise).

    Args:
        clips: at least one :class:`Clip`, laid out row by row.
        cols: columns (default ``ceil(sqrt(len(clips)))``).
        padding: pixels of *background* between and around cells (0..256).
        background: grey level in [0, 1] of padding and empty cells.
        length: ``"equal"`` (lengths must match), ``"min"`` (cut to the shortest) or ``"max"`` (repeat shorter).

    Returns:
        a :class:`Clip` with frames ``[C, rows * H + (rows + 1) p, cols * W + (cols + 1) p]``.

    Raises:
        InvalidInputError: no clips, non-clips, mismatched sizes or lengths, bad options.
    """
    clips = list(clips) if not isinstance(clips, Clip) else [clips]
    if not clips:
        raise InvalidInputError("tile needs at least one clip.")
    for c in clips:
        if not isinstance(c, Clip):
            raise InvalidInputError(f"tile takes clips (latents | model | ...), got {type(c).__name__}.")
    n = len(clips)
    if cols is None:
        cols = math.ceil(math.sqrt(n))
    if isinstance(cols, bool) or not isinstance(cols, int) or cols < 1:
        raise InvalidInputError(f"cols must be a positive int, got {cols!r}.")
    cols = min(cols, n)
    if isinstance(padding, bool) or not isinstance(padding, int) or not 0 <= padding <= 256:
        raise InvalidInputError(f"padding must be an int in [0, 256] pixels, got {padding!r}.")
    background = check_float(background, "background", low=0.0, high=1.0)
    if length not in ("equal", "min", "max"):
        raise InvalidInputError(f"length must be 'equal', 'min' or 'max', got {length!r}.")
    return Clip(_TileSource(clips, cols, padding, background, length), recipe=clips[0].recipe)


def concat(*clips: Clip) -> Clip:
    """Play clips one after another (same frame shape); same as ``a + b + c``.

    Raises:
        InvalidInputError: no clips or mismatched frame shapes.
    """
    if len(clips) == 1 and isinstance(clips[0], (list, tuple)):
        clips = tuple(clips[0])
    if not clips or not all(isinstance(c, Clip) for c in clips):
        raise InvalidInputError("concat takes one or more clips.")
    return Clip(_ConcatSource(list(clips)), recipe=clips[0].recipe)


# -------------------------------------------------------------------------------------------- sink
class Sink:
    """The end of a pipe: ``clip | ga.pipeline.to("out.gif", fps=12)`` saves and returns the path."""

    def __init__(self, path: str | os.PathLike[str], fps: float = 24, **options: Any) -> None:
        self.path = path
        self.fps = fps
        self.options = options

    def write(self, clip: Clip) -> Path:
        """Save *clip* (see :meth:`Clip.save`)."""
        return clip.save(self.path, fps=self.fps, **self.options)

    def __repr__(self) -> str:
        return f"<to {self.path!r} fps={self.fps}>"


def to(path: str | os.PathLike[str], fps: float = 24, **options: Any) -> Sink:
    """A pipe end that saves: ``latents | model | renderer | ga.pipeline.to("out.gif", fps=24)``."""
    return Sink(path, fps, **options)


_ = threading  # threading.Event is the documented cancel type
