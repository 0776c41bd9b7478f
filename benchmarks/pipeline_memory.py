"""Bounded memory of the streamed pipeline: peak RSS exporting 1,000 vs 10,000 frames, side by side.

Each case runs in a fresh subprocess and reports its peak resident set size (``ru_maxrss``) and the "floor"
(peak after importing torch and loading the model, before rendering). Cases:

* ``stream-1k`` / ``stream-10k``: ``noise_loop | model | trails | upscale(64) | colormap`` streamed batch by
  batch into a sink that only counts bytes (the pipeline's own memory);
* ``gif-10k``: the same 10,000 frames into the real GIF exporter (``buffer_mb=16``: the palette is learnt
  from the first 16 MiB, the rest streams to disk);
* ``materialised-10k``: the baseline that does not stream, ``clip.frames()`` (all frames in one array).

The pipeline streams if ``stream-10k`` peaks about where ``stream-1k`` does while ``materialised-10k`` grows
with the frame count.

    python benchmarks/pipeline_memory.py [--model vae-mnist]

Results: ``benchmarks/results/pipeline_memory.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "pipeline_memory.json"

CHILD = r"""
import json, resource, sys, tempfile, time, os
import torch
import genart_kit as ga
case, frames, model_name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
model = ga.model(model_name, device="cpu")
clip = ga.latent.noise_loop(model, frames, seed=0) | model | ga.render.trails(0.6) | ga.render.upscale(64) | ga.render.colormap("magma")
floor = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
t0 = time.perf_counter()
nbytes = 0
if case == "stream":
    for batch in clip.iter_uint8(batch_size=64):
        nbytes += batch.nbytes
elif case == "gif":
    with tempfile.TemporaryDirectory() as d:
        p = clip.save(os.path.join(d, "long.gif"), fps=24, buffer_mb=16)
        nbytes = p.stat().st_size
else:
    nbytes = clip.frames().nbytes
dt = time.perf_counter() - t0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"floor_mib": floor / 1024, "peak_mib": peak / 1024, "seconds": dt, "bytes": nbytes}))
"""


def run(case: str, frames: int, model: str) -> dict:
    proc = subprocess.run([sys.executable, "-c", CHILD, case, str(frames), model], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"{case} {frames} failed:\n{proc.stderr}")
    out = json.loads(proc.stdout.strip().splitlines()[-1])
    out["rendering_mib"] = out["peak_mib"] - out["floor_mib"]
    return {k: round(v, 2) if isinstance(v, float) else v for k, v in out.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--model", default="vae-mnist", help="model name (e.g. 'vae', the untrained architecture)")
    args = ap.parse_args()
    t0 = time.perf_counter()
    cases = {
        "stream-1k": run("stream", 1_000, args.model),
        "stream-10k": run("stream", 10_000, args.model),
        "gif-10k": run("gif", 10_000, args.model),
        "materialised-10k": run("frames", 10_000, args.model),
    }
    raw_mib = 10_000 * 64 * 64 * 3 / 2**20
    result = {
        "benchmark": "peak RSS of a streamed 10,000-frame export vs 1,000 frames and vs materialising",
        "model": args.model,
        "pipeline": "noise_loop | model | trails(0.6) | upscale(64) | colormap('magma'), batch 64",
        "raw_frames_10k_mib": round(raw_mib, 1),
        "cases": cases,
        "stream_growth_10k_vs_1k_mib": round(cases["stream-10k"]["peak_mib"] - cases["stream-1k"]["peak_mib"], 1),
        "total_seconds": round(time.perf_counter() - t0, 1),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
