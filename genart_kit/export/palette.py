"""Shared colour palettes and fast, temporally stable colour mapping for GIF export.

Why a shared palette: Pillow's default GIF path quantises every frame on its own (median cut, 256 colours
per frame). On a smooth colour walk the palette of frame *t+1* differs slightly from frame *t*'s, so flat
areas jump between neighbouring colours from frame to frame (flicker), and running median cut on every
frame is slow (about 0.1 s per 256x256 frame). Here one palette serves the whole clip:

1. :class:`ColorHistogram` keeps a bounded, deterministic sample of the clip's pixels (a shifted grid of
   about 4,096 pixels per frame); its distinct colours, binned into cells only when there are more than
   16,384 of them, are the weighted points the palette is fitted to. It also tracks the exact colours while there are few of them, so clips with at most ``colors`` distinct
   colours (greyscale MNIST, flat test patterns) are exported losslessly.
2. :func:`build_palette` picks ``K`` colours: a variance-minimising median cut (each split takes the box
   with the largest weighted squared error and cuts it along its widest-variance axis at the position that
   minimises the two halves' squared error, as in Wu 1991, "Efficient statistical computations for optimal
   color quantization", Graphics Gems II) followed by a few weighted k-means (Lloyd) iterations, which is the
   refinement step of most modern quantisers (e.g. pngquant/libimagequant).
3. :class:`ColorMapper` maps pixels to palette indices through a lazily filled 3D lookup table: the key of a
   pixel is its colour at ``lut_bits`` per channel, and each table cell holds the palette index nearest to
   the cell centre (exact integer arithmetic, ties to the lowest index, hence deterministic). Only cells
   that actually occur are computed (at 5 bits the whole 32,768-cell table is filled at once), so a clip
   costs a few thousand nearest-colour searches instead of one per pixel.

Dithering (optional): ``"bayer"`` adds an 8x8 ordered-dither threshold (Bayer 1973) before the lookup. The
threshold depends only on the pixel position, so a pixel whose colour does not change keeps its index in
every frame: ordered dithering is temporally stable and is the right choice for animation.
``"floyd-steinberg"`` (error diffusion, Floyd & Steinberg 1976, via Pillow) gives smoother stills but an
error that changes anywhere propagates along the rest of the scan line, so static areas "crawl" from frame
to frame; use it for stills or very slow walks.
"""

from __future__ import annotations

import heapq
from typing import Any, Literal

import numpy as np

from ..errors import InvalidInputError

__all__ = ["ColorHistogram", "build_palette", "points_from_keys", "ColorMapper", "DITHER_MODES", "bayer_matrix"]

DITHER_MODES = ("none", "bayer", "floyd-steinberg")
Dither = Literal["none", "bayer", "floyd-steinberg"]

_HBITS = 6  # histogram cells: 6 bits per channel (262,144 cells)


def _rgb(frames: np.ndarray) -> np.ndarray:
    """``[..., C]`` uint8 with C in {1, 3, 4} -> ``[..., 3]`` uint8 (grey repeated, alpha dropped)."""
    c = frames.shape[-1]
    if c == 3:
        return frames
    if c == 4:
        return frames[..., :3]
    return np.repeat(frames, 3, axis=-1)


def _keys24(rgb: np.ndarray) -> np.ndarray:
    """``[..., 3]`` uint8 colours -> ``[...]`` uint32 keys ``0xRRGGBB``.

    The bytes are laid out as little-endian 32-bit words (B, G, R, 0) and viewed as integers: three byte
    copies instead of three casts, two shifts and two ors (about 1.5x faster on a frame).
    """
    out = np.zeros(rgb.shape[:-1] + (4,), np.uint8)
    out[..., 0] = rgb[..., 2]
    out[..., 1] = rgb[..., 1]
    out[..., 2] = rgb[..., 0]
    return out.view("<u4")[..., 0].astype(np.uint32, copy=False)


class ColorHistogram:
    """Accumulates a deterministic sample of a clip's colours for :func:`build_palette`.

    Each frame contributes the pixels of a regular grid with spacing ``stride`` (about 4,096 pixels per
    frame by default), shifted by a different offset in each frame so that over a few frames every pixel
    position is visited. When the sample exceeds ``max_samples`` it is thinned by half (and later frames are
    thinned the same way), so memory is bounded (``4 * max_samples`` bytes) whatever the clip length.

    It also tracks the exact set of colours while it has at most ``colors`` entries (a 16 MiB table, freed
    as soon as there are more), so clips with few distinct colours (greyscale MNIST, flat test patterns)
    are exported losslessly.

    Args:
        colors: palette size the sample is for.
        stride: grid spacing in pixels (use :meth:`auto_stride`).
        max_samples: sample size cap.
    """

    def __init__(self, colors: int, stride: int = 1, max_samples: int = 1 << 20) -> None:
        self.colors = colors
        self.stride = max(1, int(stride))
        self.max_samples = max_samples
        self._keys: list[np.ndarray] = []
        self._n = 0
        self._thin = 1
        self._frame = 0
        self._seen: np.ndarray | None = np.zeros(1 << 24, np.bool_)
        self._counts: tuple[np.ndarray, np.ndarray] | None = None  # (distinct sampled keys, counts), until the next add

    @staticmethod
    def auto_stride(height: int, width: int, target: int = 4096) -> int:
        """Smallest grid spacing that samples at most about *target* pixels per frame."""
        s = 1
        while -(-height // s) * -(-width // s) > target:
            s += 1
        return s

    def add(self, batch: np.ndarray, alpha_mask: np.ndarray | None = None) -> None:
        """Add a batch ``[B, H, W, C]`` uint8; *alpha_mask* ``[B, H, W]`` bool marks opaque pixels (or None)."""
        rgb = _rgb(batch)
        before = len(self._keys)
        self._counts = None
        s = self.stride
        for i in range(rgb.shape[0]):
            k = self._frame
            self._frame += 1
            oy, ox = (k * 5) % s, (k * 3 + k // s) % s  # visits every offset of the s x s cell over s*s frames
            sample = rgb[i, oy::s, ox::s]
            if alpha_mask is not None:
                sample = sample[alpha_mask[i, oy::s, ox::s]]
            keys = _keys24(sample).ravel()[:: self._thin]
            if keys.size:
                self._keys.append(keys)
                self._n += keys.size
        new = self._keys[before:]
        if self._seen is not None and new:
            # the sample alone can prove there are too many colours, without scanning every pixel; the first
            # frame's sample usually does (a tenth of the sort), else the batch's whole sample is counted
            if len(_uniq(new[0])) > self.colors or len(_uniq(np.concatenate(new))) > self.colors:
                self._seen = None
        if self._seen is not None:
            keys = _keys24(rgb if alpha_mask is None else rgb[alpha_mask])
            self._seen[keys.ravel()] = True
            if np.count_nonzero(self._seen) > self.colors:
                self._seen = None
        if self._n > self.max_samples:
            allk = np.concatenate(self._keys)[::2]
            self._keys = [allk]
            self._n = allk.size
            self._thin *= 2

    def exact_colors(self) -> np.ndarray | None:
        """The distinct colours ``[N, 3]`` uint8 (sorted) if there are at most ``colors`` of them, else None."""
        if self._seen is None:
            return None
        return _unkey(np.flatnonzero(self._seen))

    def cells(self, max_points: int = 1 << 14) -> tuple[np.ndarray, np.ndarray]:
        """Weighted colour points for :func:`build_palette`: mean colours ``[M, 3]`` float64, weights ``[M]``.

        The distinct sampled colours themselves when there are at most *max_points*; otherwise they are
        binned into cells of 6, 5, 4 or 3 bits per channel (the finest that fits; 3 bits is the floor) (each point is the mean colour of its cell).
        """
        if not self._keys:
            return np.zeros((0, 3)), np.zeros(0)
        return _points_from_distinct(*self._distinct(), max_points)

    def _distinct(self) -> tuple[np.ndarray, np.ndarray]:
        """``(keys, counts)``: the sample's distinct 24-bit colours (sorted) and how often each was sampled.

        Computed once per state of the sample (one sort) and shared by :meth:`cells` and :meth:`lut_bits`.
        """
        if self._counts is None:
            self._counts = _uniq(np.concatenate(self._keys), counts=True)
        return self._counts

    def lut_bits(self, budget: int = 1 << 15) -> int:
        """Largest LUT precision (7, 6 or 5 bits) whose occupied cells in the sample stay within *budget*."""
        if not self._keys:
            return 7
        keys = self._distinct()[0]
        for bits in (7, 6):
            mask = np.uint32(((0xFF << (8 - bits)) & 0xFF) * 0x010101)
            if len(_uniq(keys & mask)) <= budget:
                return bits
        return 5


def points_from_keys(keys: np.ndarray, max_points: int = 1 << 14) -> tuple[np.ndarray, np.ndarray]:
    """Weighted colour points ``([M, 3]`` float64 means, ``[M]`` weights) from 24-bit colour keys ``0xRRGGBB``.

    The distinct colours themselves when there are at most *max_points*; otherwise they are binned into cells
    of 6, 5, 4 or 3 bits per channel (the finest that fits; 3 bits is the floor), each point the mean colour
    of its cell weighted by its pixel count.
    """
    return _points_from_distinct(*_uniq(keys, counts=True), max_points)


def _points_from_distinct(keys: np.ndarray, counts: np.ndarray, max_points: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`points_from_keys` for keys already made distinct (sorted ``[N]`` uint32 keys, ``[N]`` counts)."""
    if len(keys) <= max_points:
        return _unkey(keys).astype(np.float64), counts.astype(np.float64)
    rgb = _unkey(keys)
    wts = counts.astype(np.float64)
    for bits in (6, 5, 4, 3):
        q = (rgb >> (8 - bits)).astype(np.int64)
        cell = (q[:, 0] << (2 * bits)) | (q[:, 1] << bits) | q[:, 2]
        w = np.bincount(cell, weights=wts, minlength=1 << (3 * bits))
        occ = np.flatnonzero(w)
        if len(occ) <= max_points:
            break
    sums = np.stack([np.bincount(cell, weights=wts * rgb[:, c], minlength=1 << (3 * bits))[occ] for c in range(3)], axis=1)
    return sums / w[occ, None], w[occ]


def _uniq(a: np.ndarray, counts: bool = False, inverse: bool = False) -> Any:
    """Sorted unique values (plus counts / inverse indices) by one stable sort.

    ``np.unique`` in numpy >= 2.3 goes through a hash table first, which is about 10x slower than sorting for
    the integer keys used here.
    """
    a = np.asarray(a).ravel()
    order = _radix_order(a)
    if order is None and inverse:
        order = np.argsort(a, kind="stable")
    srt = np.sort(a) if order is None else a[order]
    flag = np.empty(srt.size, np.bool_)
    if srt.size:
        flag[0] = True
        np.not_equal(srt[1:], srt[:-1], out=flag[1:])
    u = srt[flag]
    if not (counts or inverse):
        return u
    out: list[np.ndarray] = [u]
    if counts:
        starts = np.flatnonzero(flag)
        out.append(np.diff(np.append(starts, srt.size)))
    if inverse:
        inv = np.empty(a.size, np.int64)
        inv[order] = np.cumsum(flag) - 1
        out.append(inv)
    return tuple(out)


def _radix_order(a: np.ndarray) -> np.ndarray | None:
    """Stable sorting permutation of a large 1-D array of 32-bit (or narrower) non-negative integers, or None.

    Two stable passes over the 16-bit halves (numpy sorts 16-bit integers by radix sort, stable) take about
    half the time of one comparison sort of the 32-bit values; None for small, signed-negative or wider arrays.
    """
    if a.size < 4096 or a.dtype.kind not in "ui" or a.dtype.itemsize > 4 or (a.dtype.kind == "i" and a.min() < 0):
        return None
    u = a.astype(np.uint32, copy=False)
    order = np.argsort((u & 0xFFFF).astype(np.uint16), kind="stable")
    hi = (u >> 16).astype(np.uint16)
    if not hi.any():
        return order
    return order[np.argsort(hi[order], kind="stable")]


def _unkey(keys: np.ndarray) -> np.ndarray:
    keys = keys.astype(np.uint32)
    return np.stack([(keys >> 16) & 255, (keys >> 8) & 255, keys & 255], axis=1).astype(np.uint8)


def _median_cut(pts: np.ndarray, w: np.ndarray, colors: int) -> np.ndarray:
    """Variance-minimising median cut of weighted points ``[M, 3]`` into at most *colors* boxes; their means ``[K, 3]``.

    Each step takes the box with the largest weighted squared error (the leftmost on ties) and cuts it along
    its highest-variance axis, between distinct values, where the two halves' squared error is smallest.
    A box's cut depends only on the box, so cuts are computed for many boxes at once (:func:`_cut_boxes`:
    the boxes that could still be cut, padded into one array) and the greedy order replays them.
    """
    wx = pts * w[:, None]
    wx2 = (pts * wx).sum(1)
    # integer colours and weights (exact colours and pixel counts, the usual input) with small totals: every
    # sum is exact whatever its order
    exact = bool(np.all(pts == np.rint(pts)) and np.all(w == np.rint(w)) and w.sum() * 3 * 255.0 ** 2 < 2.0 ** 52)
    # boxes by their path in the tree of cuts ("" the root, + "0" left / "1" right): sorting the paths sorts the
    # boxes left to right. A heap of (-SSE, path) gives the largest error first, the leftmost box on ties.
    # a box: (point indices, weight sum, weighted colour sum as a list of 3 floats: cheap to gather into arrays)
    boxes: dict[str, tuple[np.ndarray, float, list[float]]] = {"": (np.arange(len(pts)), w.sum(), wx.sum(0).tolist())}
    heap: list[tuple[float, str]] = [(-np.inf, "")]
    cuts: dict[str, list[tuple[np.ndarray, float, list[float], float]]] = {}
    while len(boxes) < colors and heap[0][0] < 0:
        path = heap[0][1]
        if path not in cuts:  # cut this box and the next ones that may be cut, in one pass
            left = colors - len(boxes)
            todo = [p for key, p in heapq.nsmallest(left, heap) if key < 0 and p not in cuts]
            cuts.update(zip(todo, _cut_boxes([boxes[p] for p in todo], pts, w, wx, wx2, exact)))
        heapq.heappop(heap)
        del boxes[path]
        for side, (q, qw, qs, sse) in zip("01", cuts.pop(path)):
            boxes[path + side] = (q, qw, qs)
            heapq.heappush(heap, (-sse, path + side))
    done = sorted(boxes)
    return np.array([boxes[b][2] for b in done]) / np.array([boxes[b][1] for b in done])[:, None]


def _cut_boxes(batch: list[tuple[np.ndarray, float, list[float]]], pts: np.ndarray, w: np.ndarray, wx: np.ndarray,
               wx2: np.ndarray, exact: bool) -> list[list[tuple[np.ndarray, float, list[float], float]]]:
    """Cut each box ``(point indices, weight sum, weighted colour sum)`` of *batch* in two (see :func:`_median_cut`).

    Returns per box its halves ``(indices, weight sum, weighted colour sum, weighted SSE)``. The boxes are
    padded into ``[B, L]`` arrays; every sum runs over one box's points in that box's order (prefix sums
    along a row, padding after the points), so a box's result does not depend on the others in the batch.
    """
    lens = np.array([len(b[0]) for b in batch])
    nb, size = len(batch), int(lens.max())
    real = np.arange(size)[None, :] < lens[:, None]  # [B, L]
    index = np.zeros((nb, size), np.int64)
    index[real] = np.concatenate([b[0] for b in batch])
    wsum = np.array([b[1] for b in batch])
    mean = np.array([b[2] for b in batch]) / wsum[:, None]
    p = pts[index]
    ww = np.where(real, w[index], 0.0)
    var = ((p - mean[:, None, :]) ** 2 * ww[:, :, None]).sum(1)
    axis = np.argmax(var, axis=1)
    vals = np.where(real, np.take_along_axis(p, axis[:, None, None], 2)[..., 0], np.inf)
    order = np.argsort(vals, axis=1, kind="stable")  # padding (inf) stays last
    io = np.take_along_axis(index, order, 1)
    xa = np.take_along_axis(vals, order, 1)
    wo = np.take_along_axis(ww, order, 1)
    wxo = np.where(real[..., None], wx[io], 0.0)
    wx2o = wx2[io]
    cw = np.cumsum(wo, axis=1)[:, :-1]
    cs_full = np.cumsum(wxo, axis=1)
    tot = cs_full[np.arange(nb), lens - 1]
    cs = cs_full[:, :-1]
    with np.errstate(divide="ignore", invalid="ignore"):  # positions past a box's last point are masked below
        # SSE(left) + SSE(right) = const - |S_l|^2 / W_l - |S_r|^2 / W_r  -> maximise the subtracted terms
        gain = _sq3(cs) / cw + _sq3(tot[:, None, :] - cs) / (wsum[:, None] - cw)
    inside = np.arange(size - 1)[None, :] < (lens - 1)[:, None]
    valid = (xa[:, 1:] > xa[:, :-1]) & inside  # only cut between distinct values along the axis
    valid |= inside & ~valid.any(1, keepdims=True)  # ... unless there are none
    cut = np.argmax(np.where(valid, gain, -np.inf), axis=1) + 1
    rows = np.arange(nb)
    if exact:  # integer sums: exact in any order, so the halves' sums come from the prefix sums
        c2 = np.cumsum(np.where(real, wx2o, 0.0), axis=1)
        cwf = np.cumsum(wo, axis=1)
        sl_w, sl_s, sl_2 = cwf[rows, cut - 1], cs_full[rows, cut - 1], c2[rows, cut - 1]
        sums = [(sl_w, sl_s, sl_2), (wsum - sl_w, tot - sl_s, c2[rows, lens - 1] - sl_2)]
    else:  # each half summed on its own, in its order
        sums = [tuple(np.array(v) for v in zip(*[(wo[b, sl].sum(), wxo[b, sl].sum(0), wx2o[b, sl].sum())
                                                  for b, sl in enumerate(part)]))
                for part in ([slice(0, int(k)) for k in cut], [slice(int(k), int(n)) for k, n in zip(cut, lens)])]
    halves = []
    for (qw, qs, q2), count in zip(sums, (cut, lens - cut)):
        # weighted SSE of a box = sum(w |x|^2) - |sum(w x)|^2 / sum(w)
        sse = q2 - _sq3(qs) / qw
        halves.append((np.asarray(qw).tolist(), np.asarray(qs).tolist(), np.where((sse > 0) & (count > 1), sse, 0.0).tolist()))
    (lw, ls, le), (rw, rs, re) = halves
    return [[(io[b, :k], lw[b], ls[b], le[b]), (io[b, k:n], rw[b], rs[b], re[b])]
            for b, k, n in zip(range(nb), cut.tolist(), lens.tolist())]


def _sq3(a: np.ndarray) -> np.ndarray:
    """``(a ** 2).sum(-1)`` for a last axis of 3, summed in the same order ((x0² + x1²) + x2²), several times faster."""
    sq = a * a
    return sq[..., 0] + sq[..., 1] + sq[..., 2]


def build_palette(points: np.ndarray, weights: np.ndarray, colors: int, *, kmeans_iters: int = 4) -> np.ndarray:
    """Pick at most *colors* palette colours for weighted colour samples.

    Args:
        points: ``[M, 3]`` float colours in 0..255 (histogram cell means).
        weights: ``[M]`` positive weights (pixel counts).
        colors: palette size, 1..256.
        kmeans_iters: weighted Lloyd iterations after the median cut (0 disables refinement).

    Returns:
        ``[K, 3]`` uint8 palette, ``K <= colors`` (fewer when there are fewer distinct samples), sorted by
        luminance so that palettes of similar clips look alike.

    Raises:
        InvalidInputError: *colors* is outside 1..256 or there are no samples.
    """
    if not 1 <= colors <= 256:
        raise InvalidInputError(f"colors must be between 1 and 256, got {colors}.")
    if len(points) == 0:
        raise InvalidInputError("cannot build a palette from zero pixels (every pixel is transparent?).")
    pts = np.asarray(points, np.float64)
    w = np.asarray(weights, np.float64)
    if len(pts) <= colors:
        pal = pts
    else:
        pal = _median_cut(pts, w, colors)
        for _ in range(kmeans_iters):
            lab = _nearest(pts, pal)
            cnt = np.bincount(lab, weights=w, minlength=len(pal))
            new = np.stack([np.bincount(lab, weights=w * pts[:, c], minlength=len(pal)) for c in range(3)], axis=1)
            nz = cnt > 0
            moved = pal.copy()
            moved[nz] = new[nz] / cnt[nz, None]
            if np.allclose(moved, pal, atol=0.05):
                pal = moved
                break
            pal = moved
    pal = np.clip(np.rint(pal), 0, 255).astype(np.uint8)
    pal = _unkey(_uniq(_keys24(pal)))  # rounding may merge colours; also sorts (deterministic)
    lum = pal.astype(np.int64) @ np.array([299, 587, 114])
    return pal[np.lexsort((pal[:, 2], pal[:, 1], pal[:, 0], lum))]


# Rows per distance-matrix product: [256, 3] @ [3, <= 256] has M*N*K <= 196,608, under OpenBLAS's threading
# threshold (262,144), so the product runs on the calling thread. Larger blocks go multi-threaded, which on a
# busy machine made a 1024-row product 20x slower (threads waiting for a core); 256 rows also stay in cache.
_GEMM_ROWS = 256


def _nearest(pts: np.ndarray, pal: np.ndarray, chunk: int = _GEMM_ROWS) -> np.ndarray:
    """Index of the nearest palette colour for each point (squared Euclidean RGB distance, float32)."""
    out = np.empty(len(pts), np.int64)
    p = pal.astype(np.float32)
    p2 = (p ** 2).sum(1)
    pt2 = -2.0 * p.T
    for s in range(0, len(pts), chunk):
        d = pts[s:s + chunk].astype(np.float32) @ pt2
        d += p2
        out[s:s + chunk] = np.argmin(d, axis=1)
    return out


def bayer_matrix(n: int = 8) -> np.ndarray:
    """The ``n x n`` Bayer ordered-dither matrix (n a power of two), values ``(k + 0.5) / n^2 - 0.5`` in (-0.5, 0.5)."""
    m = np.zeros((1, 1), np.int64)
    while m.shape[0] < n:
        m = np.block([[4 * m, 4 * m + 2], [4 * m + 3, 4 * m + 1]])
    return (m + 0.5) / m.size - 0.5


class ColorMapper:
    """Map RGB pixels to indices of a fixed palette (nearest colour, optionally dithered).

    Args:
        palette: ``[K, 3]`` uint8, ``1 <= K <= 256``.
        dither: ``"none"``, ``"bayer"`` (ordered, temporally stable: the default choice for animation) or
            ``"floyd-steinberg"`` (error diffusion through Pillow; crawls in animation).
        dither_strength: amplitude of the ordered-dither threshold as a multiple of the palette's typical
            colour spacing (median distance to the nearest other palette colour). 1.0 is the textbook
            setting; lower values dither less. Ignored for other modes.
        lut_bits: precision of the lookup table in bits per channel (5..8). 7 (default) keeps the mapping
            error below one level on average; 8 is exact nearest-colour.
        exact: the palette holds every colour of the clip: exact matches are looked up directly (lossless).

    Raises:
        InvalidInputError: bad palette shape/size, unknown dither mode, lut_bits outside 5..8.
    """

    def __init__(self, palette: np.ndarray, *, dither: str = "none", dither_strength: float = 1.0, lut_bits: int = 7, exact: bool = False) -> None:
        pal = np.asarray(palette)
        if pal.ndim != 2 or pal.shape[1] != 3 or not 1 <= len(pal) <= 256 or pal.dtype != np.uint8:
            raise InvalidInputError(f"palette must be a uint8 array [K, 3] with 1 <= K <= 256, got {pal.dtype} {tuple(pal.shape)}.")
        if dither not in DITHER_MODES:
            raise InvalidInputError(f"dither must be one of {', '.join(DITHER_MODES)}; got {dither!r}.")
        if not 5 <= int(lut_bits) <= 8:
            raise InvalidInputError(f"lut_bits must be between 5 and 8, got {lut_bits}.")
        self.palette = pal
        self.dither = dither
        self.bits = int(lut_bits)
        self.exact = exact
        # palette index per cell; ``_empty`` marks cells not computed yet (uint8 when an index can never be 255)
        self._empty = 255 if len(pal) <= 255 else -1
        self._lut = np.full(1 << (3 * self.bits), self._empty, np.uint8 if self._empty == 255 else np.int16)
        self._pal2 = pal.astype(np.float32) * 2.0  # doubled: cell centres become integers -> exact float32
        self._pal2sq = (self._pal2 ** 2).sum(1)
        if exact:
            keys = _keys24(pal)
            self._exact_order = np.argsort(keys, kind="stable")
            self._exact_keys = keys[self._exact_order]
        if self.bits <= 5:  # 32,768 cells: one vectorised fill beats many small lazy ones
            self._fill(np.arange(1 << (3 * self.bits)))
        self._threshold: np.ndarray | None = None
        if dither == "bayer":
            if len(pal) > 1:
                p = pal.astype(np.float64)
                d = ((p[:, None, :] - p[None, :, :]) ** 2).sum(-1)
                np.fill_diagonal(d, np.inf)
                spacing = float(np.median(np.sqrt(d.min(1))))
            else:
                spacing = 0.0
            self._threshold = (bayer_matrix(8) * spacing * float(dither_strength)).astype(np.float32)
        self._pil_palette = None

    def _fill(self, cells: np.ndarray) -> None:
        shift = 8 - self.bits
        b = self.bits
        mask = (1 << b) - 1
        # doubled cell centre: 2 * ((c << shift) + (2^shift - 1) / 2) = (c << (shift + 1)) + 2^shift - 1
        off = (1 << shift) - 1
        centres = np.stack([((cells >> (2 * b)) & mask), ((cells >> b) & mask), (cells & mask)], axis=1)
        centres = ((centres << (shift + 1)) + off).astype(np.float32)
        c2 = (centres ** 2).sum(1)
        chunk = _GEMM_ROWS
        for s in range(0, len(cells), chunk):
            x = centres[s:s + chunk]
            d = c2[s:s + chunk, None] + self._pal2sq[None, :] - 2.0 * (x @ self._pal2.T)
            self._lut[cells[s:s + chunk]] = np.argmin(d, axis=1)

    def _lookup(self, rgb: np.ndarray) -> np.ndarray:
        """``[..., 3]`` uint8 -> ``[...]`` uint8 indices via the lazy LUT."""
        shift = 8 - self.bits
        b = self.bits
        q = rgb >> shift if shift else rgb
        # cell = r << 2b | g << b | b, built in place (fewer temporaries than three casts and two ors)
        cell = q[..., 0].astype(np.int32)
        cell <<= b
        cell |= q[..., 1]
        cell <<= b
        cell |= q[..., 2]
        idx = np.take(self._lut, cell)  # take: about twice as fast as fancy indexing here
        if (idx.max() if self._empty == 255 else idx.min()) == self._empty:
            miss = idx == self._empty
            cells = cell[miss]
            self._fill(_uniq(cells))
            idx[miss] = self._lut[cells]  # only the cells just computed, not the whole frame again
        return idx.astype(np.uint8, copy=False)

    def map(self, frame: np.ndarray) -> np.ndarray:
        """Map one frame ``[H, W, C]`` uint8 (C in 1, 3, 4; alpha ignored) to palette indices ``[H, W]`` uint8."""
        rgb = _rgb(frame)
        if self.exact:
            keys = _keys24(rgb)
            pos = np.searchsorted(self._exact_keys, keys)
            pos = np.minimum(pos, len(self._exact_keys) - 1)
            hit = self._exact_keys[pos] == keys
            out = self._exact_order[pos].astype(np.uint8)
            if not hit.all():  # colours after the buffered part of a long stream: nearest instead
                out[~hit] = self._lookup(rgb[~hit])
            return out
        if self.dither == "bayer" and self._threshold is not None:
            h, w = rgb.shape[:2]
            t = np.tile(self._threshold, ((h + 7) // 8, (w + 7) // 8))[:h, :w, None]
            rgb = np.clip(rgb.astype(np.float32) + (t + np.float32(0.5)), 0, 255).astype(np.uint8)  # +0.5 then truncate = round
            return self._lookup(rgb)
        if self.dither == "floyd-steinberg":
            return self._floyd(rgb)
        return self._lookup(rgb)

    def _floyd(self, rgb: np.ndarray) -> np.ndarray:
        from PIL import Image

        k = len(self.palette)
        if self._pil_palette is None:
            flat = np.concatenate([self.palette, np.repeat(self.palette[:1], 256 - k, axis=0)]).reshape(-1)
            pim = Image.new("P", (1, 1))
            pim.putpalette(flat.tolist())
            self._pil_palette = pim
        im = Image.fromarray(np.ascontiguousarray(rgb), "RGB")
        q = im.quantize(palette=self._pil_palette, dither=Image.Dither.FLOYDSTEINBERG)
        out = np.asarray(q, np.uint8).copy()
        out[out >= k] = 0  # padding entries duplicate colour 0
        return out
