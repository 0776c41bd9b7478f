"""Interpolation: :func:`lerp`, :func:`slerp`, easing curves, and :func:`interpolate` through keyframes.

slerp follows Shoemake, "Animating rotation with quaternion curves" (SIGGRAPH 1985) and its use on
generative latent spaces by White, "Sampling Generative Networks" (arXiv:1609.04468, 2016): for Gaussian
priors, points on the straight line between two samples have atypically small norms (they fall inside the
"soap bubble" where the prior mass is not), whereas the great-circle path keeps them typical.

All degenerate cases are handled without NaN: identical or parallel vectors (angle 0) fall back to lerp,
the limit of the slerp formula; zero vectors (no direction) fall back to lerp; opposite vectors (angle pi,
where the great circle is not unique) turn through a deterministic perpendicular direction while the norm
moves linearly. The arithmetic runs in float64, so no float32 input can overflow.
"""

from __future__ import annotations

import math
from typing import Any, Callable, Sequence

import torch

from ..contracts import LatentDecoder
from ..errors import InvalidInputError
from .core import Latents, as_vectors, check_float, check_frames, check_seed, describe_args, keyframes, source_info

Easing = Callable[[torch.Tensor], torch.Tensor]


# ------------------------------------------------------------------------------------------- easing
def _in_out(power: float) -> Easing:
    def f(u: torch.Tensor) -> torch.Tensor:
        return torch.where(u < 0.5, 2 ** (power - 1) * u**power, 1 - (-2 * u + 2) ** power / 2)

    return f


#: Easing curves ``[0, 1] -> [0, 1]`` with ``f(0) = 0`` and ``f(1) = 1``; in/out curves after Robert Penner's
#: easing equations (2001). ``cosine``, ``smoothstep`` and ``smootherstep`` have zero speed at both ends, so
#: a path eases in and out of every keyframe.
EASINGS: dict[str, Easing] = {
    "linear": lambda u: u,
    "cosine": lambda u: 0.5 - 0.5 * torch.cos(math.pi * u),
    "smoothstep": lambda u: u * u * (3 - 2 * u),
    "smootherstep": lambda u: u * u * u * (u * (6 * u - 15) + 10),
    "quad": _in_out(2),
    "cubic": _in_out(3),
    "quart": _in_out(4),
    "expo": lambda u: torch.where(
        u <= 0, torch.zeros_like(u),
        torch.where(u >= 1, torch.ones_like(u),
                    torch.where(u < 0.5, torch.pow(2.0, 20 * u - 10) / 2, (2 - torch.pow(2.0, -20 * u + 10)) / 2)),
    ),
}


def ease(u: Any, easing: str | Easing = "cosine") -> torch.Tensor:
    """Apply an easing curve to *u* in [0, 1] (values outside are clamped).

    Args:
        u: float tensor (any shape) or number.
        easing: a name from :data:`EASINGS` or a callable tensor -> tensor.

    Returns:
        float64 tensor of the same shape, in [0, 1] for the built-in curves.

    Raises:
        UnknownNameError: unknown easing name (lists the choices).
        InvalidInputError: a custom easing returned a wrong shape or NaN.
    """
    u = torch.as_tensor(u, dtype=torch.float64).clamp(0.0, 1.0)
    f = _easing(easing)
    out = f(u)
    if not isinstance(out, torch.Tensor) or out.shape != u.shape:
        raise InvalidInputError("a custom easing must map a tensor to a tensor of the same shape.")
    out = out.to(torch.float64)
    if not torch.isfinite(out).all():
        raise InvalidInputError("the easing curve returned NaN or infinite values.")
    return out


def _easing(easing: str | Easing) -> Easing:
    if callable(easing):
        return easing
    if isinstance(easing, str) and easing in EASINGS:
        return EASINGS[easing]
    from ..errors import unknown_name

    raise unknown_name("easing", str(easing), EASINGS)


# ------------------------------------------------------------------------------------ lerp and slerp
def _prepare(a: Any, b: Any, t: Any, name: str) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.dtype, torch.device]:
    ta = a if isinstance(a, torch.Tensor) else torch.as_tensor(a)
    tb = b if isinstance(b, torch.Tensor) else torch.as_tensor(b)
    device = ta.device
    out_dtype = torch.float64 if torch.float64 in (ta.dtype, tb.dtype) else torch.float32
    for label, v in (("a", ta), ("b", tb)):
        if v.ndim == 0 or v.numel() == 0:
            raise InvalidInputError(f"{name}: {label} must be a latent vector [D] or a batch [N, D], got shape {list(v.shape)}.")
        if v.is_complex() or v.dtype == torch.bool:
            raise InvalidInputError(f"{name}: {label} must be real numbers, got dtype {v.dtype}.")
        if not torch.isfinite(v.to(torch.float64)).all():
            raise InvalidInputError(f"{name}: {label} contains NaN or infinite values.")
    if ta.shape[-1] != tb.shape[-1]:
        raise InvalidInputError(f"{name}: a and b have different latent dimensions ({ta.shape[-1]} and {tb.shape[-1]}).")
    tt = torch.as_tensor(t, dtype=torch.float64)
    if tt.is_complex() or not torch.isfinite(tt).all():
        raise InvalidInputError(f"{name}: t must be finite real numbers.")
    ta = ta.detach().to(device="cpu", dtype=torch.float64)
    tb = tb.detach().to(device="cpu", dtype=torch.float64)
    tt = tt.to("cpu").unsqueeze(-1)  # broadcast over D
    if _broadcast_shape(ta.shape, tb.shape, tt.shape) is None:
        raise InvalidInputError(
            f"{name}: cannot broadcast a {list(ta.shape)}, b {list(tb.shape)} and t {list(tt.shape[:-1])}; "
            "use vectors [D] with t [T], or batches [T, D] with t [T]."
        )
    return ta, tb, tt, out_dtype, device


def _broadcast_shape(*shapes: tuple[int, ...]) -> tuple[int, ...] | None:
    """NumPy broadcasting of *shapes*, or ``None`` if they do not broadcast. (``torch.broadcast_shapes`` is
    avoided: it imports ``torch.fx.experimental.symbolic_shapes`` and sympy, about 0.6 s on first use.)"""
    ndim = max(len(s) for s in shapes)
    out = []
    for i in range(-ndim, 0):
        dims = {s[i] for s in shapes if len(s) >= -i} - {1}
        if len(dims) > 1:
            return None
        out.append(dims.pop() if dims else 1)
    return tuple(out)


def _finish(out: torch.Tensor, dtype: torch.dtype, device: torch.device, name: str) -> torch.Tensor:
    if not torch.isfinite(out).all() or out.abs().max() > torch.finfo(dtype).max:
        raise InvalidInputError(
            f"{name}: the result does not fit in {dtype} (vectors too large, or t too far outside [0, 1]); "
            "scale the latents down."
        )
    return out.to(device=device, dtype=dtype)


def lerp(a: Any, b: Any, t: Any) -> torch.Tensor:
    """Linear interpolation ``a + t (b - a)``.

    Args:
        a, b: latents ``[D]`` or ``[N, D]`` (tensors, arrays or lists).
        t: a number or a tensor ``[T]`` / ``[N]``; 0 gives *a*, 1 gives *b*, values outside extrapolate.

    Returns:
        float32 (float64 if an input is float64) tensor of the broadcast shape, e.g. ``[T, D]`` for
        vectors ``[D]`` and ``t`` ``[T]``; on *a*'s device.

    Raises:
        InvalidInputError: NaN/inf inputs, mismatched D, shapes that do not broadcast, or overflow.
    """
    ta, tb, tt, dtype, device = _prepare(a, b, t, "lerp")
    return _finish(ta + tt * (tb - ta), dtype, device, "lerp")


def slerp(a: Any, b: Any, t: Any, *, eps: float = 1e-7) -> torch.Tensor:
    """Spherical linear interpolation (Shoemake 1985; White 2016) between latents *a* and *b*.

    The direction moves along the great circle from ``a/|a|`` to ``b/|b|`` (Shoemake's
    ``sin((1 - t) W) / sin W * u_a + sin(t W) / sin W * u_b``, ``W`` the angle between *a* and *b*) while the
    norm moves linearly from ``|a|`` to ``|b|``. For equal norms this is exactly White's
    ``sin((1 - t) W) / sin W * a + sin(t W) / sin W * b``; for unequal norms it stays bounded by
    ``max(|a|, |b|)``, where White's form overshoots (without bound as ``W`` nears pi).

    Degenerate cases never produce NaN: zero vectors fall back to lerp, identical or parallel vectors
    (``W`` ~ 0) give lerp (the limit of the formula), and opposite vectors (``W`` ~ pi) rotate through a
    deterministic perpendicular direction (the continuous limit), passing through zero in 1-D.

    Args:
        a, b: latents ``[D]`` or ``[N, D]``.
        t: a number or a tensor ``[T]`` / ``[N]``; 0 gives *a*, 1 gives *b*.
        eps: angle (radians) below which ``W`` counts as 0 or pi.

    Returns:
        float32 (float64 if an input is float64) tensor of the broadcast shape, on *a*'s device.

    Raises:
        InvalidInputError: NaN/inf inputs, mismatched D, or shapes that do not broadcast.
    """
    ta, tb, tt, dtype, device = _prepare(a, b, t, "slerp")
    ta, tb, tt = torch.broadcast_tensors(ta, tb, tt.expand(*tt.shape[:-1], 1))
    tt = tt[..., :1]
    na = ta.norm(dim=-1, keepdim=True)
    nb = tb.norm(dim=-1, keepdim=True)
    ua = ta / na.clamp_min(1e-300)
    ub = tb / nb.clamp_min(1e-300)
    cos = (ua * ub).sum(-1, keepdim=True).clamp(-1.0, 1.0)
    omega = torch.acos(cos)
    sin = torch.sin(omega)
    safe_sin = torch.where(sin > 1e-12, sin, torch.ones_like(sin))
    radius = (1 - tt) * na + tt * nb
    # great-circle direction (Shoemake) times a linearly interpolated norm: identical to White's formula
    # sin((1-t)W)/sin W a + sin(tW)/sin W b when |a| = |b|, and never longer than max(|a|, |b|) otherwise
    # (White's formula blows up for unequal norms near W = pi).
    general = radius * ((torch.sin((1 - tt) * omega) / safe_sin) * ua + (torch.sin(tt * omega) / safe_sin) * ub)
    linear = ta + tt * (tb - ta)
    # Opposite directions: rotate ua by t*pi towards a fixed perpendicular p (the basis vector where |ua| is
    # smallest, orthogonalised). In 1-D p = 0 and the path passes through zero.
    k = ua.abs().argmin(dim=-1, keepdim=True)
    e = torch.zeros_like(ua).scatter_(-1, k, 1.0)
    p = e - ua.gather(-1, k) * ua
    p = p / p.norm(dim=-1, keepdim=True).clamp_min(1e-300)
    opposite = radius * (torch.cos(math.pi * tt) * ua + torch.sin(math.pi * tt) * p)
    zero = (na <= 1e-300) | (nb <= 1e-300)
    near0 = omega < eps
    nearpi = omega > math.pi - eps
    out = torch.where(zero | near0, linear, torch.where(nearpi, opposite, general))
    return _finish(out, dtype, device, "slerp")


_METHODS = {"slerp": slerp, "lerp": lerp}


# ------------------------------------------------------------------------------------- interpolate
def interpolate(
    source: Any,
    frames: int = 48,
    *,
    keys: Any = 4,
    seed: int = 0,
    method: str = "slerp",
    easing: str | Easing = "cosine",
    loop: bool = False,
    hold: float = 0.0,
    truncation: float | None = None,
    condition: Any = None,
) -> Latents:
    """A path through keyframes, interpolated segment by segment.

    With ``loop=False`` the first frame is the first keyframe and the last frame the last keyframe. With
    ``loop=True`` the path returns to the first keyframe: frame ``T`` would equal frame 0, so the clip plays
    seamlessly on repeat (no duplicated frame at the seam).

    Args:
        source: a model or an int D (then *keys* random keyframes are drawn with *seed*), or keyframes
            themselves: a tensor ``[K, D]``, a list of ``[D]`` tensors, or :class:`Latents`.
        frames: T, number of frames (>= 1).
        keys: number of random keyframes K (>= 1) when *source* is a model or a dimension, or the keyframes
            themselves (``[K, D]``, checked against the model's D).
        seed: seed for the random keyframes.
        method: ``"slerp"`` (default; keeps norms typical for Gaussian priors) or ``"lerp"``.
        easing: a name from :data:`EASINGS` (``"linear"``, ``"cosine"``, ``"cubic"``, ...) or a callable,
            applied within each segment.
        loop: close the path back to the first keyframe.
        hold: fraction in [0, 1) of each segment spent resting on its keyframe.
        truncation: optional psi in (0, 1] for the random keyframes.
        condition: per-frame condition for conditional models (int label, ``[T]`` labels, ``[T, C]``).

    Returns:
        :class:`Latents` ``[T, D]``, computed chunk by chunk.

    Raises:
        InvalidInputError: bad frames, keys, seed, hold, or keyframes with NaN.
        UnknownNameError: unknown method or easing.
    """
    frames = check_frames(frames)
    hold = check_float(hold, "hold", low=0.0, high=0.999)
    if method not in _METHODS:
        from ..errors import unknown_name

        raise unknown_name("interpolation method", str(method), _METHODS)
    interp = _METHODS[method]
    ease_fn = _easing(easing)
    random_keys = (isinstance(source, int) and not isinstance(source, bool)) or (
        isinstance(source, LatentDecoder)
    )
    if random_keys and not isinstance(keys, (int, bool)) and keys is not None:
        # interpolate(model, frames, keys=tensor): explicit keyframes, checked against the model's D
        dim, _ = source_info(source)
        return interpolate(as_vectors(keys, "keys", dim=dim), frames, method=method, easing=easing, loop=loop,
                           hold=hold, condition=condition)
    if random_keys:
        if isinstance(keys, bool) or not isinstance(keys, int):
            raise InvalidInputError(f"keys must be the number of random keyframes (int >= 1), got {keys!r}.")
        check_seed(seed)
        dim, _ = source_info(source)
        kf = keyframes(source, keys, seed=seed, truncation=truncation)
        desc = describe_args("interpolate", source=source, frames=frames, keys=keys, seed=seed, method=method,
                             easing=easing if isinstance(easing, str) else "custom", loop=loop, hold=hold)
    else:
        kf = as_vectors(source, "keyframes")
        dim = kf.shape[1]
        desc = describe_args("interpolate", keyframes=kf, frames=frames, method=method,
                             easing=easing if isinstance(easing, str) else "custom", loop=loop, hold=hold)
    k = kf.shape[0]
    segments = k if loop else k - 1

    def fn(start: int, stop: int) -> torch.Tensor:
        i = torch.arange(start, stop, dtype=torch.float64)
        if segments == 0:
            return kf[:1].expand(stop - start, -1).clone()
        if loop:
            s = i * (segments / frames)
        else:
            s = i * (segments / (frames - 1)) if frames > 1 else torch.zeros_like(i)
        seg = s.floor().clamp(0, segments - 1)
        u = (s - seg).clamp(0.0, 1.0)
        if hold > 0:
            u = ((u - hold / 2) / (1 - hold)).clamp(0.0, 1.0)
        u = ease(u, ease_fn)
        idx = seg.long()
        a = kf[idx]
        b = kf[(idx + 1) % k]
        return interp(a, b, u)  # float32 result; raises if it does not fit (huge keyframes)

    return Latents(fn, frames, dim, condition=condition, loop=loop, description=desc)


def path_positions(frames: int, segments: int, loop: bool) -> torch.Tensor:
    """Positions ``s`` in ``[0, segments]`` of each frame along a keyframe path (for tests and plots)."""
    frames = check_frames(frames)
    i = torch.arange(frames, dtype=torch.float64)
    if loop:
        return i * (segments / frames)
    return i * (segments / (frames - 1)) if frames > 1 else torch.zeros(1, dtype=torch.float64)


def keyframe_list(values: Sequence[Any]) -> torch.Tensor:
    """Stack a list of ``[D]`` vectors into keyframes ``[K, D]`` (validated)."""
    return as_vectors(list(values), "keyframes")
