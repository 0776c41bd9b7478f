"""Random walks, truncation, latent vector arithmetic, grid sweeps and class sweeps."""

from __future__ import annotations

from typing import Any, Sequence

import torch

from ..errors import InvalidInputError
from .core import Latents, as_vectors, check_float, check_frames, check_seed, describe_args, from_tensor, source_info


def _reflect(x: torch.Tensor, bound: float) -> torch.Tensor:
    """Fold *x* into ``[-bound, bound]`` by mirror reflection at the walls (continuous, distance-preserving)."""
    period = 4 * bound
    y = torch.remainder(x + bound, period)
    y = torch.where(y > 2 * bound, period - y, y)
    return y - bound


def random_walk(
    source: Any,
    frames: int = 96,
    *,
    seed: int = 0,
    step: float = 0.15,
    bound: float = 3.0,
    start: Any = None,
    condition: Any = None,
) -> Latents:
    """A bounded, seeded random walk that stays typical for the N(0, I) prior.

    Each frame moves by an Ornstein-Uhlenbeck step ``z[t+1] = rho z[t] + step * eps``, ``eps ~ N(0, I)``,
    ``rho = sqrt(1 - step^2)``, which keeps every frame N(0, I) distributed (a plain Brownian walk drifts
    off to large norms the model never saw). The path is then folded into ``[-bound, bound]`` per coordinate
    by mirror reflection, so it stays bounded and continuous. For a walk that loops, use :func:`noise_loop`.

    Args:
        source: a model or an int latent dimension D.
        frames: T (>= 1).
        seed: RNG seed (also draws the start unless *start* is given).
        step: per-frame step size in (0, 1]; 0.05 drifts slowly, 0.5 jitters.
        bound: per-coordinate bound (> 0), in prior standard deviations.
        start: optional first latent ``[D]``.
        condition: per-frame condition for conditional models.

    Returns:
        :class:`Latents` ``[T, D]``, computed lazily in blocks of 1,024 frames (any length streams).

    Raises:
        InvalidInputError: bad frames, seed, step, bound or start.
    """
    frames = check_frames(frames)
    check_seed(seed)
    step = check_float(step, "step", low=0.0, high=1.0, low_open=True)
    bound = check_float(bound, "bound", low=0.0, high=1e6, low_open=True)
    dim, _ = source_info(source)
    from ..generative import seeded_generator

    z0 = torch.randn(dim, generator=seeded_generator(seed), dtype=torch.float64)
    if start is not None:
        z0 = as_vectors(start, "start", dim=dim)[0].to(torch.float64)
    walk = _BlockWalk(z0, frames, seed, step, bound)
    desc = describe_args("random_walk", source=source, frames=frames, seed=seed, step=step, bound=bound)
    return Latents(walk.chunk, frames, dim, condition=condition, description=desc)


class _BlockWalk:
    """The random walk computed lazily, block by block (the pipeline streams it; nothing is materialised).

    Block ``k`` (frames ``[k B, (k + 1) B)``) draws its noise from its own generator seeded by
    ``(seed, k)``, so any block is reproducible; the state entering each block is cached once reached.
    """

    BLOCK = 1024

    def __init__(self, z0: torch.Tensor, frames: int, seed: int, step: float, bound: float) -> None:
        self.frames, self.seed, self.step, self.bound = frames, seed, step, bound
        self.rho = (1.0 - step * step) ** 0.5
        self.states: dict[int, torch.Tensor] = {0: z0}
        self.cache: tuple[int, torch.Tensor] | None = None
        self.lock = __import__("threading").Lock()

    def _block(self, k: int) -> torch.Tensor:
        if self.cache is not None and self.cache[0] == k:
            return self.cache[1]
        known = max(i for i in self.states if i <= k)
        for b in range(known, k + 1):
            z = self.states[b]
            n = min(self.BLOCK, self.frames - b * self.BLOCK)
            g = torch.Generator().manual_seed((self.seed * 0x9E3779B97F4A7C15 + b + 1) % (2**63))
            noise = torch.randn(n, z.shape[0], generator=g, dtype=torch.float64) * self.step
            out = torch.empty(n, z.shape[0], dtype=torch.float64)
            for i in range(n):
                out[i] = z
                z = self.rho * z + noise[i]
            self.states[b + 1] = z
            self.cache = (b, _reflect(out, self.bound).to(torch.float32))
        assert self.cache is not None
        return self.cache[1]

    def chunk(self, a: int, b: int) -> torch.Tensor:
        parts = []
        with self.lock:
            pos = a
            while pos < b:
                k = pos // self.BLOCK
                block = self._block(k)
                lo = pos - k * self.BLOCK
                hi = min(b - k * self.BLOCK, block.shape[0])
                parts.append(block[lo:hi])
                pos = k * self.BLOCK + hi
        return torch.cat(parts) if len(parts) > 1 else parts[0].clone()


def attribute_vector(latents: Any, labels: Any, positive: int, negative: int | None = None) -> torch.Tensor:
    """A direction in latent space from labelled encodings: ``mean(z | positive) - mean(z | negative)``.

    The latent "vector arithmetic" of Radford et al., DCGAN (2016) and White (2016): e.g. the mean latent of
    class 3 minus the mean latent of class 8; add a multiple of it to a path with :func:`shift`. With
    ``negative=None`` the reference is the mean of all latents.

    Args:
        latents: ``[N, D]`` tensor or :class:`Latents` (e.g. from :func:`genart_kit.latent.encode`).
        labels: ``[N]`` integer labels.
        positive: label whose mean is the head of the vector.
        negative: label whose mean is the tail (default: all latents).

    Returns:
        float32 CPU tensor ``[D]``.

    Raises:
        InvalidInputError: mismatched lengths, or no latent carries the requested label.
    """
    z = as_vectors(latents, "latents")
    lab = torch.as_tensor(labels).reshape(-1).to("cpu")
    if lab.shape[0] != z.shape[0]:
        raise InvalidInputError(f"got {lab.shape[0]} labels for {z.shape[0]} latents; pass one label per latent.")
    if lab.is_floating_point():
        raise InvalidInputError("labels must be integers.")

    def mean_of(label: int) -> torch.Tensor:
        mask = lab == int(label)
        if not bool(mask.any()):
            present = sorted({int(v) for v in lab.tolist()})
            raise InvalidInputError(f"no latent has label {label}; labels present: {present}.")
        return z[mask].to(torch.float64).mean(0)

    ref = z.to(torch.float64).mean(0) if negative is None else mean_of(negative)
    return (mean_of(positive) - ref).to(torch.float32)


def shift(latents: Latents, direction: Any, amount: Any = 1.0) -> Latents:
    """Move a path along a direction: ``z[t] + amount[t] * direction``.

    Args:
        latents: the path ``[T, D]``.
        direction: a vector ``[D]`` (e.g. from :func:`attribute_vector`).
        amount: a number, a ``(start, stop)`` pair ramped linearly over the T frames, or ``[T]`` values.

    Returns:
        a new lazy :class:`Latents`.

    Raises:
        InvalidInputError: wrong D, wrong number of amounts, NaN.
    """
    if not isinstance(latents, Latents):
        raise InvalidInputError(f"shift takes Latents, got {type(latents).__name__}; wrap tensors with ga.latent.from_tensor.")
    d = as_vectors(direction, "direction", dim=latents.dim)[0]
    n = len(latents)
    if isinstance(amount, tuple) and len(amount) == 2:
        a0 = check_float(amount[0], "amount start")
        a1 = check_float(amount[1], "amount stop")
        amounts = torch.linspace(a0, a1, n, dtype=torch.float32)
    elif isinstance(amount, (int, float)) and not isinstance(amount, bool):
        amounts = torch.full((n,), check_float(amount, "amount"), dtype=torch.float32)
    else:
        amounts = torch.as_tensor(amount, dtype=torch.float32).reshape(-1)
        if amounts.shape[0] != n or not torch.isfinite(amounts).all():
            raise InvalidInputError(f"amount must be a number, a (start, stop) pair or {n} finite values.")
    out = Latents(lambda a, b: latents.chunk(a, b) + amounts[a:b, None] * d, n, latents.dim,
                  condition=latents.condition, loop=latents.loop and bool((amounts == amounts[0]).all()),
                  description=f"shift({latents.description})")
    return out


def orthonormal_directions(dim: int, n: int, seed: int) -> torch.Tensor:
    """*n* random orthonormal directions ``[n, D]`` (QR of a Gaussian matrix, seeded). Requires ``n <= D``."""
    from ..generative import seeded_generator

    if n > dim:
        raise InvalidInputError(f"cannot pick {n} orthogonal directions in a {dim}-dimensional latent space.")
    g = torch.randn(dim, n, generator=seeded_generator(seed), dtype=torch.float64)
    q, r = torch.linalg.qr(g)
    q = q * torch.sign(torch.diagonal(r)).where(torch.diagonal(r) != 0, torch.ones(n, dtype=torch.float64))
    return q.T.to(torch.float32).contiguous()


def grid_sweep(
    source: Any,
    rows: int = 8,
    cols: int = 8,
    *,
    directions: Any = None,
    center: Any = None,
    extent: float = 2.0,
    seed: int = 0,
    order: str = "raster",
) -> Latents:
    """Latents on a rows x cols grid spanned by two latent directions: ``center + u d1 + v d2``.

    ``u`` runs over ``cols`` values in ``[-extent, extent]`` and ``v`` over ``rows`` values (top row first).
    Decode and lay out with ``(lat | model).sheet(cols=cols)`` for one grid image, or play it as an
    animation with ``order="snake"`` (boustrophedon: every step moves to a neighbouring cell).

    Args:
        source: a model or an int latent dimension D.
        rows, cols: grid size (each >= 1).
        directions: ``[2, D]`` directions (e.g. attribute vectors); default two random orthonormal ones.
        center: the grid's centre ``[D]`` (default the prior mean 0).
        extent: half-width of the sweep in units of the directions (> 0).
        seed: seed for the random directions.
        order: ``"raster"`` (row by row, left to right) or ``"snake"``.

    Returns:
        :class:`Latents` ``[rows * cols, D]``.

    Raises:
        InvalidInputError: bad grid size, extent, directions, center or order.
    """
    for name, v in (("rows", rows), ("cols", cols)):
        if isinstance(v, bool) or not isinstance(v, int) or not 1 <= v <= 1024:
            raise InvalidInputError(f"{name} must be an int in [1, 1024], got {v!r}.")
    extent = check_float(extent, "extent", low=0.0, high=1e6, low_open=True)
    check_seed(seed)
    if order not in ("raster", "snake"):
        raise InvalidInputError(f"order must be 'raster' or 'snake', got {order!r}.")
    dim, _ = source_info(source)
    if directions is None:
        if dim >= 2:
            dirs = orthonormal_directions(dim, 2, seed)
        else:
            dirs = torch.ones(2, 1)
    else:
        dirs = as_vectors(directions, "directions", dim=dim)
        if dirs.shape[0] != 2:
            raise InvalidInputError(f"directions must be two vectors [2, {dim}], got {dirs.shape[0]}.")
    c = torch.zeros(dim) if center is None else as_vectors(center, "center", dim=dim)[0]
    us = torch.linspace(-extent, extent, cols) if cols > 1 else torch.zeros(1)
    vs = torch.linspace(extent, -extent, rows) if rows > 1 else torch.zeros(1)
    cells = []
    for r in range(rows):
        row = range(cols) if (order == "raster" or r % 2 == 0) else range(cols - 1, -1, -1)
        for col in row:
            cells.append(c + us[col] * dirs[0] + vs[r] * dirs[1])
    lat = from_tensor(torch.stack(cells))
    lat.description = describe_args("grid_sweep", source=source, rows=rows, cols=cols, extent=extent, seed=seed, order=order)
    return lat


def conditioned_path(source: Any, latents: Any, frames: int, dim: int, condition: Any, *, seed: int,
                     loop: bool) -> Latents:
    """A path of *frames* latents carrying *condition*: *latents* itself when it is a :class:`Latents` of T
    frames, else one fixed latent (the ``[D]`` vector given, or drawn from *source* with *seed*) held still.

    Raises:
        InvalidInputError: a path of the wrong length or latent size, or a bad vector.
    """
    if isinstance(latents, Latents):
        if len(latents) != frames or latents.dim != dim:
            raise InvalidInputError(f"latents must be a path of {frames} frames and D={dim}, got {list(latents.shape)}.")
        return latents.with_condition(condition)
    if latents is None:
        from .core import keyframes

        z = keyframes(source, 1, seed=seed)[0]
    else:
        vectors = as_vectors(latents, "latents", dim=dim)
        if len(vectors) != 1:  # several rows would silently freeze on the first: say what is accepted
            raise InvalidInputError(f"latents must be one latent [{dim}] or a path of {frames} frames "
                                    f"(ga.latent.from_tensor(z) for a [{frames}, {dim}] tensor), got {len(vectors)} rows.")
        z = vectors[0]
    return Latents(lambda a, b: z.expand(b - a, -1).clone(), frames, dim, condition=condition, loop=loop)


def class_sweep(
    source: Any,
    frames: int = 50,
    classes: Sequence[int] | None = None,
    *,
    latents: Any = None,
    seed: int = 0,
    blend: float = 0.0,
    loop: bool = False,
) -> Latents:
    """Step a class-conditional model through classes (e.g. count 0 -> 9) while the latent stays put.

    Each class gets an equal share of the T frames (earlier classes take the remainder). With
    ``blend > 0`` the condition is a one-hot vector ``[T, num_classes]`` that cross-fades into the next class
    over that fraction of each segment (for models that accept soft class vectors); with ``blend=0`` it is
    a label per frame.

    Args:
        source: a class-conditional model (uses ``num_classes``).
        frames: T (>= number of classes).
        classes: the labels in order (default ``0 .. num_classes - 1``).
        latents: a fixed latent ``[D]``, or a :class:`Latents` path of T frames to animate at the same
            time (e.g. a noise loop); default one random latent drawn with *seed*.
        seed: seed for the default latent.
        blend: fraction in [0, 1] of each segment spent cross-fading (soft one-hot vectors).
        loop: cross-fade the last class back into the first (only with ``blend > 0``).

    Returns:
        :class:`Latents` ``[T, D]`` with a ``[T]`` label or ``[T, num_classes]`` condition.

    Raises:
        InvalidInputError: unconditional model, labels out of range, too few frames, bad latents.
    """
    frames = check_frames(frames)
    check_seed(seed)
    blend = check_float(blend, "blend", low=0.0, high=1.0)
    dim, model = source_info(source)
    num_classes = getattr(model, "num_classes", None) if model is not None else None
    if not num_classes:
        raise InvalidInputError("class_sweep needs a class-conditional model such as 'cgan-mnist' or 'cvae-mnist'.")
    labels = list(range(num_classes)) if classes is None else [int(c) for c in classes]
    if not labels:
        raise InvalidInputError("classes is empty; pass at least one class label.")
    bad = [c for c in labels if not 0 <= c < num_classes]
    if bad:
        raise InvalidInputError(f"class labels {bad} out of range for this model: labels must be 0..{num_classes - 1}.")
    n = len(labels)
    if frames < n:
        raise InvalidInputError(f"frames={frames} is fewer than the {n} classes to show; use frames >= {n}.")
    sizes = [frames // n + (1 if i < frames % n else 0) for i in range(n)]
    seg = torch.cat([torch.full((s,), i, dtype=torch.int64) for i, s in enumerate(sizes)])
    if blend > 0:
        starts = torch.tensor([sum(sizes[:i]) for i in range(n)], dtype=torch.float64)
        pos = (torch.arange(frames, dtype=torch.float64) - starts[seg]) / torch.tensor(sizes, dtype=torch.float64)[seg]
        w = ((pos - (1 - blend)) / max(blend, 1e-9)).clamp(0, 1)
        w = 0.5 - 0.5 * torch.cos(torch.pi * w)
        nxt = seg + 1
        if loop:
            nxt = nxt % n
        else:
            w = torch.where(nxt >= n, torch.zeros_like(w), w)
            nxt = nxt.clamp(max=n - 1)
        lab = torch.tensor(labels, dtype=torch.int64)
        cond = torch.zeros(frames, num_classes, dtype=torch.float32)
        cond[torch.arange(frames), lab[seg]] += (1 - w).float()
        cond[torch.arange(frames), lab[nxt]] += w.float()
    else:
        cond = torch.tensor(labels, dtype=torch.int64)[seg]
    out = conditioned_path(source, latents, frames, dim, cond, seed=seed, loop=loop and blend > 0)
    out.description = describe_args("class_sweep", source=source, frames=frames, classes=labels, seed=seed, blend=blend)
    return out
