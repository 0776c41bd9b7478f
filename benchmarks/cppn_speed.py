"""CPPN rendering speed: the genart-cppn plugin's model against a plain PyTorch loop over the same MLP.

Both sides use the same weights (:func:`genart_cppn.model.init_weights`) and the same latents, side by side in
one run, interleaved (plugin, plain, plugin, plain ...) so machine noise hits both alike:

* ``plugin``: ``model.decode(z)`` for all frames at once (vectorised over frames and pixels, fixed-size
  pixel blocks, coordinate features computed once per size);
* ``plain``: the textbook per-frame code, one frame per call: build the coordinate grid, concatenate
  ``[x, y, r, z]`` for every pixel, run the layers on the whole frame, reshape.

The two agree to float32 rounding (the largest difference is recorded). The plugin is found installed or
in ``examples/genart-cppn/src``.

Usage::

    OMP_NUM_THREADS=2 python benchmarks/cppn_speed.py [--sizes 256 512 1024] [--frames 4 2 1] [--repeats 3]
                                                      [--device cpu]

Writes ``benchmarks/results/cppn_speed.json`` and prints a markdown table (frames per second, ratio).
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import torch  # noqa: E402

from _timing import write_result  # noqa: E402

try:
    import genart_cppn  # noqa: F401
except ImportError:  # not installed: use the example's source tree
    sys.path.insert(0, str(ROOT / "examples" / "genart-cppn" / "src"))

from genart_cppn.model import load  # noqa: E402


def plain_frame(weights: dict[str, torch.Tensor], z: torch.Tensor, size: int, layers: int, scale: float) -> torch.Tensor:
    """One frame the naive way: ``z [D]`` -> ``[3, size, size]``, the whole frame through each layer at once.

    The same network as :class:`genart_cppn.model.CPPN` (tanh; then sin, centred gaussian, tanh cycling;
    sigmoid head), written as a newcomer would, with no blocking and no caching.
    """
    c = (torch.arange(size, dtype=torch.float32, device=z.device) + 0.5 - size / 2) / (size / 2) * scale
    y, x = torch.meshgrid(c, c, indexing="ij")
    r = torch.sqrt(x * x + y * y)
    feats = torch.cat([torch.stack([x, y, r], dim=-1).reshape(-1, 3), z.expand(size * size, -1)], dim=1)
    w_in = torch.cat([weights["coord"], weights["latent"]], dim=0)
    h = torch.tanh(feats @ w_in + weights["bias0"])
    acts = [torch.sin, lambda t: 2 * torch.exp(-t * t) - 1, torch.tanh]
    for k in range(1, layers):
        h = acts[(k - 1) % 3](h @ weights[f"w{k}"] + weights[f"b{k}"])
    rgb = torch.sigmoid(h @ weights["out"] + weights["out_bias"])
    return rgb.reshape(size, size, 3).permute(2, 0, 1)


def sync(device: torch.device) -> None:
    """Wait for queued GPU work (no-op on the CPU)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def measure(size: int, frames: int, repeats: int, device: torch.device) -> dict:
    """Frames per second of both sides at *size* px (median of *repeats* interleaved runs of *frames* frames)."""
    model = load(size=size, device=device)
    weights = {k: v.detach() for k, v in model.weights.items()}
    z = model.sample_latents(frames, seed=0)
    ours = model.decode(z)  # warm-up, and the reference for the agreement check
    plain = torch.stack([plain_frame(weights, z[i], size, model.layers, model.scale) for i in range(frames)])
    max_diff = float((ours - plain.clamp(0, 1)).abs().max())
    times: dict[str, list[float]] = {"plugin": [], "plain": []}
    with torch.no_grad():
        for _ in range(repeats):
            sync(device)
            t0 = time.perf_counter()
            model.decode(z)
            sync(device)
            times["plugin"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            for i in range(frames):
                plain_frame(weights, z[i], size, model.layers, model.scale)
            sync(device)
            times["plain"].append(time.perf_counter() - t0)
    fps = {k: frames / statistics.median(v) for k, v in times.items()}
    return {
        "size": size,
        "frames": frames,
        "plugin_fps": round(fps["plugin"], 3),
        "plain_fps": round(fps["plain"], 3),
        "ratio": round(fps["plugin"] / fps["plain"], 2),
        "plugin_mpix_per_s": round(fps["plugin"] * size * size / 1e6, 2),
        "max_abs_diff": max_diff,
    }


def markdown(result: dict) -> str:
    """The result as a markdown table."""
    lines = [f"CPPN frames per second on {result['device']} ({result['threads']} threads; "
             f"hidden={result['config']['hidden']}, layers={result['config']['layers']}, D={result['config']['latent_dim']})",
             "", "| size | plugin fps | plain loop fps | ratio | plugin Mpixel/s | max abs diff |",
             "|---:|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        lines.append(f"| {r['size']} | {r['plugin_fps']:.2f} | {r['plain_fps']:.2f} | {r['ratio']:.2f}x "
                     f"| {r['plugin_mpix_per_s']:.1f} | {r['max_abs_diff']:.1e} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; write ``benchmarks/results/cppn_speed.json``; print the table."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[256, 512, 1024], help="frame sides in pixels")
    ap.add_argument("--frames", type=int, nargs="+", default=[4, 2, 1], help="frames per timed run, one per size")
    ap.add_argument("--repeats", type=int, default=3, help="interleaved timed runs per side (median reported)")
    ap.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    ap.add_argument("--name", default="cppn_speed", help="result file name under benchmarks/results/")
    args = ap.parse_args(argv)
    if len(args.frames) != len(args.sizes):
        ap.error("give one --frames value per --sizes value")
    device = torch.device(args.device)
    rows = [measure(s, f, args.repeats, device) for s, f in zip(args.sizes, args.frames)]
    model = load(size=8)
    result = {
        "benchmark": "CPPN frames per second: genart-cppn's decode vs a plain per-frame PyTorch loop over the same MLP",
        "device": torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu",
        "threads": torch.get_num_threads(),
        "torch": torch.__version__,
        "config": {k: model.config[k] for k in ("latent_dim", "hidden", "layers", "weights_seed", "scale")},
        "repeats": args.repeats,
        "rows": rows,
        "geomean_ratio": round(math.exp(statistics.fmean(math.log(r["ratio"]) for r in rows)), 2),
    }
    path = write_result(args.name, result)
    print(markdown(result))
    print(f"\nwrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
