"""`genart --help` / `genart list models` / `genart plugins` start-up time against `python -c pass`.

Run: ``python benchmarks/cli_startup.py``. Writes ``benchmarks/results/cli_startup.json``. The listing
commands must not import torch, so they should stay within a small factor of a bare interpreter.
"""

from __future__ import annotations

import sys

from _timing import time_commands, write_result

PY = sys.executable


def main() -> None:
    """Measure and print the ratios; write the JSON result."""
    commands = {
        "python -c pass": [PY, "-c", "pass"],
        "python -c 'import torch'": [PY, "-c", "import torch"],
        "genart --help": [PY, "-m", "genart_kit", "--help"],
        "genart list models": [PY, "-m", "genart_kit", "list", "models"],
        "genart plugins": [PY, "-m", "genart_kit", "plugins"],
    }
    timings = time_commands(commands, repeat=9)
    base = timings["python -c pass"]["median_s"]
    for name, t in timings.items():
        t["ratio_vs_python_pass"] = round(t["median_s"] / base, 2)
        print(f"{name:28s} {t['median_s'] * 1000:7.0f} ms   {t['ratio_vs_python_pass']:5.2f}x python -c pass")
    path = write_result("cli_startup", {"timings": timings})
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
