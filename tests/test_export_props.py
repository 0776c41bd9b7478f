"""Property-based tests (hypothesis): random shapes, lengths, dtypes, values and frame rates either export
correctly (re-read: frame count, size, timing, pixels for lossless formats) or raise the toolkit's own error,
never a crash inside Pillow and never a stray file."""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from genart_kit.errors import GenartError
from genart_kit.export import read_recipe
from genart_kit.export.gif import GIF
from genart_kit.export.images import APNG, PNG_SEQUENCE, WEBP
from genart_kit.export.spritesheet import SPRITESHEET

EXPORTERS = {"gif": (GIF, "a.gif"), "apng": (APNG, "a.png"), "webp": (WEBP, "a.webp"),
             "png-sequence": (PNG_SEQUENCE, "seq"), "spritesheet": (SPRITESHEET, "s.json")}

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)


@st.composite
def frames_input(draw):
    """A list of batches: mostly valid uint8 [B, H, W, C]; sometimes a wrong dtype/rank/channels/size."""
    h = draw(st.integers(1, 12))
    w = draw(st.integers(1, 12))
    c = draw(st.sampled_from([1, 3, 4, 3, 4, 2]))
    kind = draw(st.sampled_from(["zeros", "full", "random", "random", "alpha-edge"]))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    sizes = draw(st.lists(st.integers(0, 3), min_size=0, max_size=3))
    batches = []
    for b in sizes:
        if kind == "zeros":
            arr = np.zeros((b, h, w, c), np.uint8)
        elif kind == "full":
            arr = np.full((b, h, w, c), 255, np.uint8)
        elif kind == "alpha-edge":
            arr = rng.integers(0, 256, (b, h, w, c), dtype=np.uint8)
            if c == 4:
                arr[..., 3] = rng.choice([0, 127, 128, 255], (b, h, w))
        else:
            arr = rng.integers(0, 256, (b, h, w, c), dtype=np.uint8)
        batches.append(arr)
    corrupt = draw(st.sampled_from([None] * 6 + ["float", "nan", "int16", "rank3", "resize", "list"]))
    if corrupt and batches:
        i = draw(st.integers(0, len(batches) - 1))
        a = batches[i]
        batches[i] = {"float": lambda: a.astype(np.float32) / 255, "nan": lambda: np.full(a.shape, np.nan, np.float32),
                      "int16": lambda: a.astype(np.int16), "rank3": lambda: a.reshape(-1, w, c),
                      "resize": lambda: np.zeros((1, h + 1, w, c), np.uint8), "list": lambda: a.tolist()}[corrupt]()
    return batches


fps_values = st.one_of(st.sampled_from([24, 25, 30, 12.5, 29.97, 50, 60, 1, 0.5, 1e-6, 1e-12, 5e-324, 1e6, 1e308, 0.0]),
                       st.floats(allow_nan=True, allow_infinity=True, width=32),
                       st.integers(-5, 120))


def _valid(batches) -> tuple[bool, int, tuple | None]:
    shape = None
    n = 0
    for b in batches:
        if not isinstance(b, np.ndarray) or b.dtype != np.uint8 or b.ndim != 4 or b.shape[-1] not in (1, 3, 4):
            return False, 0, None
        if b.shape[0] == 0:
            continue
        if shape is not None and b.shape[1:] != shape:
            return False, 0, None
        shape = b.shape[1:]
        n += b.shape[0]
    return n > 0, n, shape


def _check_result(name: str, path: Path, batches, fps: float, n: int, shape: tuple) -> None:
    h, w, c = shape
    frames = np.concatenate([b for b in batches if b.shape[0]])
    if name == "gif":
        im = Image.open(path)
        assert im.n_frames == n and im.size == (w, h)
        total = 0
        for i in range(n):
            im.seek(i)
            total += im.info["duration"]
        assert abs(total - round(100 * n / fps) * 10) <= 0  # exact total in centiseconds
    elif name == "apng":
        im = Image.open(path)
        assert getattr(im, "n_frames", 1) == n and im.size == (w, h)
        for i in range(n):
            im.seek(i)
            got = np.asarray(im.convert({1: "L", 3: "RGB", 4: "RGBA"}[c])).reshape(h, w, c)
            assert np.array_equal(got, frames[i])
    elif name == "webp":
        im = Image.open(path)
        assert im.size == (w, h) and 1 <= getattr(im, "n_frames", 1) <= n
    elif name == "png-sequence":
        pngs = sorted(p for p in os.listdir(path) if p.endswith(".png"))
        assert len(pngs) == n
        assert np.array_equal(np.asarray(Image.open(path / pngs[-1])).reshape(h, w, c), frames[-1])
    elif name == "spritesheet":
        assert path.with_suffix(".png").is_file()
    assert read_recipe(path) == {"seed": 1}


@SETTINGS
@given(name=st.sampled_from(sorted(EXPORTERS)), batches=frames_input(), fps=fps_values)
def test_exporters_work_or_raise_a_toolkit_error(name, batches, fps):
    exporter, fname = EXPORTERS[name]
    with tempfile.TemporaryDirectory() as tmp:
        target = Path(tmp) / fname
        ok, n, shape = _valid(batches)
        try:
            out = exporter.write(target, iter(batches), fps=fps, recipe={"seed": 1})
        except GenartError as exc:
            assert str(exc)  # a sentence, not an empty error
            assert os.listdir(tmp) == [], "a failed export left files behind"
            return
        assert ok, f"{name} accepted invalid input"
        assert isinstance(fps, (int, float)) and math.isfinite(fps) and fps > 0
        leftovers = [p for p in os.listdir(tmp) if p.startswith(".")]
        assert leftovers == []
        _check_result(name, Path(out), batches, float(fps), n, shape)


@settings(max_examples=25, deadline=None, derandomize=True)
@given(fps=st.floats(min_value=0.01, max_value=50), n=st.integers(1, 400))
def test_gif_delays_never_drift(fps, n):
    from genart_kit.export.frames import cumulative_delays

    gen = cumulative_delays(fps, 100)
    delays = [next(gen) for _ in range(n)]
    exact = 100 * n / fps
    assert abs(sum(delays) - exact) <= 0.5 + 1e-6
    assert max(delays) - min(delays) <= 1


@settings(max_examples=25, deadline=None, derandomize=True)
@given(seed=st.integers(0, 2**31), colors=st.integers(2, 256), dither=st.sampled_from(["none", "bayer", "floyd-steinberg"]))
def test_gif_colors_and_dither_are_deterministic(seed, colors, dither):
    fr = np.random.default_rng(seed).integers(0, 256, (3, 9, 7, 3), dtype=np.uint8)
    with tempfile.TemporaryDirectory() as tmp:
        a = GIF.write(Path(tmp) / "a.gif", [fr], fps=10, colors=colors, dither=dither).read_bytes()
        b = GIF.write(Path(tmp) / "b.gif", (f[None] for f in fr), fps=10, colors=colors, dither=dither).read_bytes()
        assert a == b
        im = Image.open(Path(tmp) / "a.gif")
        assert im.n_frames == 3
        im.seek(0)
        assert len({tuple(p) for p in np.asarray(im.convert("RGB")).reshape(-1, 3)}) <= min(colors, 255)
        # later frames may carry local tables; each holds at most `colors` opaque entries (its transparent
        # index comes right after them, in the graphic-control extension)
        from test_export_gif import gif_blocks

        trs = gif_blocks(a)["transparent"]
        assert len(trs) == 3 and max(trs) <= min(colors, 255)
