"""``genart replay FILE``: re-render an exported animation from the recipe embedded in it."""

from __future__ import annotations

import argparse
import hashlib
import os
import shlex
import shutil
import sys
import tempfile
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
        "every export and render it again. Only a sketch file you consent to is run: the one you give with "
        "--sketch, or the file the recipe names once you confirm it (at the prompt, or with --yes): a recipe is "
        "written by whoever made the file and may name any file on disk. A file that defines no sketch() "
        "function is never imported. The copy of the sketch source stored in the recipe runs only with "
        "--trust-embedded-source. Same recipe and versions give a byte-identical file.",
    )
    p.add_argument("file", metavar="FILE", help="an animation written by genart (GIF, WebP, PNG, ...)")
    p.add_argument("-o", "--output", metavar="OUT", help="output file (default: FILE with '.replay' before the suffix)")
    p.add_argument("--show", action="store_true", help="print the recipe and exit")
    p.add_argument("--check", action="store_true", help="after rendering, compare with FILE byte for byte (exit 1 if they differ)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.add_argument("--sketch", metavar="PATH", help="the sketch file to run (default: the path in the recipe, after you confirm it)")
    p.add_argument("-y", "--yes", action="store_true",
                   help="run the sketch file the recipe names without asking (only for files you trust)")
    p.add_argument("--trust-embedded-source", action="store_true",
                   help="run the sketch source stored in the recipe when the sketch file is missing or changed "
                        "(it is arbitrary Python from FILE: only for files you trust)")
    p.set_defaults(handler=handle)


def _check_is_sketch(path: Path, source: str | None = None) -> None:
    """Refuse, without importing it, a file that is not a Python sketch: not a regular ``.py`` file, not valid
    Python, or no top-level ``def sketch(...)`` (read with :mod:`ast`; nothing in the file runs).

    Raises:
        ExportError: naming the file and what is wrong with it.
    """
    import ast

    from ..errors import ExportError

    if source is None and (path.suffix != ".py" or not path.is_file()):
        raise ExportError(f"{path} is not a Python sketch file (.py); give a sketch with --sketch PATH.")
    try:
        tree = ast.parse(path.read_bytes() if source is None else source, filename=str(path))
    except (SyntaxError, ValueError, OSError) as exc:
        raise ExportError(f"{path} is not a readable Python sketch ({type(exc).__name__}); nothing was run.") from exc
    if not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)) and n.name == "sketch" for n in tree.body):
        raise ExportError(f"{path} defines no function `sketch(p, seed, frames, size)`, so it is not a sketch; "
                          "nothing was run. Give the sketch that made the file with --sketch PATH.")


def sketch_from_recipe(recipe: dict[str, Any], *, sketch_path: str | os.PathLike[str] | None = None,
                       trust_embedded_source: bool = False, confirm: Any = None,
                       origin: str = "FILE") -> tuple[Any, str]:
    """Load the sketch a recipe names, running only code the user consented to.

    A recipe is written by whoever made the file: its sketch path may name any file on disk, and the sha256
    beside it proves nothing (the same author wrote both). So: *sketch_path* (``--sketch``, named by the user)
    is run; the path in the recipe is run only when ``confirm(path) -> bool`` says yes (``--yes``, or the
    user's answer at a terminal); a file whose top level defines no ``sketch`` function is refused before
    anything in it runs (:func:`_check_is_sketch`). The source embedded in the recipe runs only with
    *trust_embedded_source*. *origin* names the animation in messages.

    Returns:
        ``(sketch, where)`` where *where* says which was used.

    Raises:
        ExportError: the recipe names no sketch, or the sketch file is missing/changed and the embedded
            source was not trusted (or is absent).
    """
    from ..errors import ExportError
    from ..sketch import load_sketch

    info = recipe.get("sketch")
    if not isinstance(info, dict) or not info.get("name"):
        origin = "the REPL" if "repl" in recipe else "Python (clip.save)"
        raise ExportError(f"only files rendered from a sketch can be replayed; this one was saved from {origin}, so its "
                          "recipe records what was made (model, pipeline, fps, frames) but not the code to re-run. "
                          "To get a replayable file, put the code in a sketch file's sketch() function and render it "
                          "with `genart run SKETCH.py` (see sketches/ for examples).")
    path = Path(str(info.get("path", f"{info['name']}.py")))
    want = info.get("sha256")
    want = want if isinstance(want, str) else None
    if sketch_path is not None:
        given = Path(sketch_path)
        if given.is_dir():
            raise ExportError(f"--sketch {given} is a folder; expected a .py sketch file.")
        if not given.is_file():
            raise ExportError(f"--sketch {given} not found.")
        _check_is_sketch(given)
        text = given.read_text(encoding="utf-8", errors="replace")
        note = "" if want is None or hashlib.sha256(text.encode("utf-8")).hexdigest() == want \
            else " (it differs from the recorded sketch, so the output may differ)"
        return load_sketch(given), f"sketch file {given}{note}"
    changed = False
    if path.is_file():
        text = path.read_text(encoding="utf-8", errors="replace")
        if want is None or hashlib.sha256(text.encode("utf-8")).hexdigest() == want:
            if confirm is None or not confirm(path):
                raise ExportError(
                    f"the recipe names the sketch file {path}; replay runs a file only with your consent, since "
                    "whoever made the animation chose that path. Check the file, then run "
                    f"`genart replay {shlex.quote(origin)} --sketch {shlex.quote(str(path))}` (or add --yes to run the file the recipe names).")
            _check_is_sketch(path)
            return load_sketch(path), f"sketch file {path}"
        changed = True
    state = f"{path} changed since the render" if changed else f"{path} not found here"
    source = recipe.get("source")
    if not trust_embedded_source:
        hint = (" The file carries a copy of the sketch source, but it is not run by default: it is code that came "
                "with the file (its hash is stored in the same file, so it proves nothing), so a downloaded file "
                "could run anything. Pass --trust-embedded-source to run it only if you trust where the file came "
                "from.") if isinstance(source, str) else " The recipe carries no copy of its source either."
        raise ExportError(f"sketch {state}; replay runs only a sketch file on disk: give it with --sketch PATH"
                          + (" (or restore the original)" if changed else "") + "." + hint)
    if isinstance(source, str):
        if want is not None and hashlib.sha256(source.encode("utf-8")).hexdigest() != want:
            raise ExportError("the recipe's embedded sketch source does not match its hash; the file was altered.")
        _check_is_sketch(path, source)
        return load_sketch(path, source=source), f"the sketch source stored in the recipe (trusted); {state}"
    raise ExportError(f"sketch {state} and the recipe carries no copy of its source; give the sketch with --sketch PATH.")


def handle(args: argparse.Namespace) -> int:
    """Re-render FILE (SIGTERM/SIGHUP clean up like Ctrl-C); see :func:`_handle`."""
    from .run import with_stop_signals

    return with_stop_signals(_handle)(args)


def _handle(args: argparse.Namespace) -> int:
    """Re-render FILE from its recipe; print the new path (and the comparison with ``--check``)."""
    import json

    from ..errors import ExportError
    from ..export import read_recipe
    from .run import ProgressBar

    verdict = detail = ""
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
    sketch, where = sketch_from_recipe(recipe, sketch_path=getattr(args, "sketch", None),
                                       trust_embedded_source=getattr(args, "trust_embedded_source", False),
                                       confirm=_confirmer(args), origin=str(args.file))
    if "seeds" in recipe:
        raise ExportError("this file is a --seeds contact sheet; replay one seed with genart run --seed N instead.")
    kind, src, names = _layout(src)
    versions = recipe.get("versions") or {}
    if not isinstance(versions, dict):
        print(f"note: the recipe's versions field is not a table ({type(versions).__name__}); ignoring it.", file=sys.stderr)
        versions = {}
    from ..pipeline import versions as current_versions

    now = current_versions()
    diff = {k: (v, now.get(k)) for k, v in versions.items() if now.get(k) != v}
    if diff:
        print("note: versions differ from the recording, bytes may differ: "
              + ", ".join(f"{k} {a} -> {b}" for k, (a, b) in diff.items()), file=sys.stderr)
    params, run = _recipe_run_options(recipe, yes=bool(getattr(args, "yes", False)))
    t0 = time.perf_counter()
    clip = sketch.render(params, **run)
    bar = ProgressBar(sketch.name, enabled=not args.quiet)
    tmpdir: Path | None = None
    keep = True
    try:
        if args.output is not None:
            if not str(args.output).strip():
                raise ExportError("-o is empty; give an output name such as 'again.gif', or leave -o out.")
            out = Path(args.output)
            if kind == "sequence" and out.suffix:
                raise ExportError(f"{src} is a PNG-sequence folder; give -o a folder name without a suffix (e.g. '{out.with_suffix('')}').")
        elif kind == "sequence":
            out = src.with_name(f"{src.name}_replay")
        else:
            out = src.with_name(f"{src.stem}.replay{src.suffix}")
        _refuse_overwriting_input(kind, src, out, names, Path(args.file))
        if args.check:
            # render under the output's name in a temp folder, compare, then move it into place (with -o) or drop it
            keep = args.output is not None
            parent = out.parent if keep else src.parent
            if not parent.is_dir():
                raise ExportError(f"cannot write '{out}': folder '{parent}' does not exist; create it first or choose another path.")
            tmpdir = Path(tempfile.mkdtemp(prefix=f".{src.stem}.replay-", dir=parent if str(parent) else "."))
            target = tmpdir / out.name
        else:
            target = out
        try:
            path = Path(clip.save(target, fps=clip.recipe["fps"], progress=bar))
        finally:
            bar.close()
        same = _same(kind, src, path, names) if args.check else None
        if args.check and not same:
            verdict, detail = compare_rendered(src, path, kind, recipe, read_recipe(path) if path.exists() else None)
        if tmpdir is not None and keep:
            path = _move_into_place(kind, path, out)
    finally:
        if tmpdir is not None:
            shutil.rmtree(tmpdir, ignore_errors=True)
    tmpdir = tmpdir if not keep else None
    shown = f"{src} (re-rendered in a temp folder)" if tmpdir is not None else f"{path}"
    print(f"{shown}  (from {where}, {time.perf_counter() - t0:.2f} s)")
    if args.check:
        if same:
            print("identical")
            return 0
        print(f"{verdict}: {detail}")
        return 0 if verdict.startswith("same frames") else 1
    return 0


#: a replay larger than this many frames x pixels asks for --yes first (a recipe may ask for anything)
LARGE_RENDER_PIXELS = 2_000 * 1024 * 1024


def _recipe_run_options(recipe: dict[str, Any], *, yes: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(params, run options)`` of a recipe, type-checked: ``params`` a table, ``seed``/``frames``/``size``
    whole numbers, ``fps`` a number. A render of more than :data:`LARGE_RENDER_PIXELS` frame pixels (e.g.
    100,000,000 frames) needs ``--yes``, so a recipe cannot start filling the disk unasked.

    Raises:
        ExportError: naming the bad field.
    """
    import numbers

    from ..errors import ExportError

    params = recipe.get("params")
    if params is None:
        params = {}
    if not isinstance(params, dict):
        raise ExportError(f"the recipe's params field is a {type(params).__name__}, not a table of parameters; the file is "
                          "damaged or was edited: re-render it with genart run.")
    run: dict[str, Any] = {}
    for key in ("seed", "frames", "size", "fps"):
        value = recipe.get(key)
        if value is None:
            continue
        ok = isinstance(value, numbers.Real) if key == "fps" else isinstance(value, numbers.Integral)
        if isinstance(value, bool) or not ok:
            if key == "size":
                continue  # older recipes record [W, H] here; the sketch's own size applies
            raise ExportError(f"the recipe's {key} field is {value!r}, not a number; the file is damaged or was edited.")
        run[key] = value
    frames, size = int(run.get("frames", 1)), int(run.get("size", 256))
    if frames * size * size > LARGE_RENDER_PIXELS and not yes:
        raise ExportError(f"the recipe asks for {frames} frames of {size}x{size} px; that large a render runs only with "
                          "--yes (check the recipe with --show first).")
    return params, run


def _confirmer(args: argparse.Namespace) -> Any:
    """``path -> bool``: yes with ``--yes``; at a terminal, the user's answer to a question; else ``None``
    (no one to ask: the recorded path is refused with the command that names it)."""
    if getattr(args, "yes", False):
        return lambda path: True
    if not sys.stdin or not sys.stdin.isatty():
        return None

    def ask(path: Path) -> bool:
        try:
            answer = input(f"Run the sketch file {path} named by the recipe? It is Python code. [y/N] ")
        except EOFError:
            return False
        return answer.strip().lower() in ("y", "yes")

    return ask


def _frames_and_timing(path: Path) -> tuple[list[Any], list[int]] | None:
    """Every frame of an animation file composited to RGBA (numpy uint8) and its duration in ms, or ``None``
    when Pillow cannot read it."""
    import numpy as np
    from PIL import Image, ImageSequence

    try:
        with Image.open(path) as im:
            frames, durations = [], []
            for frame in ImageSequence.Iterator(im):
                frames.append(np.asarray(frame.convert("RGBA")))
                durations.append(int(frame.info.get("duration", 0) or 0))
            return frames, durations
    except (OSError, ValueError, SyntaxError):
        return None


def _recipe_differences(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Dotted names of the recipe fields that differ (``sketch.path``), the source text left out."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in sorted(set(a) | set(b), key=str):
            if key == "source":
                continue
            out += _recipe_differences(a.get(key), b.get(key), f"{prefix}{key}.")
        return out
    return [] if a == b else [prefix.rstrip(".")]


def compare_rendered(src: Path, out: Path, kind: str, recorded: dict[str, Any], replayed: dict[str, Any] | None) -> tuple[str, str]:
    """What differs between an animation and its replay when their bytes do: ``("same frames and timing",
    "only the recipe's sketch.path differs")`` or ``("differs", "frame 3 of 8 ...")``.

    Single-file formats Pillow reads (GIF, PNG/APNG, WebP) are compared frame by frame (pixels after
    compositing, durations); other layouts fall back to the byte comparison's verdict.
    """
    fields = _recipe_differences(recorded, replayed) if isinstance(replayed, dict) else []
    meta = f"the recipe's {', '.join(fields[:6])} differ{'s' if len(fields) == 1 else ''}" if fields else "the metadata differs"
    if kind != "file":
        return "differs", f"the files' bytes differ ({meta})"
    a, b = _frames_and_timing(src), _frames_and_timing(out)
    if a is None or b is None:
        return "differs", f"the files' bytes differ and cannot be compared frame by frame ({meta})"
    (fa, da), (fb, db) = a, b
    if len(fa) != len(fb):
        return "differs", f"{len(fb)} frames instead of {len(fa)}"
    import numpy as np

    bad = [i for i, (x, y) in enumerate(zip(fa, fb)) if x.shape != y.shape or not np.array_equal(x, y)]
    if bad:
        return "differs", f"frame {bad[0]} of {len(fa)} differs ({len(bad)} frames in all)"
    if da != db:
        first = next(i for i, (x, y) in enumerate(zip(da, db)) if x != y)
        return "differs", f"frame {first}'s duration is {db[first]} ms instead of {da[first]} ms"
    return "same frames and timing", f"only {meta}"


def _same_file(a: Path, b: Path) -> bool:
    """True if *a* and *b* name the same file or folder (symlinks, ``..`` and hard links included)."""
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
        return a.resolve() == b.resolve()
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def _refuse_overwriting_input(kind: str, src: Path, out: Path, names: list[str], given: Path) -> None:
    """Raise ExportError if writing *out* would replace the input (or any file of it) before comparing."""
    from ..errors import ExportError

    inputs = [src, given]
    outputs = [out]
    if kind == "sheet":
        inputs += [src.parent / n for n in names]
        outputs += [out.with_suffix(".json"), out.with_suffix(".png")]
    if kind == "sequence":
        inputs += [p for p in [src] if p.is_dir()]
    for o in outputs:
        for i in inputs:
            if _same_file(o, i) or (kind == "sequence" and _same_file(o.parent, i) and o != out):
                raise ExportError(f"-o {out} would overwrite the input {given}; choose another output name "
                                  f"(the default is '{given.stem}.replay{given.suffix}').")
    if kind == "sequence":
        # writing inside the input folder (or the input inside the output) would change the input too
        try:
            o, i = out.resolve(), src.resolve()
        except OSError:
            return
        if i in o.parents or o in i.parents:
            raise ExportError(f"-o {out} is inside (or contains) the input folder {src}; choose a folder next to it.")


def _move_into_place(kind: str, path: Path, out: Path) -> Path:
    """Move a ``--check`` render from its temp folder to *out* (both files of a sheet; a whole sequence folder)."""
    from ..errors import ExportError
    from ..export.atomic import remove_quietly

    try:
        if kind == "sequence":
            if out.exists():
                if not out.is_dir() or (any(out.iterdir()) and not (out / "frames.json").is_file()):
                    raise ExportError(f"refusing to overwrite '{out}': it is not a folder written by genart-kit.")
                old = out.with_name(f".{out.name}.old-replay")
                remove_quietly(old)
                os.replace(out, old)
                os.replace(path, out)
                remove_quietly(old)
            else:
                os.replace(path, out)
            return out
        if kind == "sheet":
            js = path.with_suffix(".json")
            import json

            image = str(json.loads(js.read_text(encoding="utf-8")).get("meta", {}).get("image") or js.with_suffix(".png").name)
            os.replace(path.parent / image, out.parent / image)
            os.replace(js, out.with_suffix(".json"))
            return out.with_suffix(".json") if out.suffix.lower() != ".png" else out
        os.replace(path, out)
        return out
    except OSError as exc:
        raise ExportError(f"cannot write '{out}': {exc.strerror or exc}.") from exc


def _json_or_none(path: Path) -> Any:
    """A neighbouring JSON file's content with the recipe readers' bounds (size, depth), ``None`` when it
    cannot be read or parsed."""
    from ..errors import GenartError
    from ..export.recipe import _read_bounded, parse_json_bounded

    try:
        return parse_json_bounded(_read_bounded(path), source=str(path), what="the JSON file")
    except (GenartError, OSError, ValueError):
        return None


def _layout(src: Path) -> tuple[str, Path, list[str]]:
    """Classify *src*: ``("sequence", folder, [])``, ``("sheet", json, [json, png])`` or ``("file", src, [])``."""

    from ..export.recipe import SEQUENCE_MANIFEST

    if src.is_dir():
        return "sequence", src, []
    manifest = src.parent / SEQUENCE_MANIFEST
    if src.name == SEQUENCE_MANIFEST or (src.suffix.lower() == ".png" and manifest.is_file()):
        table = _json_or_none(manifest)
        if isinstance(table, dict) and str(table.get("format", "")).endswith("png-sequence") \
                and (src.name == SEQUENCE_MANIFEST or src.name in (table.get("frames") or [])):
            return "sequence", src.parent, []  # the manifest or one frame of a PNG sequence: replay the folder
    if src.suffix.lower() in (".json", ".png"):
        js = src.with_suffix(".json")
        table = _json_or_none(js) if js.is_file() else None
        if isinstance(table, dict) and isinstance(table.get("meta"), dict) and "frames" in table:
            image = str(table["meta"].get("image") or js.with_suffix(".png").name)
            return "sheet", js, [js.name, image]
    return "file", src, []


def _same(kind: str, src: Path, out: Path, names: list[str]) -> bool:
    """Byte comparison of the original and the replay (every file of a folder; both files of a sheet)."""
    if kind == "sequence":
        if not out.is_dir():
            return False
        a = sorted(p.name for p in src.iterdir() if p.is_file())
        b = sorted(p.name for p in out.iterdir() if p.is_file())
        return a == b and all((src / n).read_bytes() == (out / n).read_bytes() for n in a)
    if kind == "sheet":
        js = out.with_suffix(".json")
        mine, theirs = _json_or_none(src), _json_or_none(js)
        if not isinstance(mine, dict) or not isinstance(theirs, dict):
            return False
        img_a, img_b = src.parent / names[1], js.parent / str(theirs.get("meta", {}).get("image", ""))
        for t in (mine, theirs):
            t.get("meta", {}).pop("image", None)  # the atlas file name is not part of the animation
        return mine == theirs and img_a.is_file() and img_b.is_file() and img_a.read_bytes() == img_b.read_bytes()
    if out.is_dir() or src.is_dir():
        return False
    return out.read_bytes() == src.read_bytes()
