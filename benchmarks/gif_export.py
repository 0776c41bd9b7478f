"""GIF export benchmark: genart-kit's GIF writer against Pillow and ffmpeg, side by side in one run.

Clip kinds (each ``--frames`` frames of ``--size`` px at 24 fps, synthesised here, deterministic):

* ``cppn-hue-loop``: a CPPN-style field, a random-weight MLP over (x, y, r) and a looping latent
  (tanh / sin activations, sigmoid RGB), whose colours travel round the colour wheel over the loop;
* ``emoji-crossfade``: cross-fades between Noto Color Emoji glyphs (Debian's fonts-noto-color-emoji) on a
  changing background; without the font, cross-fades between synthetic colourful images (said in the output);
* ``photo-zoom``: a slow zoom into matplotlib's bundled ``grace_hopper.jpg`` photograph;
* ``colormap-walk``: a smooth moving field through matplotlib's ``turbo`` colour map, the way
  ``ga.render.colormap`` colours decoded latent walks;
* ``rgb-field``: three independent smooth fields as R, G and B (the colours fill the whole RGB cube).

Encoders: genart-kit (``quality="balanced"``, the default, plus ``"smallest"`` and ``"best"``), Pillow's
default ``Image.save(save_all=True)`` (an adaptive palette per frame), and ffmpeg (from ``imageio-ffmpeg``)
with ``palettegen``/``paletteuse`` in three presets: ``default``; ``diff-bayer`` (``stats_mode=diff`` +
``dither=bayer:bayer_scale=5:diff_mode=rectangle``); ``single-new`` (``stats_mode=single`` + ``new=1``).

Reported per clip and encoder: wall time (best of ``--repeat``), file size, PSNR in dB of the decoded frames
(Pillow's decoder, composited) against the source (MSE over all frames and channels), flicker (RMS in 8-bit
levels of the error of the frame-to-frame differences: decoded ``f[t+1] - f[t]`` against the source's, so 0 is
no added flicker), decoded frame count. ``target_met`` on a clip: genart-kit's default has at least the PSNR
of the best other encoder, at no more bytes than it, and is faster than the fastest other encoder.
A bounded-memory check follows (``--stream-frames`` 128 px frames streamed from a generator in a child process).
Usage::

    python benchmarks/gif_export.py [--repeat 1] [--frames 64] [--size 256] [--out benchmarks/results/gif_export.json]

The markdown table is written beside the JSON (``gif_export.md``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genart_kit.export.gif import GifExporter

FPS = 24
EMOJI_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
NOTES: list[str] = []


# ----------------------------------------------------------------------------------------------- clips
def cppn_hue_loop(n: int, size: int, seed: int = 0) -> np.ndarray:
    """``[n, size, size, 3]`` uint8: random-weight CPPN over (x, y, r, z(t)) with a looping latent z."""
    rng = np.random.default_rng(seed)
    y, x = (np.mgrid[0:size, 0:size] / (size - 1) - 0.5) * 2
    base = np.stack([x, y, np.sqrt(x * x + y * y)], -1).reshape(-1, 3)
    zdim, hid = 4, 16
    w_in = rng.normal(0, 0.8, (3 + 2 * zdim, hid))
    w_h = [rng.normal(0, 0.4, (hid, hid)) for _ in range(2)]
    w_out = rng.normal(0, 1.0, (hid, 3))
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        t = 2 * np.pi * i / n
        z = np.concatenate([np.sin(t + np.arange(zdim)), np.cos(t + 1.7 * np.arange(zdim))]) * 0.8
        h = np.tanh(np.concatenate([base, np.broadcast_to(z, (len(base), 2 * zdim))], 1) @ w_in)
        h = np.tanh(np.sin(1.5 * (h @ w_h[0])) @ w_h[1])
        o = 1 / (1 + np.exp(-0.6 * (h @ w_out)))
        out[i] = (o.reshape(size, size, 3) * 255 + 0.5).astype(np.uint8)
    return out


def _emoji_images(size: int) -> list[np.ndarray] | None:
    if not EMOJI_FONT.exists():
        return None
    from PIL import ImageDraw, ImageFont

    font = ImageFont.truetype(str(EMOJI_FONT), 109)
    ims = []
    for ch in "\U0001F308\U0001F33B\U0001F355\U0001F98B\U0001F30A\U0001F352":  # rainbow sunflower pizza butterfly wave cherries
        im = Image.new("RGBA", (136, 128), (0, 0, 0, 0))
        ImageDraw.Draw(im).text((0, 0), ch, font=font, embedded_color=True)
        ims.append(np.asarray(im.resize((size, size), Image.Resampling.LANCZOS), np.float64) / 255)
    return ims


def emoji_crossfade(n: int, size: int) -> np.ndarray:
    """``[n, size, size, 3]`` uint8: cross-fades between colour emoji over a slowly changing gradient."""
    glyphs = _emoji_images(size)
    y, x = np.mgrid[0:size, 0:size] / size
    if glyphs is None:
        NOTES.append(f"emoji-crossfade: {EMOJI_FONT} not found; cross-fading synthetic colourful images instead")
        glyphs = []
        for k in range(6):
            rgb = np.stack([0.5 + 0.5 * np.sin(2 * np.pi * (x * (k + 1) + c / 3) + k * y * 4) for c in range(3)], -1)
            alpha = ((x - 0.5) ** 2 + (y - 0.5) ** 2 < 0.16).astype(np.float64)[..., None]
            glyphs.append(np.concatenate([rgb, alpha], -1))
    out = np.empty((n, size, size, 3), np.uint8)
    per = n / len(glyphs)
    for i in range(n):
        k, f = divmod(i / per, 1.0)
        a, b = glyphs[int(k) % len(glyphs)], glyphs[(int(k) + 1) % len(glyphs)]
        s = np.clip((f - 0.5) * 2 + 0.5, 0, 1)  # hold, then fade
        t = i / n
        bg = np.stack([0.55 + 0.35 * np.sin(2 * np.pi * (t + x * 0.5)), 0.5 + 0.3 * np.cos(2 * np.pi * (t + y * 0.5)),
                       0.6 + 0.3 * np.sin(2 * np.pi * (2 * t + (x + y) * 0.3))], -1)
        ca = a[..., :3] * a[..., 3:] + bg * (1 - a[..., 3:])
        cb = b[..., :3] * b[..., 3:] + bg * (1 - b[..., 3:])
        out[i] = ((ca * (1 - s) + cb * s) * 255 + 0.5).astype(np.uint8)
    return out


def photo_zoom(n: int, size: int) -> np.ndarray:
    """``[n, size, size, 3]`` uint8: a slow zoom (1x to 1.5x) into matplotlib's grace_hopper.jpg."""
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    with Image.open(path) as im:
        photo = im.convert("RGB")
    w, h = photo.size
    side = min(w, h)
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        z = 1.0 + 0.5 * i / max(1, n - 1)
        s = side / z
        cx, cy = w / 2, h * 0.45
        box = (cx - s / 2, cy - s / 2, cx + s / 2, cy + s / 2)
        out[i] = np.asarray(photo.resize((size, size), Image.Resampling.BICUBIC, box=box))
    return out


def colormap_walk(n: int, size: int) -> np.ndarray:
    """``[n, size, size, 3]`` uint8: a smooth moving field through matplotlib's ``turbo`` colour map."""
    from matplotlib import colormaps

    lut = colormaps["turbo"](np.linspace(0, 1, 256))[:, :3]
    knots = np.linspace(0, 1, 256)
    y, x = np.mgrid[0:size, 0:size] / size
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        t = 2 * np.pi * i / n
        f = (np.sin(2 * np.pi * (1.3 * x + 0.4 * y) + t) + np.sin(2 * np.pi * (0.7 * y - 0.9 * x) - 2 * t)
             + 1.5 * np.exp(-((x - 0.5 - 0.3 * np.cos(t)) ** 2 + (y - 0.5 - 0.3 * np.sin(t)) ** 2) / 0.03))
        f = (f - f.min()) / (f.max() - f.min())
        rgb = np.stack([np.interp(f, knots, lut[:, c]) for c in range(3)], -1)
        out[i] = (rgb * 255 + 0.5).astype(np.uint8)
    return out


def rgb_field(n: int, size: int) -> np.ndarray:
    """``[n, size, size, 3]`` uint8: three independent smooth moving fields as R, G, B (fills the RGB cube)."""
    y, x = np.mgrid[0:size, 0:size] / size
    out = np.empty((n, size, size, 3), np.uint8)
    for i in range(n):
        t = i / n
        r = 0.5 + 0.5 * np.sin(2 * np.pi * (x * 1.3 + t))
        g = 0.5 + 0.5 * np.sin(2 * np.pi * (y * 1.1 - t) + 2.0)
        b = 0.5 + 0.5 * np.sin(2 * np.pi * ((x + y) * 0.8 + 2 * t) + 4.0)
        out[i] = (np.stack([r, g, b], -1) * 255 + 0.5).astype(np.uint8)
    return out


CLIPS = {"cppn-hue-loop": cppn_hue_loop, "emoji-crossfade": emoji_crossfade, "photo-zoom": photo_zoom,
         "colormap-walk": colormap_walk, "rgb-field": rgb_field}


# -------------------------------------------------------------------------------------------- encoders
def write_pillow(path: Path, frames: np.ndarray) -> None:
    ims = [Image.fromarray(f) for f in frames]
    ims[0].save(path, save_all=True, append_images=ims[1:], duration=round(1000 / FPS), loop=0)


FFMPEG_PRESETS = {
    "ffmpeg_default": "palettegen[p];[b][p]paletteuse",
    "ffmpeg_diff_bayer": "palettegen=stats_mode=diff[p];[b][p]paletteuse=dither=bayer:bayer_scale=5:diff_mode=rectangle",
    "ffmpeg_single_new": "palettegen=stats_mode=single[p];[b][p]paletteuse=new=1",
}


def write_ffmpeg(path: Path, frames: np.ndarray, graph: str) -> None:
    import imageio_ffmpeg

    n, h, w, _ = frames.shape
    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-loglevel", "error", "-y", "-f", "rawvideo", "-pix_fmt", "rgb24",
           "-s", f"{w}x{h}", "-r", str(FPS), "-i", "-", "-filter_complex", f"[0:v]split[a][b];[a]{graph}",
           "-loop", "0", str(path)]
    subprocess.run(cmd, input=frames.tobytes(), check=True, capture_output=True)


def write_ours(path: Path, frames: np.ndarray, **options) -> None:
    GifExporter().write(path, (frames[i:i + 16] for i in range(0, len(frames), 16)), fps=FPS, **options)


def encoders() -> dict:
    out = {"genart_kit": write_ours,
           "genart_kit_smallest": lambda p, f: write_ours(p, f, quality="smallest"),
           "genart_kit_best": lambda p, f: write_ours(p, f, quality="best"),
           "pillow_default": write_pillow}
    try:
        import imageio_ffmpeg

        imageio_ffmpeg.get_ffmpeg_exe()
    except Exception as exc:  # noqa: BLE001 - the `video` extra is optional
        NOTES.append(f"ffmpeg not available ({exc}); install genart-kit[video] to compare against it")
        return out
    for name, graph in FFMPEG_PRESETS.items():
        out[name] = lambda p, f, g=graph: write_ffmpeg(p, f, g)
    return out


# ------------------------------------------------------------------------------------------- measures
def decode(path: Path) -> np.ndarray:
    with Image.open(path) as im:
        out = []
        for i in range(im.n_frames):
            im.seek(i)
            out.append(np.asarray(im.convert("RGB")))
    return np.stack(out)


def measure(path: Path, frames: np.ndarray) -> dict:
    dec = decode(path)
    n = min(len(dec), len(frames))
    d, s = dec[:n].astype(np.float64), frames[:n].astype(np.float64)
    mse = float(((d - s) ** 2).mean())
    flick = float(np.sqrt(((np.diff(d, axis=0) - np.diff(s, axis=0)) ** 2).mean())) if n > 1 else 0.0
    return {"psnr_db": round(float(10 * np.log10(255.0 ** 2 / mse)), 2) if mse else float("inf"), "bytes": path.stat().st_size,
            "flicker_rms": round(flick, 2), "frames": len(dec)}


def run(repeat: int, n: int, size: int, only: list[str] | None = None) -> dict:
    results: dict = {"frames": n, "size": size, "fps": FPS, "repeat": repeat, "python": platform.python_version(),
                     "numpy": np.__version__, "pillow": Image.__version__, "machine": platform.machine(),
                     "cpus": os.cpu_count(), "clips": {}}
    encs = encoders()
    with tempfile.TemporaryDirectory() as tmp:
        for clip, make in CLIPS.items():
            if only and clip not in only:
                continue
            frames = make(n, size)
            row: dict = {}
            for name, fn in encs.items():
                path = Path(tmp) / f"{clip}-{name}.gif"
                times = []
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    fn(path, frames)
                    times.append(time.perf_counter() - t0)
                row[name] = {"seconds": round(min(times), 3), **measure(path, frames)}
                print(f"{clip:16s} {name:20s} {row[name]}", flush=True)
            others = {k: v for k, v in row.items() if not k.startswith("genart_kit")}
            ours = row["genart_kit"]
            best = max(others, key=lambda k: others[k]["psnr_db"])
            fastest = min(others, key=lambda k: others[k]["seconds"])
            row["target"] = {"best_other": best, "fastest_other": fastest,
                             "psnr_ok": bool(ours["psnr_db"] >= others[best]["psnr_db"]),
                             "bytes_ok": bool(ours["bytes"] <= others[best]["bytes"]),
                             "speed_ok": bool(ours["seconds"] < others[fastest]["seconds"])}
            row["target"]["target_met"] = all(row["target"][k] for k in ("psnr_ok", "bytes_ok", "speed_ok"))
            print(f"{clip:16s} target {row['target']}", flush=True)
            results["clips"][clip] = row
    results["notes"] = list(NOTES)
    return results


def markdown(res: dict) -> str:
    lines = [f"# GIF export benchmark ({res['frames']} frames, {res['size']} px, {res['fps']} fps; "
             f"{res['cpus']} CPUs, Pillow {res['pillow']}, numpy {res['numpy']})", "",
             "Produced by `python benchmarks/gif_export.py`. PSNR against the source frames; flicker = RMS error of "
             "frame-to-frame differences (8-bit levels, 0 = none added); seconds = best wall time of "
             f"{res['repeat']} run(s). **Bold**: genart-kit's default (`quality=\"balanced\"`).", ""]
    for clip, row in res["clips"].items():
        t = row["target"]
        lines += [f"## {clip}: target {'met' if t['target_met'] else 'NOT met'} "
                  f"(best other: {t['best_other']}, fastest other: {t['fastest_other']})", "",
                  "| encoder | seconds | bytes | PSNR dB | flicker | frames |", "|---|---:|---:|---:|---:|---:|"]
        for name, r in row.items():
            if name == "target":
                continue
            cells = [name, f"{r['seconds']:.2f}", f"{r['bytes']:,}", f"{r['psnr_db']:.2f}", f"{r['flicker_rms']:.2f}", str(r["frames"])]
            if name == "genart_kit":
                cells = [f"**{c}**" for c in cells]
            lines.append("| " + " | ".join(cells) + " |")
        lines.append("")
    if res.get("stream"):
        s = res["stream"]
        lines += ["## Bounded memory", "", f"{s['frames']} frames of {s['size']} px ({s['raw_clip_mib']} MiB raw) streamed "
                  f"into one GIF in {s['seconds']} s: peak RSS {s['peak_rss_mib']} MiB, {s['decoded_frames']} frames decoded.", ""]
    for note in res.get("notes", []):
        lines.append(f"Note: {note}")
    return "\n".join(lines).rstrip() + "\n"


_STREAM_CHILD = r"""
import sys, time
import numpy as np
sys.path.insert(0, sys.argv[4])
from genart_kit.export.gif import GifExporter
n, size = int(sys.argv[1]), int(sys.argv[2])
y, x = np.mgrid[0:size, 0:size] / size
def batches():
    for s in range(0, n, 16):
        t = np.arange(s, min(n, s + 16))[:, None, None] / 240.0
        r = 0.5 + 0.5 * np.sin(2 * np.pi * (x + t)); g = 0.5 + 0.5 * np.sin(2 * np.pi * (y - t) + 2)
        b = 0.5 + 0.5 * np.sin(2 * np.pi * (x + y + 2 * t) + 4)
        yield (np.stack([r, g, b], -1) * 255 + 0.5).astype(np.uint8)
def hwm():  # peak resident set of this process image (VmHWM; ru_maxrss would include the parent's before exec)
    for line in open("/proc/self/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
base = hwm()
t0 = time.perf_counter()
GifExporter().write(sys.argv[3], batches(), fps=24, buffer_mb=float(sys.argv[5]))
print(time.perf_counter() - t0, base, hwm())
"""


def stream_check(frames: int, size: int, buffer_mb: float = 64) -> dict:
    """Export a long generated clip in a child process; report its peak memory against the clip's raw size."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "long.gif"
        proc = subprocess.run([sys.executable, "-c", _STREAM_CHILD, str(frames), str(size), str(out),
                               str(Path(__file__).resolve().parents[1]), str(buffer_mb)], capture_output=True, text=True, check=True)
        secs, base_kb, peak_kb = proc.stdout.split()
        with Image.open(out) as im:
            n = im.n_frames
        res = {"frames": frames, "size": size, "buffer_mb": buffer_mb, "seconds": round(float(secs), 1),
               "raw_clip_mib": round(frames * size * size * 3 / 2**20, 1), "peak_rss_mib": round(int(peak_kb) / 1024, 1),
               "rss_before_export_mib": round(int(base_kb) / 1024, 1), "decoded_frames": n, "bytes": out.stat().st_size}
    print(f"stream {res}", flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=1, help="runs per encoder; the best time is reported")
    ap.add_argument("--frames", type=int, default=64)
    ap.add_argument("--size", type=int, default=256)
    ap.add_argument("--clip", action="append", choices=sorted(CLIPS), help="only these clip kinds (repeatable)")
    ap.add_argument("--stream-frames", type=int, default=3000, help="length of the bounded-memory check (0 skips it)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "gif_export.json"))
    args = ap.parse_args()
    res = run(args.repeat, args.frames, args.size, args.clip)
    if args.stream_frames:
        res["stream"] = stream_check(args.stream_frames, 128)
    Path(args.out).write_text(json.dumps(res, indent=2) + "\n")
    Path(args.out).with_suffix(".md").write_text(markdown(res))
    print(f"wrote {args.out} and {Path(args.out).with_suffix('.md')}")


if __name__ == "__main__":
    main()
