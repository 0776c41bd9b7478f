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
    r = rgb[..., 0].astype(np.uint32)
    g = rgb[..., 1].astype(np.uint32)
    b = rgb[..., 2].astype(np.uint32)
    return (r << 16) | (g << 8) | b


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
        if self._seen is not None and len(self._keys) > before:
            # the sample alone can prove there are too many colours, without scanning every pixel
            if len(_uniq(np.concatenate(self._keys[before:]))) > self.colors:
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
        return points_from_keys(np.concatenate(self._keys), max_points)

    def lut_bits(self, budget: int = 1 << 15) -> int:
        """Largest LUT precision (7, 6 or 5 bits) whose occupied cells in the sample stay within *budget*."""
        if not self._keys:
            return 7
        keys = _uniq(np.concatenate(self._keys))
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
    keys, counts = _uniq(keys, counts=True)
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
    order = np.argsort(a, kind="stable") if inverse else None
    srt = a[order] if inverse else np.sort(a)
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


def _unkey(keys: np.ndarray) -> np.ndarray:
    keys = keys.astype(np.uint32)
    return np.stack([(keys >> 16) & 255, (keys >> 8) & 255, keys & 255], axis=1).astype(np.uint8)


def _split_box(pts: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
    """Split one box at the weighted-SSE-optimal position along its highest-variance axis."""
    wsum = w.sum()
    mean = (pts * w[:, None]).sum(0) / wsum
    var = ((pts - mean) ** 2 * w[:, None]).sum(0)
    axis = int(np.argmax(var))
    order = np.argsort(pts[:, axis], kind="stable")
    x = pts[order]
    ww = w[order]
    cw = np.cumsum(ww)[:-1]
    cs = np.cumsum(x * ww[:, None], axis=0)[:-1]
    tot = (x * ww[:, None]).sum(0)
    # SSE(left) + SSE(right) = const - |S_l|^2 / W_l - |S_r|^2 / W_r  -> maximise the subtracted terms
    gain = (cs ** 2).sum(1) / cw + ((tot - cs) ** 2).sum(1) / (wsum - cw)
    # only cut between distinct values along the axis
    valid = x[1:, axis] > x[:-1, axis]
    if not valid.any():
        valid = np.ones_like(valid)
    gain = np.where(valid, gain, -np.inf)
    k = int(np.argmax(gain)) + 1
    return order[:k], order[k:]


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
        boxes: list[np.ndarray] = [np.arange(len(pts))]
        sse = [np.inf]
        wx = pts * w[:, None]
        wx2 = (pts * wx).sum(1)
        while len(boxes) < colors:
            i = int(np.argmax(sse))
            if sse[i] <= 0:
                break
            idx = boxes[i]
            left, right = _split_box(pts[idx], w[idx])
            parts = [idx[left], idx[right]]
            boxes[i:i + 1] = parts
            # weighted SSE of a box = sum(w |x|^2) - |sum(w x)|^2 / sum(w)
            sse[i:i + 1] = [max(0.0, float(wx2[q].sum() - (wx[q].sum(0) ** 2).sum() / w[q].sum())) if len(q) > 1 else 0.0
                            for q in parts]
        pal = np.stack([wx[b].sum(0) / w[b].sum() for b in boxes])
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


def _nearest(pts: np.ndarray, pal: np.ndarray, chunk: int = 1024) -> np.ndarray:
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
        self._lut = np.full(1 << (3 * self.bits), -1, np.int16)
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
        chunk = 16384
        for s in range(0, len(cells), chunk):
            x = centres[s:s + chunk]
            d = c2[s:s + chunk, None] + self._pal2sq[None, :] - 2.0 * (x @ self._pal2.T)
            self._lut[cells[s:s + chunk]] = np.argmin(d, axis=1).astype(np.int16)

    def _lookup(self, rgb: np.ndarray) -> np.ndarray:
        """``[..., 3]`` uint8 -> ``[...]`` uint8 indices via the lazy LUT."""
        shift = 8 - self.bits
        b = self.bits
        q = rgb >> shift if shift else rgb
        cell = (q[..., 0].astype(np.int32) << (2 * b)) | (q[..., 1].astype(np.int32) << b) | q[..., 2].astype(np.int32)
        idx = self._lut[cell]
        missing = idx < 0
        if missing.any():
            self._fill(_uniq(cell[missing]))
            idx = self._lut[cell]
        return idx.astype(np.uint8)

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
