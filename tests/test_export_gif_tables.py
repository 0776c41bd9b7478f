"""GIF local colour tables, quality presets and the size budget's report, verified by decoding with Pillow."""

from __future__ import annotations

import logging
from types import SimpleNamespace

import numpy as np
import pytest
from matplotlib.colors import hsv_to_rgb
from PIL import Image

from genart_kit.commands.run import _written_size
from genart_kit.errors import ExportError, InvalidInputError
from genart_kit.export.gif import GIF, gif_size
from genart_kit.export.gif_tables import QUALITY_PRESETS, FrameSamples, plan_tables
from genart_kit.export.palette import build_palette, points_from_keys

from test_export_gif import gif_blocks, psnr, read_gif


def hue_loop(n: int = 24, size: int = 48) -> np.ndarray:
    """``[n, size, size, 3]`` uint8: each frame spans a third of the colour wheel; the band goes round the wheel."""
    y, x = np.mgrid[0:size, 0:size] / size
    out = []
    for i in range(n):
        h = (i / n + 0.33 * (0.6 * x + 0.4 * y)) % 1.0
        s = 0.55 + 0.45 * np.sin(2 * np.pi * (y + i / n)) ** 2
        v = 0.6 + 0.4 * x
        out.append(hsv_to_rgb(np.stack([h, s, v], -1)))
    return (np.array(out) * 255 + 0.5).astype(np.uint8)


def global_palette(frames: np.ndarray, k: int = 255) -> np.ndarray:
    keys = (frames[..., 0].astype(np.uint32) << 16) | (frames[..., 1].astype(np.uint32) << 8) | frames[..., 2]
    pts, w = points_from_keys(keys.ravel())
    return build_palette(pts, w, k)


def test_travelling_colours_get_local_tables_and_beat_one_palette(tmp_path):
    fr = hue_loop()
    p = GIF.write(tmp_path / "h.gif", [fr], fps=24)
    info = gif_blocks(p.read_bytes())
    assert info["images"] == len(fr)
    assert info["local_tables"] >= 2
    dec, _, _ = read_gif(p)
    ours = psnr(np.stack(dec)[..., :3], fr)
    one = GIF.write(tmp_path / "one.gif", [fr], fps=24, palette=global_palette(fr))
    single = psnr(np.stack(read_gif(one)[0])[..., :3], fr)
    assert ours >= single + 2.0, (ours, single)
    ims = [Image.fromarray(f) for f in fr]  # Pillow's default: an adaptive palette per frame
    ims[0].save(tmp_path / "pil.gif", save_all=True, append_images=ims[1:], duration=40, loop=0)
    assert ours >= psnr(np.stack(read_gif(tmp_path / "pil.gif")[0])[..., :3], fr)


def test_a_clip_that_fits_one_palette_keeps_one_global_table(tmp_path):
    from matplotlib import colormaps

    y, x = np.mgrid[0:32, 0:32] / 32
    lut = colormaps["magma"](np.linspace(0, 1, 256))[:, :3]
    fields = [0.5 + 0.5 * np.sin(2 * np.pi * (x + 0.7 * y + i / 16)) for i in range(16)]
    fr = (np.stack([lut[(f * 255).astype(int)] for f in fields]) * 255 + 0.5).astype(np.uint8)  # a colour-map walk
    p = GIF.write(tmp_path / "w.gif", [fr], fps=24)
    assert gif_blocks(p.read_bytes())["local_tables"] == 0
    # and the planner says so directly
    samples = FrameSamples(32, 32)
    samples.add(fr)
    assert len(plan_tables(samples, 255, QUALITY_PRESETS["balanced"])) == 1


def test_local_tables_with_transparency_composite_to_the_source(tmp_path):
    """Unchanged pixels become transparent while tables change: the decoded, composited frames match the source."""
    fr = hue_loop(20, 48)
    fr[:, :20, :20] = fr[0, :20, :20]  # a static corner drawn by frame 0's table, kept through later tables
    fr[:, 40:, :] = fr[:, 40:, :] // 64 * 64  # a band with few colours
    p = GIF.write(tmp_path / "t.gif", [fr], fps=24)
    info = gif_blocks(p.read_bytes())
    assert info["local_tables"] >= 2
    dec = np.stack(read_gif(p)[0])
    assert (dec[..., 3] == 255).all()  # fully opaque after compositing
    for i, f in enumerate(dec):
        assert psnr(f[..., :3], fr[i]) >= 34.0, i
        assert np.array_equal(f[:20, :20], dec[0][:20, :20]), i  # the static corner never flickers
    # later frames really do rely on the previous canvas (sub-rectangles / transparent pixels)
    assert len(p.read_bytes()) < len(GIF.write(tmp_path / "full.gif", [fr], fps=24, optimize=False).read_bytes())


def test_rgba_clip_with_local_tables_keeps_alpha(tmp_path):
    fr = hue_loop(12, 32)
    alpha = np.full(fr.shape[:3] + (1,), 255, np.uint8)
    alpha[:, :8] = 0  # a transparent top band in every frame
    alpha[5:8, :, 24:] = 0  # and a hole in a few frames (needs clearing)
    rgba = np.concatenate([fr, alpha], -1)
    p = GIF.write(tmp_path / "a.gif", [rgba], fps=10)
    dec = read_gif(p)[0]
    assert len(dec) == 12
    for i, f in enumerate(dec):
        opaque = alpha[i, ..., 0] == 255
        assert np.array_equal(f[..., 3] == 255, opaque), i
        assert psnr(f[opaque][:, :3], fr[i][opaque]) >= 32.0, i


def test_exact_timing_and_frame_count_with_local_tables(tmp_path):
    fr = np.concatenate([hue_loop(15, 32), np.repeat(hue_loop(15, 32)[-1:], 3, axis=0)])  # a hold at the end
    p = GIF.write(tmp_path / "d.gif", [fr], fps=24)
    info = gif_blocks(p.read_bytes())
    assert info["images"] == 18 and info["local_tables"] >= 1
    delays = [d for _disp, d in info["gce"]]
    assert delays == [4, 4, 5, 4, 4, 4] * 3  # 75 cs for 18 frames at 24 fps: exact
    dec, durs, _ = read_gif(p)
    assert len(dec) == 18 and np.array_equal(dec[-1], dec[-2]) and sum(durs) == 750


@pytest.mark.parametrize("quality", ["smallest", "balanced", "best"])
def test_same_input_gives_identical_bytes_in_every_preset(tmp_path, quality):
    fr = hue_loop(10, 32)
    a = GIF.write(tmp_path / "a.gif", [fr], fps=24, quality=quality).read_bytes()
    b = GIF.write(tmp_path / "b.gif", (fr[i:i + 3] for i in range(0, 10, 3)), fps=24, quality=quality).read_bytes()
    assert a == b


def test_presets_trade_size_for_quality(tmp_path):
    fr = hue_loop(16, 48)
    out = {}
    for q in ("smallest", "balanced", "best"):
        p = GIF.write(tmp_path / f"{q}.gif", [fr], fps=24, quality=q)
        out[q] = (len(p.read_bytes()), psnr(np.stack(read_gif(p)[0])[..., :3], fr))
    assert out["smallest"][0] <= out["balanced"][0]
    assert max(gif_blocks((tmp_path / "smallest.gif").read_bytes())["transparent"]) <= 128  # 128 colours per table
    assert max(gif_blocks((tmp_path / "balanced.gif").read_bytes())["transparent"]) > 128
    assert out["balanced"][1] >= out["smallest"][1]
    assert out["best"][1] >= out["balanced"][1] - 0.2


@pytest.mark.parametrize("bad", ["high", "", None, 3])
def test_unknown_quality_is_a_clear_error(tmp_path, bad):
    with pytest.raises(InvalidInputError, match="quality must be one of smallest, balanced, best"):
        GIF.write(tmp_path / "q.gif", [hue_loop(2, 8)], fps=24, quality=bad)


def test_size_budget_reports_the_shrink(tmp_path, caplog):
    fr = hue_loop(16, 64)
    full = len(GIF.write(tmp_path / "full.gif", [fr], fps=24).read_bytes())
    with caplog.at_level(logging.WARNING, logger="genart_kit.export.gif"):
        p = GIF.write(tmp_path / "small.gif", [fr], fps=24, max_bytes=full // 3)
    assert len(p.read_bytes()) <= full // 3
    w, h = gif_size(p)
    assert (w, h) != (64, 64) and w == h
    assert f"from 64x64 to {w}x{h}" in caplog.text
    # the command's output line gives the written size, not the clip's
    clip = SimpleNamespace(width=64, height=64)
    assert _written_size(p, clip) == f"{w}x{h}, shrunk from 64x64 to fit max_bytes"
    assert _written_size(tmp_path / "full.gif", clip) == "64x64"
    dec = read_gif(p)[0]
    assert len(dec) == 16 and dec[0].shape[:2] == (h, w)


def test_size_budget_without_shrinking_says_nothing(tmp_path, caplog):
    fr = hue_loop(4, 16)
    with caplog.at_level(logging.WARNING, logger="genart_kit.export.gif"):
        p = GIF.write(tmp_path / "b.gif", [fr], fps=24, max_bytes=10_000_000)
    assert gif_size(p) == (16, 16)
    assert "size budget" not in caplog.text


def test_gif_size_of_a_non_gif_is_a_clear_error(tmp_path):
    (tmp_path / "x.gif").write_bytes(b"not a gif")
    with pytest.raises(ExportError, match="is not a GIF"):
        gif_size(tmp_path / "x.gif")
    with pytest.raises(ExportError, match="cannot read"):
        gif_size(tmp_path / "missing.gif")


def test_long_stream_gets_tables_window_by_window(tmp_path):
    """Beyond buffer_mb the clip is encoded window by window (bounded memory), each with its own tables."""
    fr = hue_loop(24, 32)
    buffer_mb = 8 * 32 * 32 * 3 / 2**20  # eight frames per window
    p = GIF.write(tmp_path / "s.gif", (fr[i:i + 4] for i in range(0, 24, 4)), fps=24, buffer_mb=buffer_mb)
    whole = GIF.write(tmp_path / "w.gif", [fr], fps=24)
    dec = np.stack(read_gif(p)[0])[..., :3]
    assert len(dec) == 24
    assert psnr(dec, fr) >= psnr(np.stack(read_gif(whole)[0])[..., :3], fr) - 1.0
