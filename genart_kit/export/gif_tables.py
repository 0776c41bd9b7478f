"""Choosing GIF colour tables by measured error: one shared palette, or local tables per run of frames.

One palette for a whole clip is flicker-free and small, but it cannot hold a clip whose colours travel (a
CPPN hue loop, a cross-fade between colourful images): every frame then gets only the few palette entries
near its own colours. Per-frame palettes (Pillow's default, ffmpeg ``stats_mode=single``) fit each frame
but change every frame, which flickers on smooth walks and costs a palette build per frame.

:func:`plan_tables` measures instead of guessing. It keeps a small deterministic sample of every frame's
pixels (:class:`FrameSamples`), fits a palette to a run of frames (at first the whole clip) and measures
each frame's error under it (mean squared RGB error of the sampled pixels against their nearest palette
colour). A run is split in two where that pays: when the two halves' own palettes lower the run's total
error by at least the preset's ``split_gain`` and the error is above the preset's floor. Halves are split
again by the same rule, so a clip that fits one palette keeps one global table (a colour-map walk: one
palette build and one error check), a clip that drifts gets a table per run of frames that share colours,
and frames are only given their own table when the error says so. Each table is reused across its whole
run, so within a run the mapping of a colour never changes (no flicker), and the GIF writer keeps
sub-rectangles and transparency for unchanged pixels across table changes (see :mod:`.gif`).

This is top-down (divisive) segmentation with a sum-of-squared-error cost, the temporal counterpart of the
median-cut split in :func:`.palette.build_palette` (Wu 1991); palettes are median cut plus weighted k-means
(Lloyd) refinement, as in libimagequant.

Presets (``quality=`` of :meth:`.gif.GifExporter.write`):

* ``"smallest"``: 128 colours per table unless ``colors=`` says otherwise, splits only for large gains
  (>= 25 %) into runs of at least 4 frames, the automatic colour lookup precision (about 20-40 % smaller
  files than ``"balanced"``, 2-8 dB lower PSNR on colourful clips);
* ``"balanced"`` (default): splits for gains >= 10 % down to single frames where the error says so, a 7-bit
  colour lookup, and keeps previous pixels only when they are at least as close to the source as the new
  colour (never lowers quality);
* ``"best"``: splits for gains >= 3 %, twice the sample per palette fit, more k-means iterations, and each
  run's table also fitted from scratch (kept when better).

Splits are tried in halves; when halves gain too little, quarters are tried too (a hue loop's halves each
span half the wheel, its quarters far less), so a travelling clip is not stopped at the first level.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..errors import InvalidInputError
from .palette import _keys24, _nearest, _rgb, _uniq, _unkey, build_palette, points_from_keys

__all__ = ["QUALITY_PRESETS", "Preset", "FrameSamples", "TableRun", "plan_tables", "preset"]


@dataclass(frozen=True)
class Preset:
    """Settings of one ``quality=`` preset (see the module docstring).

    Attributes:
        split_gain: a run is split when its halves' palettes lower its summed error by at least this fraction.
        min_run: fewest frames per colour table.
        floor_mse: no split when the run's mean squared error (8-bit RGB levels squared, summed over the
            three channels) is already below this.
        keep_tol: a pixel keeps the previous frame's colour when its squared error is at most the new
            colour's plus this (0: only when no worse).
        kmeans_iters: k-means refinement iterations per palette.
        min_lut_bits: lower bound of the colour lookup precision (bits per channel; one less for clips whose
            colours fill the RGB cube, where a finer table costs much more), or 0 for automatic.
        fit_points: most sampled pixels a run's palette is fitted to (evenly thinned beyond that).
        fresh_tables: also fit each final run's palette from scratch (median cut + k-means) and keep it when
            its error is lower (slower; warm-started k-means can stall in a poorer optimum).
        colors: palette size when the caller gives none.
    """

    split_gain: float
    min_run: int
    floor_mse: float
    keep_tol: float
    kmeans_iters: int
    min_lut_bits: int
    fit_points: int = 4096
    fresh_tables: bool = False
    colors: int = 256


QUALITY_PRESETS: dict[str, Preset] = {
    "smallest": Preset(split_gain=0.25, min_run=4, floor_mse=12.0, keep_tol=0.0, kmeans_iters=2, min_lut_bits=0, colors=128),
    "balanced": Preset(split_gain=0.10, min_run=1, floor_mse=3.0, keep_tol=0.0, kmeans_iters=4, min_lut_bits=7),
    "best": Preset(split_gain=0.03, min_run=1, floor_mse=0.75, keep_tol=0.0, kmeans_iters=8, min_lut_bits=7, fit_points=8192,
                   fresh_tables=True),
}


def preset(quality: str) -> Preset:
    """The :class:`Preset` named *quality* (``"smallest"``, ``"balanced"`` or ``"best"``).

    Raises:
        InvalidInputError: unknown name.
    """
    if not isinstance(quality, str) or quality not in QUALITY_PRESETS:
        raise InvalidInputError(f"quality must be one of {', '.join(QUALITY_PRESETS)}, got {quality!r}; "
                                f"'balanced' (the default) chooses colour tables by measured error.")
    return QUALITY_PRESETS[quality]


class FrameSamples:
    """A deterministic sample of each frame's opaque pixels, kept per frame (bounded: ``4 * target`` bytes a frame).

    Each frame contributes a regular grid of about *target* pixels, shifted by a different offset in each
    frame so that over a few frames every pixel position is visited.

    Args:
        height, width: frame size in pixels.
        target: pixels sampled per frame (default 2,048).
    """

    def __init__(self, height: int, width: int, target: int = 2048) -> None:
        s = 1
        while -(-height // s) * -(-width // s) > target:
            s += 1
        self.stride = s
        self.keys: list[np.ndarray] = []

    def add(self, batch: np.ndarray, alpha_mask: np.ndarray | None = None) -> None:
        """Add a batch ``[B, H, W, C]`` uint8 (C in 1, 3, 4); *alpha_mask* ``[B, H, W]`` bool marks opaque pixels."""
        rgb = _rgb(batch)
        s = self.stride
        for i in range(rgb.shape[0]):
            k = len(self.keys)
            oy, ox = (k * 5) % s, (k * 3 + k // s) % s
            sample = rgb[i, oy::s, ox::s]
            if alpha_mask is not None:
                sample = sample[alpha_mask[i, oy::s, ox::s]]
            self.keys.append(_keys24(sample).ravel())

    def __len__(self) -> int:
        return len(self.keys)


@dataclass
class TableRun:
    """Frames ``start <= i < stop`` use *palette* (``[K, 3]`` uint8); ``errors[i - start]`` is frame i's sampled MSE."""

    start: int
    stop: int
    palette: np.ndarray
    errors: np.ndarray


def _points(keys: list[np.ndarray], max_points: int) -> tuple[np.ndarray, np.ndarray]:
    allk = np.concatenate(keys) if keys else np.zeros(0, np.uint32)
    if allk.size > max_points:  # an even, deterministic thinning of the run's samples
        allk = allk[np.linspace(0, allk.size - 1, max_points).astype(np.int64)]
    return points_from_keys(allk, max_points)


def _fit(keys: list[np.ndarray], colors: int, iters: int, max_points: int) -> np.ndarray:
    """Median cut + k-means palette for the sampled frames *keys*."""
    pts, wts = _points(keys, max_points)
    if len(pts) == 0:
        return np.zeros((1, 3), np.uint8)
    return build_palette(pts, wts, colors, kmeans_iters=iters)


def _refine(start: np.ndarray, keys: list[np.ndarray], iters: int, max_points: int) -> np.ndarray:
    """Weighted k-means (Lloyd) on the sampled frames *keys*, starting from palette *start* ``[K, 3]``.

    Centres left without points (colours of the parent run absent here) move to the points farthest from
    their centres, so no entry is wasted. Warm starting keeps neighbouring runs' palettes alike and costs a
    few nearest-colour passes instead of a median cut.
    """
    pts, w = _points(keys, max_points)
    if len(pts) == 0:
        return start
    pts = pts.astype(np.float32)
    pal = start.astype(np.float32)
    k = len(pal)
    for _ in range(max(1, iters)):
        lab = _nearest(pts, pal)
        d = ((pts - pal[lab]) ** 2).sum(1)
        cnt = np.bincount(lab, weights=w, minlength=k)
        new = np.stack([np.bincount(lab, weights=w * pts[:, c], minlength=k) for c in range(3)], axis=1)
        nz = cnt > 0
        pal[nz] = new[nz] / cnt[nz, None]
        empty = np.flatnonzero(~nz)
        if empty.size:
            far = np.argsort(-(d * w), kind="stable")[:empty.size]
            pal[empty[:far.size]] = pts[far]
    out = np.clip(np.rint(pal), 0, 255).astype(np.uint8)
    return _unkey(np.unique(_keys24(out)))


def _errors(keys: list[np.ndarray], pal: np.ndarray) -> np.ndarray:
    """Per-frame mean squared RGB error of the sampled pixels against their nearest colour in *pal*."""
    keys = [k[::4] for k in keys]  # a quarter of the sample estimates a frame's mean error well enough
    sizes = np.array([k.size for k in keys])
    out = np.zeros(len(keys))
    if sizes.sum() == 0:
        return out
    # each distinct colour once (clips repeat colours across frames); the integer distances are exact in float32
    distinct, inv = _uniq(np.concatenate(keys), inverse=True)
    x = _unkey(distinct).astype(np.float32)
    d = ((x - pal.astype(np.float32)[_nearest(x, pal)]) ** 2).sum(1)[inv]
    nz = sizes > 0
    starts = np.concatenate([[0], np.cumsum(sizes)[:-1]])
    out[nz] = np.add.reduceat(d, starts[nz]) / sizes[nz]
    return out


def plan_tables(samples: FrameSamples, colors: int, quality: Preset, palette: np.ndarray | None = None) -> list[TableRun]:
    """Split the sampled clip into runs of frames, each with its own palette, by measured error.

    Args:
        samples: the clip's per-frame samples (at least one frame).
        colors: opaque colours per palette, 1..255.
        quality: the preset's thresholds.
        palette: the whole clip's palette if already built (``[K, 3]`` uint8), else it is fitted here.

    Returns:
        runs covering frames ``0 .. len(samples)`` in order; one run means one global table.

    Raises:
        InvalidInputError: *samples* is empty.
    """
    n = len(samples)
    if n == 0:
        raise InvalidInputError("no frames to plan colour tables for.")
    keys = samples.keys
    pal = _fit(keys, colors, quality.kmeans_iters, quality.fit_points) if palette is None else palette
    todo = [TableRun(0, n, pal, _errors(keys, pal))]
    done: list[TableRun] = []
    m = quality.fit_points

    def halves(run: TableRun) -> list[TableRun]:
        mid = (run.start + run.stop) // 2
        out = []
        for a, b in ((run.start, mid), (mid, run.stop)):
            p = _refine(run.palette, keys[a:b], quality.kmeans_iters, m)
            out.append(TableRun(a, b, p, _errors(keys[a:b], p)))
        return out

    while todo:
        run = todo.pop()
        length = run.stop - run.start
        total = run.errors.sum()
        if length < 2 * quality.min_run or run.errors.mean() <= quality.floor_mse:
            done.append(run)
            continue
        two = halves(run)
        split = sum(h.errors.sum() for h in two) <= (1.0 - quality.split_gain) * total
        if not split and length >= 4 * quality.min_run:  # look one level further: gains may show only there
            four = [q for h in two for q in halves(h)]
            split = sum(q.errors.sum() for q in four) <= (1.0 - 1.5 * quality.split_gain) * total
        if split:
            todo.extend(reversed(two))
        else:
            done.append(run)
    done.sort(key=lambda r: r.start)
    if len(done) > 1 and quality.fresh_tables:  # a fresh median cut + k-means per run (warm starts can stall)
        for r in done:
            fresh = _fit(keys[r.start:r.stop], colors, quality.kmeans_iters, m)
            err = _errors(keys[r.start:r.stop], fresh)
            if err.sum() < r.errors.sum():
                r.palette, r.errors = fresh, err
    return done
