"""Main-job speed: `genart run sketches/latent_walk.py` (defaults) against a bare `python -c "import torch"`.

Target (issue 4): the main job at its defaults (colour-mapped, 256 px, >= 48 frames, GIF) takes no more
than 1.5x the bare torch import, measured side by side in the same run, and imports neither torchvision
nor matplotlib. Runs alternate (baseline, main job, baseline, ...) so machine load affects both alike;
medians are compared.

    python benchmarks/main_job.py [--repeats 7] [--param model=vae]

``--param`` passes sketch parameters (e.g. ``model=vae``, the untrained architecture of the same size, when
the shipped weights are not there). Results: ``benchmarks/results/main_job.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results" / "main_job.json"
TARGET = 1.5


def timed(cmd: list[str], cwd: Path) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    dt = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stderr}")
    return dt


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--param", action="append", default=[], help="sketch parameter NAME=VALUE")
    args = ap.parse_args()
    py = sys.executable
    with tempfile.TemporaryDirectory() as d:
        out = Path(d) / "latent_walk.gif"
        job = [py, "-m", "genart_kit", "run", str(ROOT / "sketches" / "latent_walk.py"), "-o", str(out), "-q"]
        for p in args.param:
            job += ["--param", p]
        base = [py, "-c", "import torch"]
        timed(base, ROOT)  # warm the file cache for both
        timed(job, ROOT)
        baseline, main_job = [], []
        for _ in range(args.repeats):
            baseline.append(timed(base, ROOT))
            main_job.append(timed(job, ROOT))
        imports = subprocess.run([py, "-X", "importtime", *job[1:]], cwd=ROOT, capture_output=True, text=True).stderr
        from PIL import Image

        with Image.open(out) as im:
            frames, size, loop = im.n_frames, im.size, im.info.get("loop")
        gif_bytes = out.stat().st_size
    mods = {line.rsplit("|", 1)[-1].strip() for line in imports.splitlines() if line.startswith("import time:")}
    b, m = statistics.median(baseline), statistics.median(main_job)
    result = {
        "benchmark": "main job: genart run sketches/latent_walk.py (defaults) vs python -c 'import torch'",
        "params": args.param,
        "baseline_import_torch_s": round(b, 3),
        "main_job_s": round(m, 3),
        "ratio": round(m / b, 3),
        "target_ratio": TARGET,
        "meets_target": m / b <= TARGET,
        "baseline_runs_s": [round(x, 3) for x in baseline],
        "main_job_runs_s": [round(x, 3) for x in main_job],
        "torchvision_imported": any(x == "torchvision" or x.startswith("torchvision.") for x in mods),
        "matplotlib_imported": any(x == "matplotlib" or x.startswith("matplotlib.") for x in mods),
        "output": {"frames": frames, "size": list(size), "loop": loop, "bytes": gif_bytes},
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "load_average_1m": round(os.getloadavg()[0], 2)},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
