"""Regenerate ``colormaps.json``: 256-entry RGB lookup tables taken from matplotlib's colour maps.

Run from the project root: ``python -m genart_kit.render.make_colormaps``. Shipping the tables lets the
colour-map renderer run without importing matplotlib (about 0.4 s) on the main path; any other matplotlib
colour map is still available, loaded from matplotlib on first use.
Each table is stored as a hex string of 256 x 3 uint8 values (R, G, B for index 0..255), sampled exactly as
``matplotlib.colormaps[name](np.arange(256) / 255)`` and rounded to 8 bits.
"""

from __future__ import annotations

import json
from pathlib import Path

NAMES = [
    "viridis", "plasma", "inferno", "magma", "cividis", "twilight", "twilight_shifted", "turbo",
    "gray", "bone", "pink", "hot", "afmhot", "copper", "cool", "spring", "summer", "autumn", "winter",
    "ocean", "terrain", "cubehelix", "gnuplot", "gnuplot2", "CMRmap", "rainbow", "jet", "nipy_spectral",
    "Spectral", "RdYlBu", "RdBu", "PuOr", "coolwarm", "bwr", "seismic", "YlOrRd", "YlGnBu", "PuBuGn",
    "BuPu", "Greens", "Blues", "Reds", "Purples", "Oranges",
]


def lut_bytes(name: str) -> bytes:
    """The 256 x 3 uint8 table of matplotlib colour map *name*."""
    import matplotlib
    import numpy as np

    cmap = matplotlib.colormaps[name].resampled(256)
    rgba = cmap(np.arange(256))  # integer indices address the 256 entries exactly
    return (np.asarray(rgba)[:, :3] * 255.0 + 0.5).astype(np.uint8).tobytes()


def main() -> None:
    import matplotlib

    out = Path(__file__).with_name("colormaps.json")
    tables = {}
    for name in NAMES:
        tables[name] = lut_bytes(name).hex()
        tables[name + "_r"] = lut_bytes(name + "_r").hex()
    doc = {"source": f"matplotlib {matplotlib.__version__}", "entries": 256, "format": "hex of uint8 [256, 3] RGB", "maps": tables}
    out.write_text(json.dumps(doc, indent=0, sort_keys=True) + "\n", encoding="utf-8")
    print(out, out.stat().st_size)


if __name__ == "__main__":
    main()
