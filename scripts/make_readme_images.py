"""Regenerate the pictures the README and docs show, from the project's own shipped sketches.

Run from the repository root: ``python scripts/make_readme_images.py``. Writes
``docs/images/latent_walk_strip.png``: 8 evenly spaced frames of the main job (``sketches/latent_walk.py``,
seed 0, rendered at 96 px) side by side, so the README opens with what the toolkit makes, and
``docs/images/emoji_morph_strip.png``: 12 frames of ``sketches/emoji_morph.py`` (gan-emoji morphing
"a cat" -> "a rocket" -> "a red heart" and back, seed 0, MiniLM when installed).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]


def strip(sketch: str, out: Path, *, cells: int = 8, size: int = 96, seed: int = 0, **params: object) -> Path:
    """Render *sketch* and write *cells* evenly spaced frames as one ``[size, cells*size, 3]`` PNG strip."""
    from genart_kit.sketch import load_sketch

    clip = load_sketch(ROOT / "sketches" / sketch).render(params, seed=seed, size=size)
    frames = clip.frames()  # uint8 [T, H, W, C]
    picks = np.linspace(0, len(frames), cells, endpoint=False).astype(int)
    row = np.concatenate([frames[i] for i in picks], axis=1)
    if row.shape[-1] == 1:
        row = np.repeat(row, 3, axis=-1)
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(row).save(out, optimize=True)
    return out


if __name__ == "__main__":
    print(strip("latent_walk.py", ROOT / "docs" / "images" / "latent_walk_strip.png"))
    print(strip("emoji_morph.py", ROOT / "docs" / "images" / "emoji_morph_strip.png", cells=12))
