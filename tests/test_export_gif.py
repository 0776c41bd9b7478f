"""GIF exporter: the known GIF traps (timing in centiseconds, loop block, merged and dropped frames, palettes), each one a test, verified by re-reading with Pillow."""

from __future__ import annotations

import hashlib
import os
import struct

import numpy as np
import pytest
from PIL import Image

from genart_kit.errors import ExportError, GenartError, InvalidInputError
from genart_kit.export import read_recipe
from genart_kit.export.frames import cumulative_delays
from genart_kit.export import gif as gif_module
from genart_kit.export.gif import GIF, GifExporter
from genart_kit.export.palette import (ColorHistogram, ColorMapper, _keys24, _median_cut, _nearest, _uniq, bayer_matrix,
                                      build_palette)


def walk(n: int = 12, size: int = 32, seed: int = 0) -> np.ndarray:
    """A smooth colour walk [n, size, size, 3] uint8 (many more than 256 colours)."""
    y, x = np.mgrid[0:size, 0:size] / size
    out = []
    for i in range(n):
        t = i / n
        r = 0.5 + 0.5 * np.sin(2 * np.pi * (x + t) + seed)
        g = 0.5 + 0.5 * np.sin(2 * np.pi * (y - t) + 2)
        b = 0.5 + 0.5 * np.sin(2 * np.pi * (x + y + 2 * t) + 4)
        out.append(np.stack([r, g, b], -1))
    return (np.array(out) * 255 + 0.5).astype(np.uint8)


def read_gif(path) -> tuple[list[np.ndarray], list[int], Image.Image]:
    """Decoded RGBA frames and per-frame durations (ms) as Pillow sees them."""
    im = Image.open(path)
    frames, durs = [], []
    for i in range(im.n_frames):
        im.seek(i)
        durs.append(im.info["duration"])
        frames.append(np.asarray(im.convert("RGBA")))
    return frames, durs, im


def gif_blocks(data: bytes) -> dict:
    """Walk the GIF's blocks: loop block, comments, per-frame (disposal, delay_cs), image count."""
    flags = data[10]
    pos = 13 + (3 * (2 << (flags & 7)) if flags & 0x80 else 0)
    out = {"loop": None, "comments": [], "gce": [], "images": 0, "transparent": [], "local_tables": 0}
    while data[pos] != 0x3B:
        if data[pos] == 0x21:
            label = data[pos + 1]
            pos += 2
            chunks = []
            while data[pos]:
                chunks.append(data[pos + 1:pos + 1 + data[pos]])
                pos += 1 + data[pos]
            pos += 1
            body = b"".join(chunks)
            if label == 0xFF and body.startswith(b"NETSCAPE2.0"):
                out["loop"] = struct.unpack("<H", body[12:14])[0]
            elif label == 0xFE:
                out["comments"].append(body)
            elif label == 0xF9:
                out["gce"].append(((body[0] >> 2) & 7, struct.unpack("<H", body[1:3])[0]))
                out["transparent"].append(body[3])
        elif data[pos] == 0x2C:
            lflags = data[pos + 9]
            out["local_tables"] += bool(lflags & 0x80)
            pos += 10 + (3 * (2 << (lflags & 7)) if lflags & 0x80 else 0)
            pos += 1  # LZW code size
            while data[pos]:
                pos += 1 + data[pos]
            pos += 1
            out["images"] += 1
        else:  # pragma: no cover - malformed
            raise AssertionError(f"unexpected byte {data[pos]:#x} at {pos}")
    return out


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = float(((a.astype(np.float64) - b) ** 2).mean())
    return float("inf") if mse == 0 else 10 * np.log10(255**2 / mse)


# ----------------------------------------------------------------------------------------- timing


def test_delays_24fps_distribute_rounding_and_total_is_exact():
    d = list(zip(range(48), cumulative_delays(24, 100)))
    delays = [x for _, x in d]
    assert delays[:6] == [4, 4, 5, 4, 4, 4]
    assert sum(delays) == 200  # 48 frames at 24 fps = 2 s exactly
    assert set(delays) == {4, 5}


@pytest.mark.parametrize("fps, n, total_cs", [(25, 50, 200), (50, 10, 20), (10, 3, 30), (29.97, 2997, 10000), (30, 90, 300)])
def test_delays_sum_to_exact_duration(fps, n, total_cs):
    gen = cumulative_delays(fps, 100)
    assert sum(next(gen) for _ in range(n)) == total_cs


def test_gif_timing_read_back_by_pillow(tmp_path):
    fr = walk(24)
    p = GIF.write(tmp_path / "a.gif", [fr[:10], fr[10:]], fps=24)
    frames, durs, _ = read_gif(p)
    assert len(frames) == 24
    assert durs[:6] == [40, 40, 50, 40, 40, 40]
    assert sum(durs) == 1000


def test_fps_above_50_is_an_error_or_explicit_opt_in(tmp_path, caplog):
    fr = walk(4)
    with pytest.raises(ExportError, match="50"):
        GIF.write(tmp_path / "fast.gif", [fr], fps=60)
    assert not (tmp_path / "fast.gif").exists()
    p = GIF.write(tmp_path / "fast.gif", [fr], fps=60, allow_fast_fps=True)
    assert "viewers" in caplog.text
    blocks = gif_blocks(p.read_bytes())
    assert [d for _, d in blocks["gce"]] == [2, 1, 2, 2]  # 60 fps: ends at 2, 3, 5, 7 cs (round(k * 5 / 3))


@pytest.mark.parametrize("fps", [0, -1, float("nan"), float("inf"), "24", None, True])
def test_bad_fps_is_a_clear_error(tmp_path, fps):
    with pytest.raises(ExportError, match="fps"):
        GIF.write(tmp_path / "a.gif", [walk(2)], fps=fps)


# ------------------------------------------------------------------------------------- looping


def test_loops_forever_by_default_and_loop_none_plays_once(tmp_path):
    fr = walk(3)
    assert gif_blocks(GIF.write(tmp_path / "a.gif", [fr], fps=10).read_bytes())["loop"] == 0
    assert Image.open(tmp_path / "a.gif").info["loop"] == 0
    assert gif_blocks(GIF.write(tmp_path / "b.gif", [fr], fps=10, loop=None).read_bytes())["loop"] is None
    assert gif_blocks(GIF.write(tmp_path / "c.gif", [fr], fps=10, loop=3).read_bytes())["loop"] == 3


# ------------------------------------------------------------- identical and blank frames kept


def test_identical_consecutive_frames_keep_count_and_timing(tmp_path):
    fr = walk(6)
    hold = np.concatenate([fr, np.repeat(fr[-1:], 4, axis=0)])  # a 4-frame hold at the end of the loop
    p = GIF.write(tmp_path / "hold.gif", [hold], fps=10)
    frames, durs, _ = read_gif(p)
    assert len(frames) == 10
    assert durs == [100] * 10
    for i in range(6, 10):
        assert np.array_equal(frames[i], frames[5])


def test_pillow_default_would_merge_them(tmp_path):
    # documents the trap this exporter avoids: Pillow merges identical frames into one longer frame
    fr = np.zeros((3, 8, 8, 3), np.uint8)
    ims = [Image.fromarray(f) for f in fr]
    ims[0].save(tmp_path / "pil.gif", save_all=True, append_images=ims[1:], duration=100, loop=0)
    assert Image.open(tmp_path / "pil.gif").n_frames < 3
    frames, durs, _ = read_gif(GIF.write(tmp_path / "ours.gif", [fr], fps=10))
    assert len(frames) == 3 and durs == [100, 100, 100]


def test_blank_frames_are_kept(tmp_path):
    fr = walk(5)
    fr[1] = 0  # all black
    fr[3] = 255  # all white
    frames, durs, _ = read_gif(GIF.write(tmp_path / "blank.gif", [fr], fps=20))
    assert len(frames) == 5 and durs == [50] * 5
    assert (frames[1][..., :3] == 0).all() and (frames[3][..., :3] == 255).all()
    assert (frames[1][..., 3] == 255).all()


def test_single_frame_and_single_pixel(tmp_path):
    one = np.full((1, 1, 1, 3), 7, np.uint8)
    frames, durs, _ = read_gif(GIF.write(tmp_path / "one.gif", [one], fps=2))
    assert len(frames) == 1 and durs == [500]
    assert tuple(frames[0][0, 0]) == (7, 7, 7, 255)


# ------------------------------------------------------------------------------- palette quality


def test_few_colours_are_exported_losslessly(tmp_path):
    rng = np.random.default_rng(1)
    colours = rng.integers(0, 256, (200, 3), dtype=np.uint8)
    fr = colours[rng.integers(0, 200, (8, 16, 16))]
    frames, _, _ = read_gif(GIF.write(tmp_path / "few.gif", [fr], fps=10))
    assert all(np.array_equal(a[..., :3], b) for a, b in zip(frames, fr))


def test_greyscale_c1_and_mnist_like_input(tmp_path):
    rng = np.random.default_rng(2)
    fr = rng.integers(0, 256, (4, 28, 28, 1), dtype=np.uint8)
    frames, _, _ = read_gif(GIF.write(tmp_path / "grey.gif", [fr], fps=10))
    for a, b in zip(frames, fr):  # 256 grey levels, 255 palette entries: at most one level off
        assert np.abs(a[..., 0].astype(int) - b[..., 0]).max() <= 1
        assert np.array_equal(a[..., 0], a[..., 1])


def test_shared_palette_does_not_flicker_on_a_static_region(tmp_path):
    # a static left half next to a changing right half: the static pixels must decode identically every frame
    fr = walk(10, 32)
    fr[:, :, :16] = fr[0, :, :16]
    frames, _, _ = read_gif(GIF.write(tmp_path / "static.gif", [fr], fps=10))
    for f in frames[1:]:
        assert np.array_equal(f[:, :16], frames[0][:, :16])


@pytest.mark.parametrize("dither", ["none", "bayer"])
def test_static_region_stable_with_dithering(tmp_path, dither):
    fr = walk(6, 32)
    fr[:, :16] = fr[0, :16]
    frames, _, _ = read_gif(GIF.write(tmp_path / "d.gif", [fr], fps=10, dither=dither))
    for f in frames[1:]:
        assert np.array_equal(f[:16], frames[0][:16])


def test_quality_close_to_source_and_dither_modes_work(tmp_path):
    fr = walk(8, 48)
    for dither in ("none", "bayer", "floyd-steinberg"):
        frames, _, _ = read_gif(GIF.write(tmp_path / f"{dither}.gif", [fr], fps=10, dither=dither))
        score = psnr(np.stack([f[..., :3] for f in frames]), fr)
        assert score > 24, (dither, score)


def test_fewer_colours_option(tmp_path):
    fr = walk(4, 32)
    p = GIF.write(tmp_path / "c16.gif", [fr], fps=10, colors=16)
    info = gif_blocks(p.read_bytes())
    # every table (global or local) holds at most 16 opaque colours; its transparent index comes right after them
    assert info["transparent"] and max(info["transparent"]) <= 16
    im = Image.open(p)
    im.seek(0)
    assert len({tuple(c) for c in np.asarray(im.convert("RGB")).reshape(-1, 3)}) <= 16


def test_fixed_palette_streams_without_buffering(tmp_path):
    pal = np.array([[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255], [255, 255, 255]], np.uint8)
    fr = walk(5, 16)
    frames, _, _ = read_gif(GIF.write(tmp_path / "fixed.gif", (fr[i:i + 1] for i in range(5)), fps=10, palette=pal))
    got = {tuple(c) for f in frames for c in f[..., :3].reshape(-1, 3)}
    assert got <= {tuple(c) for c in pal}


def test_palette_builder_and_mapper_units():
    rng = np.random.default_rng(0)
    pts = rng.uniform(0, 255, (5000, 3))
    pal = build_palette(pts, np.ones(5000), 64)
    assert pal.dtype == np.uint8 and 32 <= len(pal) <= 64
    m = ColorMapper(pal, lut_bits=8)
    img = rng.integers(0, 256, (10, 10, 3), dtype=np.uint8)
    idx = m.map(img)
    brute = ((img[:, :, None, :].astype(int) - pal[None, None].astype(int)) ** 2).sum(-1)
    assert (brute[np.arange(10)[:, None], np.arange(10), idx] == brute.min(-1)).all()  # exact nearest at 8 bits
    b = bayer_matrix(8)
    assert b.shape == (8, 8) and len(np.unique(b)) == 64 and abs(b.mean()) < 1e-12
    with pytest.raises(InvalidInputError):
        ColorMapper(pal, dither="sparkle")
    with pytest.raises(InvalidInputError):
        build_palette(np.zeros((0, 3)), np.zeros(0), 16)
    h = ColorHistogram(16, 1)
    h.add(np.zeros((2, 4, 4, 3), np.uint8))
    assert h.exact_colors().tolist() == [[0, 0, 0]]


def _median_cut_one_box_at_a_time(pts: np.ndarray, w: np.ndarray, colors: int) -> np.ndarray:
    """The median cut as first written (one box per step, every sum taken afresh): the reference for the batched one."""
    def split(p, ww):
        wsum = ww.sum()
        var = ((p - (p * ww[:, None]).sum(0) / wsum) ** 2 * ww[:, None]).sum(0)
        axis = int(np.argmax(var))
        order = np.argsort(p[:, axis], kind="stable")
        x, wo = p[order], ww[order]
        cw, cs = np.cumsum(wo)[:-1], np.cumsum(x * wo[:, None], axis=0)[:-1]
        tot = (x * wo[:, None]).sum(0)
        gain = (cs ** 2).sum(1) / cw + ((tot - cs) ** 2).sum(1) / (wsum - cw)
        valid = x[1:, axis] > x[:-1, axis]
        gain = np.where(valid if valid.any() else np.ones_like(valid), gain, -np.inf)
        k = int(np.argmax(gain)) + 1
        return order[:k], order[k:]

    boxes, sse = [np.arange(len(pts))], [np.inf]
    wx = pts * w[:, None]
    wx2 = (pts * wx).sum(1)
    while len(boxes) < colors:
        i = int(np.argmax(sse))
        if sse[i] <= 0:
            break
        left, right = split(pts[boxes[i]], w[boxes[i]])
        parts = [boxes[i][left], boxes[i][right]]
        boxes[i:i + 1] = parts
        sse[i:i + 1] = [max(0.0, float(wx2[q].sum() - (wx[q].sum(0) ** 2).sum() / w[q].sum())) if len(q) > 1 else 0.0
                        for q in parts]
    return np.stack([wx[b].sum(0) / w[b].sum() for b in boxes])


@pytest.mark.parametrize("kind", ["pixel counts", "fractional"])
def test_batched_median_cut_makes_the_same_cuts_as_one_box_at_a_time(kind):
    rng = np.random.default_rng(7)
    for _ in range(25):
        m, k = int(rng.integers(2, 1200)), int(rng.integers(2, 257))
        if kind == "pixel counts":  # exact colours, integer weights (cluster-heavy, with ties)
            pts = np.repeat(rng.integers(0, 256, (max(1, m // 3), 3)), 3, axis=0)[:m].astype(np.float64)
            pts[::5] = rng.integers(0, 256, (len(pts[::5]), 3))
            w = rng.integers(1, 60, len(pts)).astype(np.float64)
        else:  # cell means and weights that are not whole numbers
            pts = rng.random((m, 3)) * 255
            w = rng.random(m) * 5 + 0.01
        assert np.array_equal(_median_cut(pts, w, k), _median_cut_one_box_at_a_time(pts, w, k))


def test_unique_keys_match_numpy_for_every_integer_kind():
    rng = np.random.default_rng(3)
    for dtype, lo, hi in [(np.uint32, 0, 1 << 24), (np.int32, -7, 1 << 21), (np.uint16, 0, 65535), (np.int64, 0, 1 << 40)]:
        for n in (0, 1, 4095, 4096, 70_000):
            a = rng.integers(lo, hi, n).astype(dtype)
            u, counts, inverse = _uniq(a, counts=True, inverse=True)
            ref_u, ref_inverse, ref_counts = np.unique(a, return_inverse=True, return_counts=True)
            assert np.array_equal(u, ref_u) and np.array_equal(counts, ref_counts)
            assert np.array_equal(inverse, ref_inverse.ravel()) and np.array_equal(_uniq(a), ref_u)


class _Products(np.ndarray):
    """An array that records the shapes ``(M, K, N)`` of the matrix products it takes part in."""

    shapes: list[tuple[int, int, int]] = []

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        plain = [x.view(np.ndarray) if isinstance(x, _Products) else x for x in inputs]
        if ufunc is np.matmul:
            (m, k), (_, n) = plain[0].shape, plain[1].shape
            _Products.shapes.append((m, k, n))
        return getattr(ufunc, method)(*plain, **kwargs)


def test_nearest_colour_products_stay_small_enough_for_the_calling_thread():
    # OpenBLAS runs a product on several threads above M*N*K = 262,144; on a busy machine those threads wait for
    # a core and a 1024-row block took 20x longer. Every block of the nearest-colour searches stays under it.
    rng = np.random.default_rng(5)
    pal = rng.integers(0, 256, (255, 3)).astype(np.uint8)
    pts = rng.integers(0, 256, (5000, 3)).astype(np.float64)
    _Products.shapes = []
    got = _nearest(pts.view(_Products), pal)
    m = ColorMapper(pal, lut_bits=5)  # at 5 bits the whole table (32,768 cells) is filled at once
    want_lut = m._lut.copy()
    m._pal2 = m._pal2.view(_Products)
    m._fill(np.arange(1 << 15))
    assert _Products.shapes and max(a * b * c for a, b, c in _Products.shapes) <= 262_144
    # and the blocks change nothing: integer colours have exact float32 distances, ties go to the lowest index
    d = ((pts[:, None, :] - pal[None].astype(np.float64)) ** 2).sum(-1)
    assert np.array_equal(got, d.argmin(1)) and np.array_equal(m._lut, want_lut)


def test_colour_keys_are_0xrrggbb_for_any_layout():
    rng = np.random.default_rng(2)
    frame = rng.integers(0, 256, (6, 9, 3)).astype(np.uint8)
    for rgb in (frame, frame[1::2, ::3], frame[0], frame[:0], np.asfortranarray(frame)):
        want = (rgb[..., 0].astype(np.uint32) << 16) | (rgb[..., 1].astype(np.uint32) << 8) | rgb[..., 2]
        got = _keys24(rgb)
        assert got.dtype == np.uint32 and got.shape == want.shape and np.array_equal(got, want)


def test_exact_colours_are_tracked_across_a_batch_whatever_its_first_frame():
    few = np.zeros((4, 8, 8, 3), np.uint8)
    few[:, :4] = 255  # two colours in every frame
    many = few.copy()
    many[1:, ..., 0] = np.arange(64, dtype=np.uint8).reshape(8, 8)  # the first frame alone has two colours
    for batch, colors, exact in [(few, 4, 2), (many, 16, None), (many[::-1], 16, None), (many, 255, 64 * 2 + 1)]:
        h = ColorHistogram(colors, stride=1)
        h.add(batch)
        got = h.exact_colors()
        assert (got is None) if exact is None else (len(got) == len({tuple(c) for c in batch.reshape(-1, 3)}) <= exact)


def test_a_lazily_filled_lookup_maps_like_a_full_one():
    fr = walk(6, 24)
    h = ColorHistogram(255, 2)
    h.add(fr)
    pal = build_palette(*h.cells(), 64)
    lazy = ColorMapper(pal, lut_bits=6)  # cells are filled as frames bring new ones (some known, some not)
    full = ColorMapper(pal, lut_bits=6)
    cube = (np.arange(1 << 18)[:, None] >> np.array([12, 6, 0]) & 63) * 4 + 2
    full.map(cube.astype(np.uint8).reshape(512, 512, 3))  # every cell filled up front
    for f in list(fr) + list(fr[::-1]):
        assert np.array_equal(lazy.map(f), full.map(f))


def test_colour_sample_stays_bounded_and_deterministic():
    fr = walk(12, 16)
    hists = []
    for _ in range(2):
        h = ColorHistogram(8, stride=1, max_samples=500)
        for i in range(0, 12, 3):
            h.add(fr[i:i + 3])
        hists.append(h)
    assert hists[0]._n <= 500 + 3 * 256 and hists[0]._thin > 1  # thinned, not growing with the clip
    pts, w = hists[0].cells(max_points=200)  # binned into cells (at most 512 at 3 bits per channel)
    assert len(pts) <= 200 and w.sum() == hists[0]._n
    assert np.array_equal(pts, hists[1].cells(max_points=200)[0])
    assert hists[0].exact_colors() is None  # far more than 8 colours


# ---------------------------------------------------------------------------------- transparency


def test_rgba_transparency_round_trip_and_clearing(tmp_path):
    fr = np.zeros((3, 8, 8, 4), np.uint8)
    fr[..., :3] = 200
    fr[0, ..., 3] = 255  # opaque
    fr[1, :4, ..., 3] = 255  # bottom half becomes transparent: needs the canvas cleared
    fr[2, ..., 3] = 0  # fully transparent
    p = GIF.write(tmp_path / "alpha.gif", [fr], fps=10)
    frames, _, _ = read_gif(p)
    assert len(frames) == 3
    assert (frames[0][..., 3] == 255).all()
    assert (frames[1][:4, :, 3] == 255).all() and (frames[1][4:, :, 3] == 0).all()
    assert (frames[2][..., 3] == 0).all()
    disposals = [d for d, _ in gif_blocks(p.read_bytes())["gce"]]
    assert disposals[0] == 2 and disposals[1] == 2


# ------------------------------------------------------------------------------- size / budget


def test_max_bytes_reduces_until_it_fits(tmp_path):
    fr = walk(6, 64)
    full = GIF.write(tmp_path / "full.gif", [fr], fps=10).stat().st_size
    budget = full // 3
    p = GIF.write(tmp_path / "small.gif", [fr], fps=10, max_bytes=budget)
    assert p.stat().st_size <= budget
    frames, durs, _ = read_gif(p)
    assert len(frames) == 6 and durs == [100] * 6


def test_max_bytes_impossible_is_a_clear_error(tmp_path):
    with pytest.raises(ExportError, match="max_bytes"):
        GIF.write(tmp_path / "tiny.gif", [walk(4, 32)], fps=10, max_bytes=100)
    assert not (tmp_path / "tiny.gif").exists()
    assert os.listdir(tmp_path) == []


def test_delta_frames_make_mostly_static_clips_small(tmp_path):
    fr = np.repeat(walk(1, 64), 20, axis=0)
    fr[:, 30:34, 30:34] = np.arange(20)[:, None, None, None] * 10  # only a 4x4 patch changes
    small = GIF.write(tmp_path / "delta.gif", [fr], fps=10).stat().st_size
    big = GIF.write(tmp_path / "full.gif", [fr], fps=10, optimize=False).stat().st_size
    assert small < big / 5
    a, _, _ = read_gif(tmp_path / "delta.gif")
    b, _, _ = read_gif(tmp_path / "full.gif")
    assert all(np.array_equal(x, y) for x, y in zip(a, b))


# ------------------------------------------------------------------ streaming / long clips


def test_long_stream_beyond_the_palette_buffer(tmp_path):
    # buffer_mb tiny: the palette comes from the first frames, the rest streams with it
    def gen():
        for i in range(40):
            yield walk(1, 16, seed=i)[None, 0]

    p = GIF.write(tmp_path / "long.gif", gen(), fps=25, buffer_mb=0.002)
    frames, durs, _ = read_gif(p)
    assert len(frames) == 40 and sum(durs) == 1600


def test_frames_past_the_in_memory_buffer_give_the_same_file(tmp_path, monkeypatch):
    fr = walk(20, 16)
    batches = lambda: (fr[i:i + 3] for i in range(0, 20, 3))  # noqa: E731
    full = GIF.write(tmp_path / "full.gif", batches(), fps=10).stat().st_size
    ref = [GIF.write(tmp_path / "mem.gif", batches(), fps=10).read_bytes(),
           GIF.write(tmp_path / "mem-budget.gif", batches(), fps=10, max_bytes=full * 3 // 4).read_bytes()]
    monkeypatch.setattr(gif_module, "_MEM_SPOOL", 5 * 16 * 16 * 3)  # frames spill to the temporary file after 5
    got = [GIF.write(tmp_path / "disk.gif", batches(), fps=10).read_bytes(),  # the budget re-reads the frames
           GIF.write(tmp_path / "disk-budget.gif", batches(), fps=10, max_bytes=full * 3 // 4).read_bytes()]
    assert got == ref and len(ref[1]) <= full * 3 // 4
    assert sorted(os.listdir(tmp_path)) == ["disk-budget.gif", "disk.gif", "full.gif", "mem-budget.gif", "mem.gif"]


def test_a_batch_buffer_reused_by_the_caller_is_copied(tmp_path):
    fr = walk(8, 16)

    def reused():  # one array, refilled for every batch
        buf = np.empty((2, 16, 16, 3), np.uint8)
        for i in range(0, 8, 2):
            buf[:] = fr[i:i + 2]
            yield buf

    assert GIF.write(tmp_path / "a.gif", reused(), fps=10).read_bytes() == GIF.write(tmp_path / "b.gif", [fr], fps=10).read_bytes()


# ----------------------------------------------------------------- recipe, determinism, atomicity


def test_recipe_in_comment_extension_and_read_back(tmp_path):
    recipe = {"sketch": "sketches/loop.py", "params": {"frames": 12, "name": "ünïcødé"}, "seed": np.int64(3),
              "model": "vae-mnist", "versions": {"genart-kit": "0.1.0"}, "long": "x" * 600}
    p = GIF.write(tmp_path / "r.gif", [walk(3)], fps=10, recipe=recipe)
    comments = gif_blocks(p.read_bytes())["comments"]
    assert len(comments) == 1 and comments[0].startswith(b"genart-kit:recipe {")
    back = read_recipe(p)
    assert back["seed"] == 3 and back["params"]["name"] == "ünïcødé" and back["long"] == "x" * 600
    assert read_recipe(GIF.write(tmp_path / "n.gif", [walk(2)], fps=10)) is None


def test_same_input_gives_identical_bytes(tmp_path):
    fr = walk(10, 40)
    digests = set()
    for i, batches in enumerate(([fr], [fr[:3], fr[3:]], (f[None] for f in fr))):
        p = GIF.write(tmp_path / f"d{i}.gif", batches, fps=24, recipe={"seed": 1}, dither="bayer")
        digests.add(hashlib.sha256(p.read_bytes()).hexdigest())
    assert len(digests) == 1


def test_interrupted_export_leaves_nothing(tmp_path):
    (tmp_path / "keep.gif").write_bytes(b"old")

    def gen():
        yield walk(2)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        GIF.write(tmp_path / "keep.gif", gen(), fps=10)
    assert (tmp_path / "keep.gif").read_bytes() == b"old"
    assert sorted(os.listdir(tmp_path)) == ["keep.gif"]


def test_bad_frame_mid_stream_leaves_nothing(tmp_path):
    def gen():
        yield walk(2)
        yield walk(2).astype(np.float32)

    with pytest.raises(InvalidInputError, match="uint8"):
        GIF.write(tmp_path / "x.gif", gen(), fps=10)
    assert os.listdir(tmp_path) == []


def test_missing_folder_and_directory_target(tmp_path):
    with pytest.raises(ExportError, match="does not exist"):
        GIF.write(tmp_path / "nope" / "a.gif", [walk(1)], fps=10)
    with pytest.raises(ExportError, match="folder"):
        GIF.write(tmp_path, [walk(1)], fps=10)


def test_unwritable_folder(tmp_path, monkeypatch):
    # simulated (the tests may run as root, which ignores permissions): os.access says "not writable"
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, *a, **k: False if str(p) == str(tmp_path) else real(p, mode, *a, **k))
    with pytest.raises(ExportError, match="not writable"):
        GIF.write(tmp_path / "a.gif", [walk(1)], fps=10)


@pytest.mark.parametrize("bad, match", [
    (np.zeros((2, 8, 8, 3), np.float32), "uint8"),
    (np.full((2, 8, 8, 3), np.nan, np.float32), "NaN"),
    (np.zeros((8, 8, 3), np.uint8), "4 dimensions"),
    (np.zeros((2, 8, 8, 2), np.uint8), "channels"),
    (np.zeros((2, 3, 8, 8), np.uint8), "transpose"),
    (np.zeros((2, 0, 8, 3), np.uint8), "1x1"),
    ([[1, 2, 3]], "list"),
])
def test_bad_frames_are_clear_errors(tmp_path, bad, match):
    with pytest.raises(GenartError, match=match):
        GIF.write(tmp_path / "a.gif", [bad], fps=10)


def test_zero_frames_and_size_change(tmp_path):
    with pytest.raises(ExportError, match="no frames"):
        GIF.write(tmp_path / "a.gif", [], fps=10)
    with pytest.raises(ExportError, match="no frames"):
        GIF.write(tmp_path / "a.gif", [np.zeros((0, 8, 8, 3), np.uint8)], fps=10)
    with pytest.raises(InvalidInputError, match="same size"):
        GIF.write(tmp_path / "a.gif", [walk(1, 8), walk(1, 9)], fps=10)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("opt", [dict(colors=1), dict(colors=300), dict(dither="x"), dict(loop=-1), dict(max_bytes=0),
                                 dict(palette=np.zeros((3, 4), np.uint8)), dict(lut_bits=9), dict(buffer_mb=0)])
def test_bad_options_are_clear_errors(tmp_path, opt):
    with pytest.raises(GenartError):
        GIF.write(tmp_path / "a.gif", [walk(1)], fps=10, **opt)


def test_instance_is_registered_as_gif():
    from genart_kit.registry import get_registry

    entry = get_registry().get("exporter", "gif")
    assert ".gif" in entry.meta["suffixes"]
    assert isinstance(entry.resolve(), GifExporter)
