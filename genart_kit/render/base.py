"""The renderer protocol: frames ``[T, C, H, W]`` float32 in [0, 1] in, frames out, batched and streamable.

A renderer is applied by the pipeline to consecutive batches of a clip. Stateless renderers implement
:meth:`Renderer.render`; renderers with memory across frames (trails, feedback) implement
:meth:`Renderer.init_state` and :meth:`Renderer.process`, which receives and returns the state so it carries
across streamed batches, and declare :attr:`Renderer.warmup` — how many earlier frames they need to reach
their steady state (the pipeline feeds those first, wrapping around the end of looping clips so a loop stays
seamless).

Renderers compose with ``|`` (``colormap("magma") | upscale(256)``) and apply directly to a tensor
(``renderer(frames)``).
"""

from __future__ import annotations

from typing import Any, Callable

import torch

from ..contracts import FrameSource, LatentDecoder
from ..errors import InvalidInputError

Shape = tuple[int, int, int]


def check_frames_tensor(frames: Any, *, name: str = "frames") -> torch.Tensor:
    """Validate frames: a float tensor ``[T, C, H, W]`` (or ``[C, H, W]``, one frame) with C in {1, 3, 4}.

    uint8 frames are scaled to [0, 1]; float frames are clamped to [0, 1].

    Returns:
        float32 tensor ``[T, C, H, W]`` on its device.

    Raises:
        InvalidInputError: not a tensor, wrong rank, empty, unsupported channel count, NaN/inf.
    """
    if not isinstance(frames, torch.Tensor):
        try:
            frames = torch.as_tensor(frames)
        except Exception as exc:
            raise InvalidInputError(f"{name} must be a tensor [T, C, H, W], got {type(frames).__name__}.") from exc
    if frames.ndim == 3:
        frames = frames.unsqueeze(0)
    if frames.ndim != 4:
        raise InvalidInputError(f"{name} must have shape [T, C, H, W], got {list(frames.shape)}.")
    if frames.numel() == 0:
        raise InvalidInputError(f"{name} are empty (shape {list(frames.shape)}).")
    if frames.shape[1] not in (1, 3, 4):
        raise InvalidInputError(f"{name} must have 1, 3 or 4 channels (C in [T, C, H, W]), got {frames.shape[1]}.")
    if frames.dtype == torch.uint8:
        return frames.float().div_(255.0)
    if frames.dtype == torch.bool or frames.is_complex():
        raise InvalidInputError(f"{name} must be real numbers, got dtype {frames.dtype}.")
    frames = frames.to(torch.float32)
    if not torch.isfinite(frames).all():
        raise InvalidInputError(f"{name} contain NaN or infinite values.")
    return frames.clamp(0.0, 1.0)


class Renderer:
    """Base class of frame renderers.

    Subclasses override :meth:`render` (stateless) or :meth:`init_state` + :meth:`process` (with memory),
    and :meth:`output_shape` when they change channels or size.

    Attributes:
        warmup: frames of history needed to reach the steady state (0 for stateless renderers).
    """

    warmup: int = 0

    # ------------------------------------------------------------------------------------- protocol
    def output_shape(self, shape: Shape) -> Shape:
        """``(C, H, W)`` of the output for input frames of shape *shape*.

        Raises:
            InvalidInputError: the renderer cannot take frames of that shape.
        """
        return shape

    def init_state(self) -> Any:
        """A fresh state at the start of a pass (``None`` for stateless renderers)."""
        return None

    def process(self, frames: torch.Tensor, state: Any, start: int, total: int) -> tuple[torch.Tensor, Any]:
        """Render one batch.

        Args:
            frames: float32 ``[B, C, H, W]`` in [0, 1], on the clip's device.
            state: the state returned for the previous batch (or :meth:`init_state`).
            start: index of ``frames[0]`` in the clip (0-based; may be negative during warm-up).
            total: number of frames in the clip.

        Returns:
            ``(frames [B, C', H', W'] float32 in [0, 1], new state)``.
        """
        return self.render(frames), state

    def render(self, frames: torch.Tensor) -> torch.Tensor:
        """Stateless rendering of frames ``[B, C, H, W]`` -> ``[B, C', H', W']``."""
        raise NotImplementedError(f"{type(self).__name__} must implement render() or process()")

    # -------------------------------------------------------------------------------------- helpers
    def __call__(self, frames: Any) -> torch.Tensor:
        """Apply to a whole tensor ``[T, C, H, W]`` (or ``[C, H, W]``) and return ``[T, C', H', W']``.

        Raises:
            InvalidInputError: invalid frames (see :func:`check_frames_tensor`).
        """
        x = check_frames_tensor(frames)
        self.output_shape(tuple(x.shape[1:]))  # type: ignore[arg-type]
        out, _ = self.process(x, self.init_state(), 0, x.shape[0])
        return out

    def __or__(self, other: Any) -> "Renderer":
        """``a | b``: a renderer that applies *a* then *b*."""
        other_r = as_renderer(other)
        if other_r is None:
            return NotImplemented
        return Chain([self, other_r])

    def __ror__(self, other: Any) -> Any:
        # `tensor | renderer` never reaches here (Tensor.__or__ raises); a callable on the left does.
        other_r = as_renderer(other)
        if other_r is None:
            return NotImplemented
        return Chain([other_r, self])

    def describe(self) -> str:
        """Short recipe text, e.g. ``colormap('magma')``."""
        return type(self).__name__.lower()

    def __repr__(self) -> str:
        return f"<renderer {self.describe()}>"


class Chain(Renderer):
    """Several renderers applied in order; states are kept per renderer."""

    def __init__(self, renderers: list[Renderer]) -> None:
        flat: list[Renderer] = []
        for r in renderers:
            flat.extend(r.renderers if isinstance(r, Chain) else [r])
        self.renderers = flat
        self.warmup = sum(r.warmup for r in flat)

    def output_shape(self, shape: Shape) -> Shape:
        for r in self.renderers:
            shape = r.output_shape(shape)
        return shape

    def init_state(self) -> Any:
        return [r.init_state() for r in self.renderers]

    def process(self, frames: torch.Tensor, state: Any, start: int, total: int) -> tuple[torch.Tensor, Any]:
        new = []
        for r, s in zip(self.renderers, state):
            frames, s = r.process(frames, s, start, total)
            new.append(s)
        return frames, new

    def describe(self) -> str:
        return " | ".join(r.describe() for r in self.renderers)


class Function(Renderer):
    """Wrap a function ``f(frames [B, C, H, W]) -> frames`` as a (stateless, batch-wise) renderer.

    The output is checked (shape stays ``[B, ...]``, finite) and clamped to [0, 1]; its ``(C, H, W)`` is
    found by calling the function once on a black frame.
    """

    def __init__(self, fn: Callable[[torch.Tensor], torch.Tensor], name: str | None = None) -> None:
        if not callable(fn):
            raise InvalidInputError(f"a renderer function must be callable, got {type(fn).__name__}.")
        self.fn = fn
        self.name = name or getattr(fn, "__name__", "function")
        self._shapes: dict[Shape, Shape] = {}

    def output_shape(self, shape: Shape) -> Shape:
        if shape not in self._shapes:
            probe = self._apply(torch.zeros((1, *shape)))
            self._shapes[shape] = tuple(probe.shape[1:])  # type: ignore[assignment]
        return self._shapes[shape]

    def _apply(self, frames: torch.Tensor) -> torch.Tensor:
        try:
            out = self.fn(frames)
        except InvalidInputError:
            raise
        except Exception as exc:  # user code; report which renderer failed
            raise InvalidInputError(f"renderer function '{self.name}' raised {type(exc).__name__}: {exc}") from exc
        if not isinstance(out, torch.Tensor) or out.ndim != 4 or out.shape[0] != frames.shape[0]:
            got = list(out.shape) if isinstance(out, torch.Tensor) else type(out).__name__
            raise InvalidInputError(f"renderer function '{self.name}' must return frames [B, C, H, W] for B={frames.shape[0]}, got {got}.")
        if out.numel() == 0:
            raise InvalidInputError(f"renderer function '{self.name}' returned empty frames {list(out.shape)}.")
        if out.shape[1] not in (1, 3, 4):
            raise InvalidInputError(f"renderer function '{self.name}' returned {out.shape[1]} channels; use 1, 3 or 4.")
        out = out.to(torch.float32)
        if not torch.isfinite(out).all():
            raise InvalidInputError(f"renderer function '{self.name}' returned NaN or infinite values.")
        return out.clamp(0.0, 1.0)

    def render(self, frames: torch.Tensor) -> torch.Tensor:
        return self._apply(frames)

    def describe(self) -> str:
        return f"fn({self.name})"


def as_renderer(obj: Any) -> Renderer | None:
    """*obj* as a renderer: renderers pass through, plain callables are wrapped in :class:`Function`,
    anything else gives ``None``. Models and clips are not renderers."""
    if isinstance(obj, Renderer):
        return obj
    if isinstance(obj, (LatentDecoder, FrameSource)):
        return None
    if isinstance(obj, (torch.Tensor, type)):
        return None
    if callable(obj):
        return Function(obj)
    return None


def is_renderer(obj: Any) -> bool:
    """Whether *obj* is a :class:`Renderer`."""
    return isinstance(obj, Renderer)
