"""``genart replay FILE``: re-render an exported animation from the recipe embedded in it."""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path
from typing import Any

ORDER = 25


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``replay`` sub-command."""
    p = sub.add_parser(
        "replay",
        help="re-render an animation from the recipe embedded in it",
        description="Read the recipe (sketch, parameters, seed, frames, fps, size) that `genart run` embeds in "
        "every export and render it again. The sketch file is used if it is unchanged; otherwise the copy of "
        "its source stored in the recipe. Same recipe and versions give a byte-identical file.",
    )
    p.add_argument("file", metavar="FILE", help="an animation written by genart (GIF, WebP, PNG, ...)")
    p.add_argument("-o", "--output", metavar="OUT", help="output file (default: FILE with '.replay' before the suffix)")
    p.add_argument("--show", action="store_true", help="print the recipe and exit")
    p.add_argument("--check", action="store_true", help="after rendering, compare with FILE byte for byte (exit 1 if they differ)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=handle)


def sketch_from_recipe(recipe: dict[str, Any]) -> tuple[Any, str]:
    """Load the sketch a recipe names: the file if its hash matches, else the embedded source.

    Returns:
        ``(sketch, where)`` where *where* says which was used.

    Raises:
        ExportError: the recipe names no sketch or carries neither a matching file nor the source.
    """
    from ..errors import ExportError
    from ..sketch import load_sketch

    info = recipe.get("sketch")
    if not isinstance(info, dict) or not info.get("name"):
        raise ExportError("this file's recipe was not made by a sketch (it was saved from Python); replay needs `genart run` output.")
    path = Path(str(info.get("path", f"{info['name']}.py")))
    want = info.get("sha256")
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        if want is None or hashlib.sha256(text.encode("utf-8")).hexdigest() == want:
            return load_sketch(path), f"sketch file {path}"
    source = recipe.get("source")
    if isinstance(source, str):
        if want is not None and hashlib.sha256(source.encode("utf-8")).hexdigest() != want:
            raise ExportError("the recipe's embedded sketch source does not match its hash; the file was altered.")
        note = "changed since" if path.is_file() else "not found; used"
        return load_sketch(path, source=source), f"the sketch source stored in the recipe ({path} {note})"
    raise ExportError(f"sketch {path} is missing or changed and the recipe carries no copy of its source.")


def handle(args: argparse.Namespace) -> int:
    """Re-render FILE from its recipe; print the new path (and the comparison with ``--check``)."""
    import json

    from ..errors import ExportError
    from ..export import read_recipe
    from .run import ProgressBar

    src = Path(args.file)
    if not src.exists():
        raise ExportError(f"{src} does not exist.")
    recipe = read_recipe(src)
    if recipe is None:
        raise ExportError(f"{src} carries no genart recipe (it was not written by genart-kit, or its metadata was stripped).")
    if args.show:
        shown = {k: v for k, v in recipe.items() if k != "source"}
        print(json.dumps(shown, indent=2, sort_keys=True))
        return 0
    sketch, where = sketch_from_recipe(recipe)
    if "seeds" in recipe:
        raise ExportError("this file is a --seeds contact sheet; replay one seed with genart run --seed N instead.")
    out = Path(args.output) if args.output else src.with_name(f"{src.stem}.replay{src.suffix}")
    versions = recipe.get("versions") or {}
    from ..pipeline import versions as current_versions

    now = current_versions()
    diff = {k: (v, now.get(k)) for k, v in versions.items() if now.get(k) != v}
    if diff:
        print("note: versions differ from the recording, bytes may differ: "
              + ", ".join(f"{k} {a} -> {b}" for k, (a, b) in diff.items()), file=sys.stderr)
    t0 = time.perf_counter()
    clip = sketch.render(recipe.get("params") or {}, seed=recipe.get("seed"), frames=recipe.get("frames"),
                         fps=recipe.get("fps"), size=recipe.get("size") if isinstance(recipe.get("size"), int) else None)
    bar = ProgressBar(sketch.name, enabled=not args.quiet)
    try:
        path = clip.save(out, fps=clip.recipe["fps"], progress=bar)
    finally:
        bar.close()
    print(f"{path}  (from {where}, {time.perf_counter() - t0:.2f} s)")
    if args.check:
        same = path.read_bytes() == src.read_bytes()
        print("identical" if same else "differs")
        return 0 if same else 1
    return 0
