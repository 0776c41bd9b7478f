"""Shared helpers for benchmarks: time whole commands side by side, interleaved, and report medians."""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Mapping, Sequence

RESULTS = Path(__file__).resolve().parent / "results"


def time_commands(commands: Mapping[str, Sequence[str]], *, repeat: int = 7, warmup: int = 1) -> dict[str, dict[str, float]]:
    """Run each command *repeat* times, interleaved (A B C A B C ...) so machine noise hits all alike.

    Returns:
        ``name -> {"median_s", "min_s", "max_s"}`` in seconds of wall-clock time.

    Raises:
        RuntimeError: a command exits non-zero (its stderr is included).
    """
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for i in range(warmup + repeat):
        for name, argv in commands.items():
            t0 = time.perf_counter()
            proc = subprocess.run(list(argv), capture_output=True, text=True)
            elapsed = time.perf_counter() - t0
            if proc.returncode != 0:
                raise RuntimeError(f"benchmark command {name!r} failed ({proc.returncode}): {proc.stderr[-2000:]}")
            if i >= warmup:
                samples[name].append(elapsed)
    return {
        name: {"median_s": statistics.median(s), "min_s": min(s), "max_s": max(s)} for name, s in samples.items()
    }


def write_result(name: str, data: dict) -> Path:
    """Write ``benchmarks/results/<name>.json`` with machine details added; return its path."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    data = {"machine": {"python": sys.version.split()[0], "platform": platform.platform()}, **data}
    path = RESULTS / f"{name}.json"
    path.write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")
    return path
