"""APNG, WebP, PNG sequence, sprite sheet, MP4/WebM, to_uint8, read_recipe, exporter lookup."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import sys

import numpy as np
import pytest
from PIL import Image

import genart_kit.export as ex
from genart_kit.errors import ExportError, InvalidInputError, MissingDependencyError, UnknownNameError
from genart_kit.export import read_recipe, to_uint8
from genart_kit.export.images import APNG, PNG_SEQUENCE, WEBP
from genart_kit.export.spritesheet import SPRITESHEET
from genart_kit.export.video import MP4, WEBM

RECIPE = {"sketch": "sketches/loop.py", "params": {"frames": 6}, "seed": 7, "model": "vae-mnist", "versions": {"numpy": "2"}}


def clip(n: int = 6, h: int = 12, w: int = 10, c: int = 3, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (n, h, w, c), dtype=np.uint8)


def sha(p) -> str:
    return hashlib.sha256(open(p, "rb").read()).hexdigest()


# ------------------------------------------------------------------------------------------ APNG


@pytest.mark.parametrize("c", [1, 3, 4])
def test_apng_lossless_every_frame_exact_delays(tmp_path, c):
    fr = clip(6, c=c)
    fr[3] = fr[2]  # identical consecutive frames must survive
    p = APNG.write(tmp_path / "a.png", [fr[:2], fr[2:]], fps=24, recipe=RECIPE)
    im = Image.open(p)
    assert im.n_frames == 6 and im.info.get("loop") == 0
    for i in range(6):
        im.seek(i)
        assert im.info["duration"] == pytest.approx(1000 / 24)
        got = np.asarray(im.convert({1: "L", 3: "RGB", 4: "RGBA"}[c]))
        assert np.array_equal(got.reshape(fr[i].shape), fr[i])
    assert read_recipe(p) == RECIPE


def test_apng_single_frame_is_plain_png_and_deterministic(tmp_path):
    p = APNG.write(tmp_path / "one.png", [clip(1)], fps=10, recipe=RECIPE)
    data = p.read_bytes()
    assert b"acTL" not in data and read_recipe(p) == RECIPE
    assert not getattr(Image.open(p), "is_animated", False)
    q = APNG.write(tmp_path / "two.png", [clip(3)], fps=10, recipe=RECIPE)
    r = APNG.write(tmp_path / "three.png", (f[None] for f in clip(3)), fps=10, recipe=RECIPE)
    assert sha(q) == sha(r)


def test_apng_inexact_fps_falls_back_to_ms(tmp_path):
    p = APNG.write(tmp_path / "slow.png", [clip(3)], fps=0.0123457, loop=2)  # 1/fps = 10000000/123457 s
    im = Image.open(p)
    assert im.n_frames == 3 and im.info["loop"] == 2
    assert im.info["duration"] == pytest.approx(1000 / 0.0123457, abs=10)  # 81 s in centiseconds
    with pytest.raises(ExportError, match="too slow"):
        APNG.write(tmp_path / "slower.png", [clip(2)], fps=1 / 70000)


# ------------------------------------------------------------------------------------------ WebP


def test_webp_timing_and_recipe(tmp_path):
    fr = clip(6, 16, 16)
    fr[3] = fr[2]  # libwebp merges held frames but keeps their time
    p = WEBP.write(tmp_path / "a.webp", [fr], fps=24, recipe=RECIPE, lossless=True)
    im = Image.open(p)
    durs = []
    for i in range(im.n_frames):
        im.seek(i)
        im.load()
        durs.append(im.info["duration"])
    assert sum(durs) == 250  # 6 frames at 24 fps = 250 ms exactly
    im.seek(0)
    assert np.array_equal(np.asarray(im.convert("RGB")), fr[0])  # lossless
    assert read_recipe(p) == RECIPE
    assert sha(p) == sha(WEBP.write(tmp_path / "b.webp", [fr[:2], fr[2:]], fps=24, recipe=RECIPE, lossless=True))


@pytest.mark.parametrize("c", [1, 4])
def test_webp_grey_and_alpha(tmp_path, c):
    p = WEBP.write(tmp_path / "g.webp", [clip(2, c=c)], fps=10)
    assert Image.open(p).n_frames == 2


def test_webp_bad_options(tmp_path):
    with pytest.raises(InvalidInputError):
        WEBP.write(tmp_path / "a.webp", [clip(2)], fps=10, quality=101)
    with pytest.raises(InvalidInputError):
        WEBP.write(tmp_path / "a.webp", [clip(2)], fps=10, method=9)
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------- PNG sequence


def test_png_sequence_folder_manifest_and_replace(tmp_path):
    fr = clip(5)
    out = PNG_SEQUENCE.write(tmp_path / "frames", [fr], fps=24, recipe=RECIPE)
    names = sorted(os.listdir(out))
    assert names == [f"frame_{i:06d}.png" for i in range(5)] + ["frames.json"]
    man = json.loads((out / "frames.json").read_text())
    assert man["frame_count"] == 5 and man["fps"] == 24 and sum(man["durations_ms"]) == 208
    assert man["recipe"] == RECIPE and read_recipe(out) == RECIPE and read_recipe(out / "frame_000003.png") == RECIPE
    assert np.array_equal(np.asarray(Image.open(out / "frame_000004.png")), fr[4])
    # re-export replaces our own folder (fewer frames: old files gone)
    PNG_SEQUENCE.write(tmp_path / "frames", [fr[:2]], fps=24)
    assert sorted(os.listdir(out)) == ["frame_000000.png", "frame_000001.png", "frames.json"]
    assert sorted(os.listdir(tmp_path)) == ["frames"]


def test_png_sequence_refuses_foreign_folder(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.txt").write_text("precious")
    with pytest.raises(ExportError, match="refusing"):
        PNG_SEQUENCE.write(tmp_path / "mine", [clip(2)], fps=10)
    assert os.listdir(tmp_path / "mine") == ["thesis.txt"]


def test_png_sequence_interrupted_leaves_nothing(tmp_path):
    def gen():
        yield clip(2)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        PNG_SEQUENCE.write(tmp_path / "seq", gen(), fps=10)
    assert os.listdir(tmp_path) == []


# ---------------------------------------------------------------------------------- sprite sheet


def test_spritesheet_atlas_and_frame_table(tmp_path):
    fr = clip(7, 8, 6, c=4)
    p = SPRITESHEET.write(tmp_path / "walk.json", [fr], fps=24, recipe=RECIPE, padding=1)
    doc = json.loads(p.read_text())
    meta = doc["meta"]
    assert meta["image"] == "walk.png" and meta["columns"] == 3 and meta["rows"] == 3 and meta["frameCount"] == 7
    assert meta["size"] == {"w": 3 * 6 + 2, "h": 3 * 8 + 2} and meta["recipe"] == RECIPE
    atlas = np.asarray(Image.open(tmp_path / "walk.png"))
    for i, f in enumerate(doc["frames"]):
        r = f["frame"]
        assert np.array_equal(atlas[r["y"]:r["y"] + r["h"], r["x"]:r["x"] + r["w"]], fr[i])
    assert sum(f["duration"] for f in doc["frames"]) == round(7000 / 24)
    assert read_recipe(tmp_path / "walk.png") == RECIPE and read_recipe(p) == RECIPE


def test_spritesheet_png_path_and_size_limit(tmp_path):
    p = SPRITESHEET.write(tmp_path / "s.png", [clip(4)], fps=10, columns=4)
    assert p.suffix == ".png" and (tmp_path / "s.json").is_file()
    with pytest.raises(ExportError, match="max_side"):
        SPRITESHEET.write(tmp_path / "big.json", [clip(4, 10, 10)], fps=10, max_side=15)
    assert not (tmp_path / "big.json").exists() and not (tmp_path / "big.png").exists()


# ------------------------------------------------------------------------------------ MP4 / WebM


def test_video_without_imageio_ffmpeg_is_a_clear_error(tmp_path, monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "imageio_ffmpeg" else real(name, *a))
    with pytest.raises(MissingDependencyError, match=r"genart-kit\[video\]"):
        MP4.write(tmp_path / "a.mp4", [clip(2)], fps=10)
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("exporter, name", [(MP4, "a.mp4"), (WEBM, "a.webm")])
def test_video_round_trip_when_the_extra_is_installed(tmp_path, exporter, name):
    fr = np.zeros((5, 15, 17, 3), np.uint8)
    fr[..., 0] = np.arange(5)[:, None, None] * 50
    if importlib.util.find_spec("imageio_ffmpeg") is None:  # the optional extra is absent: the error is the contract
        with pytest.raises(MissingDependencyError):
            exporter.write(tmp_path / name, [fr], fps=24, recipe=RECIPE)
        return
    p = exporter.write(tmp_path / name, [fr], fps=24, recipe=RECIPE)
    import imageio_ffmpeg

    gen = imageio_ffmpeg.read_frames(str(p))
    meta = next(gen)
    frames = [np.frombuffer(b, np.uint8).reshape(16, 18, 3) for b in gen]
    assert tuple(meta["size"]) == (18, 16)  # odd sizes padded to even
    assert len(frames) == 5
    assert abs(float(frames[4][..., 0].mean()) - 200) < 12
    assert read_recipe(p) == RECIPE
    assert sha(p) == sha(exporter.write(tmp_path / ("b" + name[1:]), [fr[:2], fr[2:]], fps=24, recipe=RECIPE))


# ------------------------------------------------------------------------------------- to_uint8


def test_to_uint8_rounding_clamping_layout():
    x = np.array([0.0, 0.5, 1.0, -3.0, 7.0, 1 / 255, 254.5 / 255], np.float32).reshape(1, 1, 1, 7)
    x = np.repeat(x, 3, axis=1)  # [1, 3, 1, 7]
    out = to_uint8(x)
    assert out.dtype == np.uint8 and out.shape == (1, 1, 7, 3)
    assert out[0, 0, :, 0].tolist() == [0, 128, 255, 0, 255, 1, 254]
    assert to_uint8(np.zeros((3, 4, 5), np.float64)).shape == (1, 4, 5, 3)


def test_to_uint8_torch_and_errors():
    import torch

    t = torch.rand(2, 1, 4, 4)
    out = to_uint8(t)
    assert out.shape == (2, 4, 4, 1)
    assert np.array_equal(out[..., 0], np.rint(t.numpy()[:, 0] * 255).astype(np.uint8))
    with pytest.raises(InvalidInputError, match="NaN"):
        to_uint8(torch.full((1, 3, 2, 2), float("nan")))
    with pytest.raises(InvalidInputError, match="permute"):
        to_uint8(np.zeros((1, 5, 5, 3), np.float32))
    with pytest.raises(InvalidInputError):
        to_uint8(np.zeros((1, 3, 4, 4), np.int32))
    with pytest.raises(InvalidInputError):
        to_uint8(np.zeros((0, 3, 4, 4), np.float32))


def test_torch_tensor_batches_get_a_hint(tmp_path):
    import torch

    with pytest.raises(InvalidInputError, match="to_uint8"):
        ex.write(tmp_path / "a.gif", [torch.zeros(1, 3, 4, 4)], fps=10)


# ------------------------------------------------------------------------------- lookup, recipe


@pytest.mark.parametrize("name, kind", [("a.gif", "GifExporter"), ("A.GIF", "GifExporter"), ("a.png", "ApngExporter"),
                                        ("a.apng", "ApngExporter"), ("a.webp", "WebPExporter"), ("frames", "PngSequenceExporter"),
                                        ("s.json", "SpriteSheetExporter"), ("v.mp4", "VideoExporter"), ("v.webm", "VideoExporter")])
def test_find_exporter_by_suffix(name, kind):
    assert type(ex.find_exporter(name)).__name__ == kind


def test_find_exporter_errors_and_format():
    with pytest.raises(UnknownNameError, match="Did you mean"):
        ex.find_exporter("x.gfi")
    with pytest.raises(UnknownNameError):
        ex.find_exporter("x", format="jif")
    assert type(ex.find_exporter("x.bin", format="GIF")).__name__ == "GifExporter"


def test_every_registered_exporter_round_trips_a_recipe(tmp_path):
    from genart_kit.registry import get_registry

    fr = clip(3, 16, 16)
    for entry in get_registry().entries("exporter"):
        if entry.name in ("mp4", "webm") and importlib.util.find_spec("imageio_ffmpeg") is None:
            continue  # covered by test_video_* (this loop checks the shared contract)
        suffix = entry.meta["suffixes"][0]
        p = entry.resolve().write(tmp_path / f"{entry.name}{suffix}", iter([fr]), fps=12, total_frames=3, recipe=RECIPE)
        assert read_recipe(p) == RECIPE, entry.name
        with pytest.raises(ExportError):
            entry.resolve().write(tmp_path / "missing" / f"x{suffix}", [fr], fps=12)
        with pytest.raises(ExportError):
            entry.resolve().write(tmp_path / f"y{suffix}", [], fps=12)
        with pytest.raises(ExportError):
            entry.resolve().write(tmp_path / f"z{suffix}", [fr], fps=0)


def test_read_recipe_errors(tmp_path):
    with pytest.raises(InvalidInputError, match="no such file"):
        read_recipe(tmp_path / "nope.gif")
    (tmp_path / "x.txt").write_text("hello")
    assert read_recipe(tmp_path / "x.txt") is None
    with pytest.raises(InvalidInputError):
        ex.write(tmp_path / "a.gif", [clip(1)], fps=10, recipe={"bad": float("nan")})
    with pytest.raises(InvalidInputError):
        ex.write(tmp_path / "a.gif", [clip(1)], fps=10, recipe=["not", "a", "dict"])


def test_package_import_is_light():
    code = ("import sys, genart_kit.export, genart_kit.export.plugin; "
            "bad = [m for m in ('numpy', 'PIL', 'torch') if m in sys.modules]; print(bad); sys.exit(bool(bad))")
    import subprocess

    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_video_encoder_failure_is_reported_and_leaves_nothing(tmp_path, monkeypatch):
    import shutil

    from genart_kit.export import video

    monkeypatch.setattr(video, "_ffmpeg_exe", lambda: shutil.which("false") or "/bin/false")  # exits with status 1
    with pytest.raises(ExportError, match="exit status 1"):
        MP4.write(tmp_path / "a.mp4", [clip(3)], fps=24)
    assert os.listdir(tmp_path) == []


# ------------------------------------------------------------------------------ disk errors (OSError)


@pytest.mark.parametrize("name", ["x.gif", "x.webp", "x.png", "x.json", "seq"])
def test_disk_full_is_a_clear_export_error(tmp_path, monkeypatch, name):
    import errno

    import genart_kit.export.atomic as atomic

    real_replace = os.replace

    def full(src, dst):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "replace", full)
    with pytest.raises(ExportError, match="no space left on device: free space or choose another folder"):
        ex.write(tmp_path / name, [clip(3)], fps=10)
    monkeypatch.setattr(atomic.os, "replace", real_replace)
    assert [p.name for p in tmp_path.iterdir()] == []


def test_disk_full_during_the_write_is_a_clear_export_error(tmp_path, monkeypatch):
    import errno

    def boom(*a, **k):
        raise OSError(errno.ENOSPC, "No space left on device")

    import pathlib

    monkeypatch.setattr(pathlib.Path, "write_bytes", boom)
    with pytest.raises(ExportError, match=r"x\.webp.*no space left on device"):
        ex.write(tmp_path / "x.webp", [clip(3)], fps=10)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("suffix", [".gif", ".webp", ".png", ".json", ""])
def test_file_name_too_long_is_a_clear_export_error(tmp_path, suffix):
    with pytest.raises(ExportError, match="file name too long"):
        ex.write(tmp_path / ("a" * 300 + suffix), [clip(3)], fps=10)
    assert list(tmp_path.iterdir()) == []


def test_clip_save_file_name_too_long(tmp_path):
    import genart_kit as ga

    import torch

    c = ga.pipeline.Clip.from_frames(torch.rand(3, 3, 8, 8))
    with pytest.raises(ExportError, match="file name too long"):
        c.save(tmp_path / ("a" * 300 + ".gif"))


def test_api_options_and_paths_are_checked(tmp_path):
    import genart_kit as ga

    with pytest.raises(InvalidInputError, match=r"no option 'nope'.*Valid options"):
        ga.render.get("colormap", nope=1)
    with pytest.raises(InvalidInputError, match=r"no option 'bogus'.*Valid options"):
        ga.export.write(tmp_path / "x.gif", [clip(2)], fps=10, bogus=1)
    for bad in (b"x.gif", None, "x\x00.gif"):
        with pytest.raises(InvalidInputError, match="output path"):
            ga.export.write(bad, [clip(2)], fps=10)


def test_image_inputs_are_checked(tmp_path, monkeypatch):
    from genart_kit.latent.images import load_images

    with pytest.raises(InvalidInputError, match="mnist:3,1,4"):
        load_images("mnist:x")
    big = tmp_path / "big.png"
    Image.new("L", (64, 64)).save(big)
    monkeypatch.setattr(Image, "MAX_IMAGE_PIXELS", 1000)
    with pytest.raises(InvalidInputError, match=r"too large \(64 x 64\); resize it below"):
        load_images(big)


def test_spritesheet_refuses_to_overwrite_an_unrelated_atlas_png(tmp_path):
    APNG.write(tmp_path / "walk.png", [clip(3)], fps=10, recipe=RECIPE)  # a toolkit APNG, recipe and all
    before = sha(tmp_path / "walk.png")
    with pytest.raises(ExportError, match=r"walk\.png.*(another name|delete)"):
        SPRITESHEET.write(tmp_path / "walk.json", [clip(4)], fps=10, recipe=RECIPE)
    assert sha(tmp_path / "walk.png") == before and not (tmp_path / "walk.json").exists()
    (tmp_path / "other.png").write_bytes(b"not a png")
    with pytest.raises(ExportError, match=r"other\.png"):
        SPRITESHEET.write(tmp_path / "other.json", [clip(4)], fps=10)


def test_spritesheet_reexport_over_its_own_atlas(tmp_path):
    SPRITESHEET.write(tmp_path / "s.json", [clip(4)], fps=10, recipe=RECIPE)
    SPRITESHEET.write(tmp_path / "s.json", [clip(5)], fps=10)
    assert json.loads((tmp_path / "s.json").read_text())["meta"]["frameCount"] == 5
    SPRITESHEET.write(tmp_path / "s.png", [clip(2)], fps=10)  # naming the atlas itself is explicit
    assert json.loads((tmp_path / "s.json").read_text())["meta"]["frameCount"] == 2


# ------------------------------------------------------------- video metadata off the command line (issue 15)


@pytest.mark.skipif(importlib.util.find_spec("imageio_ffmpeg") is None, reason="needs the video extra")
@pytest.mark.parametrize("exporter, name", [(MP4, "a.mp4"), (WEBM, "a.webm")])
def test_video_large_recipe_round_trips_and_never_reaches_the_command_line(tmp_path, monkeypatch, exporter, name):
    import subprocess

    from genart_kit.export import video

    seen: list[list[str]] = []
    real = subprocess.Popen

    def spy(cmd, *a, **k):
        seen.append(list(cmd))
        return real(cmd, *a, **k)

    monkeypatch.setattr(video.subprocess, "Popen", spy)
    source = "".join(f"x{i} = '{i};#=\\\\ é'\n" for i in range(20000))  # ~450 kB: past Linux's 128 kB per argument
    recipe = {**RECIPE, "sketch": {"path": "big.py", "source": source}}
    p = exporter.write(tmp_path / name, [clip(3, 16, 16)], fps=24, recipe=recipe)
    assert read_recipe(p) == recipe
    argv = " ".join(seen[0])
    assert "x1 = " not in argv and "genart-kit:recipe" not in argv  # `ps` shows no recipe, no source
    assert sorted(q.name for q in tmp_path.iterdir()) == [name]  # the metadata file is not left next to it


def test_video_writer_that_cannot_start_reports_the_real_cause(tmp_path, monkeypatch):
    import errno

    from genart_kit.export import video

    def e2big(*a, **k):
        raise OSError(errno.E2BIG, "Argument list too long")

    monkeypatch.setattr(video, "_ffmpeg_exe", lambda: "/usr/bin/ffmpeg")
    monkeypatch.setattr(video.subprocess, "Popen", e2big)
    with pytest.raises(ExportError) as info:
        MP4.write(tmp_path / "a.mp4", [clip(3)], fps=24)
    msg = str(info.value)
    assert "cannot start ffmpeg" in msg and "Argument list too long" in msg
    assert "permission" not in msg
    assert os.listdir(tmp_path) == []


def test_a_writer_error_without_errno_is_not_blamed_on_the_folder(tmp_path):
    from genart_kit.export.atomic import atomic_path

    with pytest.raises(ExportError) as info:
        with atomic_path(tmp_path / "a.jpg"):
            raise OSError("cannot write mode RGBA as JPEG")  # what Pillow raises, no errno
    assert "cannot write mode RGBA as JPEG" in str(info.value)
    assert "permission" not in str(info.value) and "free space" not in str(info.value)
    assert os.listdir(tmp_path) == []
