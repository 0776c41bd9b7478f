"""Regenerate the pictures the README and docs show, from the project's own shipped sketches.

Run from the repository root: ``python scripts/make_readme_images.py``. Writes
``docs/images/latent_walk_strip.png``: 8 evenly spaced frames of the main job (``sketches/latent_walk.py``,
seed 0, rendered at 96 px) side by side, so the README opens with what the toolkit makes, and
``docs/images/emoji_morph_strip.png``: 12 frames of ``sketches/emoji_morph.py`` (gan-emoji morphing
"a cat" -> "a rocket" -> "a red heart" and back, seed 0, MiniLM when installed), and
``docs/images/audio_reactive_sheet.png``: frames 20-39 and 100-119 of ``sketches/audio_reactive.py`` on the
demo track (defaults, 64 px), a white tick above each beat frame.
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


def audio_sheet(out: Path, *, size: int = 64, rows: tuple[range, ...] = (range(20, 40), range(100, 120))) -> Path:
    """Frames of the audio sketch on the demo track, one row per range, a 4 px white tick above beat frames."""
    import genart_kit as ga
    from genart_kit.sketch import load_sketch

    clip = load_sketch(ROOT / "sketches" / "audio_reactive.py").render({}, seed=0, size=size, fps=24)
    frames = clip.frames()
    beats = set(int(b) for b in ga.audio.features(ga.audio.demo_track(), fps=24).beats)
    lines = []
    for r in rows:
        cells = []
        for i in r:
            cell = np.zeros((size + 6, size, 3), np.uint8)
            cell[6:] = np.repeat(frames[i], 3, axis=-1) if frames.shape[-1] == 1 else frames[i][..., :3]
            if i in beats:
                cell[:4] = 255
            cells.append(cell)
        lines.append(np.concatenate(cells, axis=1))
    out.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.concatenate(lines, axis=0)).save(out, optimize=True)
    return out


if __name__ == "__main__":
    print(audio_sheet(ROOT / "docs" / "images" / "audio_reactive_sheet.png"))
    print(strip("latent_walk.py", ROOT / "docs" / "images" / "latent_walk_strip.png"))
    print(strip("emoji_morph.py", ROOT / "docs" / "images" / "emoji_morph_strip.png", cells=12))
