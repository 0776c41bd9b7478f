"""GIF export benchmark: genart-kit's GIF writer vs. Pillow's default save path, side by side in one run.

Frames: 120 colourful 256x256 frames of a smooth colour walk. Two scenes are measured:

* ``colormap-walk`` (the headline): a smooth procedural field (moving sinusoids and blobs) coloured through
  matplotlib's ``turbo`` colour map (interpolated linearly between its 256 entries), the way ``ga.render.colormap`` colours decoded latent walks;
* ``rgb-field`` (a stress case): three independent smooth fields as R, G and B, so the clip's colours fill
  the whole RGB cube and no 256-colour palette fits it well.

Baseline: ``Image.save(save_all=True, append_images=..., duration=..., loop=0)`` on RGB frames, which is
what ``imageio`` and most tools do: Pillow converts each frame to an adaptive 256-colour palette (median cut,
per frame) and merges identical frames. Ours: ``GifExporter().write(...)`` with default options (one shared
palette, no dithering), plus the ``bayer`` dithering option for reference.

Reported per scene and writer: wall time (best of ``--repeat`` runs), PSNR in dB of the decoded GIF frames
against the source frames (mean squared error over all frames and channels), file size, decoded frame
count and total duration. Then a bounded-memory check: 10,000 generated 128x128 frames (480 MiB raw)
streamed from a generator into one GIF in a child process, reporting its peak resident memory. Usage::

    python benchmarks/gif_export.py [--repeat 3] [--out benchmarks/results/gif_export.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genart_kit.export.gif import GifExporter  # noqa: E402

FRAMES, SIZE, FPS = 120, 256, 24


def colormap_walk(n: int = FRAMES, size: int = SIZE) -> np.ndarray:
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
        rgb = np.stack([np.interp(f, knots, lut[:, c]) for c in range(3)], -1)  # continuous, not 256 steps
        out[i] = (rgb * 255 + 0.5).astype(np.uint8)
    return out


def rgb_field(n: int = FRAMES, size: int = SIZE) -> np.ndarray:
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


def write_baseline(path: Path, frames: np.ndarray) -> None:
    ims = [Image.fromarray(f) for f in frames]
    ims[0].save(path, save_all=True, append_images=ims[1:], duration=round(1000 / FPS), loop=0)


def write_ours(path: Path, frames: np.ndarray, **options) -> None:
    GifExporter().write(path, (frames[i:i + 16] for i in range(0, len(frames), 16)), fps=FPS, **options)


def measure(path: Path, frames: np.ndarray) -> dict:
    with Image.open(path) as im:
        n = im.n_frames
        se = 0.0
        total_ms = 0
        for i in range(n):
            im.seek(i)
            total_ms += im.info.get("duration", 0)
            if i < len(frames):
                se += float(((np.asarray(im.convert("RGB"), np.float64) - frames[i]) ** 2).mean())
    mse = se / min(n, len(frames))
    return {"psnr_db": round(10 * np.log10(255.0 ** 2 / mse), 3) if mse else float("inf"), "bytes": path.stat().st_size,
            "frames": n, "duration_ms": total_ms}


def run(repeat: int) -> dict:
    results: dict = {"frames": FRAMES, "size": SIZE, "fps": FPS, "repeat": repeat, "python": platform.python_version(),
                     "numpy": np.__version__, "pillow": Image.__version__, "machine": platform.machine(),
                     "cpus": os.cpu_count(), "scenes": {}}
    writers = {
        "pillow_default": write_baseline,
        "genart_kit": write_ours,
        "genart_kit_bayer": lambda p, f: write_ours(p, f, dither="bayer"),
    }
    with tempfile.TemporaryDirectory() as tmp:
        for scene, make in (("colormap-walk", colormap_walk), ("rgb-field", rgb_field)):
            frames = make()
            row: dict = {}
            for name, fn in writers.items():
                path = Path(tmp) / f"{scene}-{name}.gif"
                times = []
                for _ in range(repeat):
                    t0 = time.perf_counter()
                    fn(path, frames)
                    times.append(time.perf_counter() - t0)
                row[name] = {"seconds": round(min(times), 4), **measure(path, frames)}
                print(f"{scene:14s} {name:18s} {row[name]}", flush=True)
            base = row["pillow_default"]
            for name in ("genart_kit", "genart_kit_bayer"):
                r = row[name]
                r["speedup_vs_pillow"] = round(base["seconds"] / r["seconds"], 1)
                r["psnr_delta_db"] = round(r["psnr_db"] - base["psnr_db"], 3)
                r["size_ratio_vs_pillow"] = round(r["bytes"] / base["bytes"], 3)
            results["scenes"][scene] = row
    return results


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
GifExporter().write(sys.argv[3], batches(), fps=24)
print(time.perf_counter() - t0, base, hwm())
"""


def stream_check(frames: int, size: int) -> dict:
    """Export a long generated clip in a child process; report its peak memory against the clip's raw size."""
    import subprocess

    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "long.gif"
        proc = subprocess.run([sys.executable, "-c", _STREAM_CHILD, str(frames), str(size), str(out),
                               str(Path(__file__).resolve().parents[1])], capture_output=True, text=True, check=True)
        secs, base_kb, peak_kb = proc.stdout.split()
        with Image.open(out) as im:
            n = im.n_frames
        res = {"frames": frames, "size": size, "seconds": round(float(secs), 1), "raw_clip_mib": round(frames * size * size * 3 / 2**20, 1),
               "peak_rss_mib": round(int(peak_kb) / 1024, 1), "rss_before_export_mib": round(int(base_kb) / 1024, 1),
               "decoded_frames": n, "bytes": out.stat().st_size}
    print(f"stream {res}", flush=True)
    return res


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=3, help="runs per writer; the best time is reported")
    ap.add_argument("--stream-frames", type=int, default=10000, help="length of the bounded-memory check (0 skips it)")
    ap.add_argument("--out", default=str(Path(__file__).parent / "results" / "gif_export.json"))
    args = ap.parse_args()
    res = run(args.repeat)
    if args.stream_frames:
        res["stream"] = stream_check(args.stream_frames, 128)
    Path(args.out).write_text(json.dumps(res, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
