"""``genart run SKETCH``: render a sketch file to an animation (GIF by default), with watch mode and seed sweeps."""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import sys
import time
from pathlib import Path
from typing import Any

ORDER = 20

_parser: argparse.ArgumentParser | None = None

EXAMPLES = """\
examples:
  genart run sketches/latent_walk.py                      # writes latent_walk.gif
  genart run sketches/latent_walk.py --help               # the sketch's parameters
  genart run sketches/noise_loop.py -o loop.webp --seed 7 --frames 120 --param colormap=inferno
  genart run sketches/latent_walk.py --seeds 0..15        # contact sheet of 16 variants
  genart run sketches/latent_walk.py --seeds 0..7 -o variants/   # a folder of variants
  genart run sketches/latent_walk.py --watch              # re-render on every save
"""


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``run`` sub-command."""
    global _parser
    p = sub.add_parser(
        "run",
        help="render a sketch file to an animation",
        description="Render a sketch (a Python file with PARAMS and a sketch() function returning a clip) to a GIF "
        "or any exporter's format. With SKETCH, --help lists the sketch's own parameters.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    p.add_argument("sketch", nargs="?", metavar="SKETCH", help="sketch file (or a name in ./sketches)")
    p.add_argument("-h", "--help", action="store_true", help="show this help, or the sketch's parameters when SKETCH is given")
    p.add_argument("-o", "--output", metavar="OUT", help="output file (suffix picks the format; default <sketch>.gif); "
                   "with --seeds, a folder (trailing / or no suffix) gets one file per seed")
    p.add_argument("--seed", type=int, metavar="N", help="random seed (default: the sketch's, usually 0)")
    p.add_argument("--frames", type=int, metavar="N", help="number of frames")
    p.add_argument("--fps", type=float, metavar="F", help="frames per second")
    p.add_argument("--size", type=int, metavar="PX", help="output size in pixels (longer side)")
    p.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE",
                   help="set a sketch parameter (repeatable)")
    p.add_argument("--seeds", metavar="A..B", help="seed sweep: 'A..B' (inclusive) or 'A,B,C'; one contact sheet, or a folder with -o DIR/")
    p.add_argument("--thumb", type=int, metavar="PX", help="--seeds contact sheet: each cell's longer side in pixels "
                   "(default: the full --size; e.g. --thumb 96 keeps a 16-seed sheet small)")
    p.add_argument("--audio", metavar="FILE", help="audio file for a sketch with an 'audio' parameter (same as "
                   "--param audio=FILE); MP4/WebM outputs carry it as their sound track")
    p.add_argument("--watch", action="store_true", help="re-render on every save of the sketch or its local modules")
    p.add_argument("-x", "--export-option", action="append", default=[], metavar="NAME=VALUE",
                   help="exporter option (repeatable), e.g. -x colors=64 -x dither=bayer for GIF (`genart list exporters`)")
    p.add_argument("--allow-fast-fps", action="store_true", help="GIF: write fps > 50 anyway (same as -x allow_fast_fps=true)")
    p.add_argument("--batch-size", type=int, default=64, metavar="B", help="frames rendered per batch (default 64)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=handle)
    _parser = p


# ------------------------------------------------------------------------------------------ progress
class ProgressBar:
    """A one-line progress bar on stderr for renders longer than *delay* seconds (only on a terminal)."""

    def __init__(self, label: str, *, enabled: bool = True, delay: float = 0.5, stream: Any = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled and getattr(self.stream, "isatty", lambda: False)()
        self.label = label
        self.delay = delay
        self.t0 = time.perf_counter()
        self.last = 0.0
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.perf_counter()
        if now - self.t0 < self.delay or (now - self.last < 0.1 and done < total):
            return
        self.last = now
        width = 28
        fill = int(width * done / max(total, 1))
        elapsed = now - self.t0
        eta = elapsed / done * (total - done) if done else 0.0
        self.stream.write(f"\r{self.label} [{'#' * fill}{'.' * (width - fill)}] {done}/{total} frames  {elapsed:.1f}s  eta {eta:.1f}s ")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            self.stream.write("\n")
            self.stream.flush()
            self.shown = False


# ------------------------------------------------------------------------------------------- helpers
def parse_seeds(spec: str) -> list[int]:
    """``"0..15"`` (inclusive) or ``"1,5,9"`` or a mix (``"0..3,10"``) -> list of ints.

    Raises:
        InvalidInputError: malformed spec, an empty range, or more than 1024 seeds.
    """
    from ..errors import InvalidInputError

    seeds: list[int] = []
    for part in spec.split(","):
        part = part.strip()
        m = re.fullmatch(r"(-?\d+)\s*\.\.\s*(-?\d+)", part)
        if m:
            a, b = int(m.group(1)), int(m.group(2))
            if b < a:
                raise InvalidInputError(f"--seeds range {part!r} is empty; write it low..high, e.g. 0..15.")
            if b - a >= 1024:
                raise InvalidInputError("--seeds covers more than 1024 seeds; sweep fewer.")
            seeds.extend(range(a, b + 1))
        elif re.fullmatch(r"-?\d+", part):
            seeds.append(int(part))
        else:
            raise InvalidInputError(f"--seeds must look like 0..15 or 1,5,9; got {spec!r}.")
    if len(seeds) > 1024:
        raise InvalidInputError("--seeds covers more than 1024 seeds; sweep fewer.")
    return list(dict.fromkeys(seeds))


def _is_folder_target(output: str | None) -> bool:
    if output is None:
        return False
    return output.endswith(("/", "\\")) or Path(output).is_dir() or Path(output).suffix == ""


def _make_output_folder(folder: Path) -> Path:
    """Create the --seeds output folder (and its parents); every failure is a one-line ExportError."""
    from ..errors import ExportError
    from ..export.atomic import os_error_message

    if folder.exists() and not folder.is_dir():
        raise ExportError(f"cannot use '{folder}' as the output folder: a file of that name exists; "
                          f"choose another folder name, or a file name such as '{folder.with_suffix('.gif')}' for one sheet.")
    for parent in folder.parents:
        if parent.exists() and not parent.is_dir():
            raise ExportError(f"cannot create the output folder '{folder}': '{parent}' is a file, not a folder; "
                              "choose a path inside an existing folder.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(os_error_message(folder, exc).replace("cannot write", "cannot create the output folder", 1)) from exc
    return folder


def _render_options(args: argparse.Namespace) -> dict[str, Any]:
    return {"seed": args.seed, "frames": args.frames, "fps": args.fps, "size": args.size}


#: names `clip.save()` itself takes: an -x option of that name is refused, with what to use instead
RESERVED_EXPORT_OPTIONS = {
    "fps": "set the frame rate with --fps", "path": "name the output with -o", "batch_size": "use --batch-size",
    "progress": "the progress bar is on unless -q", "cancel": "Ctrl-C cancels a render",
    "recipe": "the recipe is written by genart run itself", "batches": "frames come from the sketch",
    "total_frames": "the frame count comes from the sketch (--frames)",
    "self": "it names no option", "exporter": "the exporter is picked from -o's suffix",
}


def parse_export_options(items: list[str]) -> dict[str, Any]:
    """``["colors=64", "dither=bayer", "allow_fast_fps=true"]`` -> keyword arguments for the exporter.

    Values are read as ``true``/``false``, integers and floats where they look like one, otherwise strings.

    Raises:
        InvalidInputError: an item without ``=`` or with a bad name.
    """
    from ..errors import InvalidInputError

    out: dict[str, Any] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep or not name.isidentifier():
            raise InvalidInputError(f"--export-option must be NAME=VALUE (e.g. colors=64), got {item!r}.")
        if name in RESERVED_EXPORT_OPTIONS:
            instead = RESERVED_EXPORT_OPTIONS[name]
            raise InvalidInputError(f"-x {name}= is not an exporter option: {instead}.")
        value: Any = text.strip()
        if value.lower() in ("true", "yes", "on"):
            value = True
        elif value.lower() in ("false", "no", "off"):
            value = False
        else:
            for conv in (int, float):
                try:
                    value = conv(value)
                    break
                except ValueError:
                    pass
        out[name] = value
    return out


def _export_options(args: argparse.Namespace) -> dict[str, Any]:
    opts = parse_export_options(getattr(args, "export_option", None) or [])
    if getattr(args, "allow_fast_fps", False):
        opts["allow_fast_fps"] = True
    return opts


def _audio_option(out: Path, args: argparse.Namespace) -> dict[str, Any]:
    """``{"audio": file}`` for a video output of a sketch with an audio parameter; a note for silent formats."""
    src = getattr(args, "audio_file", None)
    if src is None:
        return {}
    if out.suffix.lower() in (".mp4", ".m4v", ".mov", ".webm"):
        return {"audio": src}
    print(f"note: {out.suffix or out.name} files carry no sound; {out.name} is written silent "
          "(use -o NAME.mp4 or .webm for the sound track)", file=sys.stderr)
    return {}


def _save(clip: Any, out: Path, fps: float, args: argparse.Namespace, label: str) -> Path:
    from ..errors import ExportError

    bar = ProgressBar(label, enabled=not args.quiet)
    try:
        return clip.save(out, fps=fps, batch_size=args.batch_size, progress=bar, **_export_options(args),
                         **_audio_option(out, args))
    except ExportError as exc:
        msg = str(exc)
        if "allow_fast_fps=True" in msg:  # the Python spelling; say how to do it from the command line
            raise ExportError(msg.replace("pass allow_fast_fps=True", "pass --allow-fast-fps")) from exc
        raise
    except TypeError as exc:
        if getattr(args, "export_option", None) and "unexpected keyword argument" in str(exc):
            raise ExportError(f"this format does not take that --export-option ({exc}).") from exc
        raise
    finally:
        bar.close()


# -------------------------------------------------------------------------------------------- handle
class Terminated(KeyboardInterrupt):
    """SIGTERM/SIGHUP turned into an interrupt, so the atomic-write cleanup runs as for Ctrl-C."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum


@contextlib.contextmanager
def stop_signals_as_interrupt() -> Any:
    """While active (main thread only), SIGTERM and SIGHUP raise :class:`Terminated` like Ctrl-C does."""
    import signal
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def raiser(signum: int, frame: Any) -> None:
        raise Terminated(signum)

    saved = {}
    for name in ("SIGTERM", "SIGHUP"):
        sig = getattr(signal, name, None)
        if sig is None:
            continue
        try:
            saved[sig] = signal.signal(sig, raiser)
        except (ValueError, OSError):  # pragma: no cover - not the main interpreter
            pass
    try:
        yield
    finally:
        for sig, old in saved.items():
            try:
                signal.signal(sig, old)
            except (ValueError, OSError):  # pragma: no cover
                pass


def with_stop_signals(fn: Any) -> Any:
    """Wrap a command handler: SIGTERM/SIGHUP clean up like Ctrl-C and exit ``128 + signal``."""
    import functools

    @functools.wraps(fn)
    def wrapper(args: argparse.Namespace) -> int:
        import signal

        try:
            with stop_signals_as_interrupt():
                return fn(args)
        except Terminated as exc:
            try:
                name = signal.Signals(exc.signum).name
            except ValueError:  # pragma: no cover
                name = str(exc.signum)
            print(f"genart: terminated ({name}); partial output removed", file=sys.stderr)
            return 128 + exc.signum

    return wrapper


@with_stop_signals
def handle(args: argparse.Namespace) -> int:
    """Render (or watch, or sweep) the sketch; prints the written path(s)."""
    from ..errors import InvalidInputError
    from ..sketch import check_run_options, load_sketch

    if args.sketch is None:
        assert _parser is not None
        if args.help:
            _parser.print_help()
            return 0
        _parser.print_usage(sys.stderr)
        raise InvalidInputError("give a sketch file, e.g. genart run sketches/latent_walk.py")
    if args.batch_size < 1:
        raise InvalidInputError(f"--batch-size must be >= 1, got {args.batch_size}.")
    if args.output is not None and not str(args.output).strip():
        raise InvalidInputError("-o is empty; give an output name such as 'out.gif', or leave -o out for the default.")
    check_run_options(**_render_options(args))
    _export_options(args)  # fail fast on a malformed -x
    if args.watch and args.seeds:
        raise InvalidInputError("--watch and --seeds cannot be combined; pick one.")
    if args.watch:
        return _watch(args)
    if Path(args.sketch).is_dir():
        raise InvalidInputError(f"sketch '{args.sketch}' is a folder; give a .py sketch file, "
                                "e.g. genart run sketches/latent_walk.py")
    sketch = load_sketch(args.sketch)
    if args.help:
        print(sketch.help_text())
        return 0
    if getattr(args, "audio", None):
        args.param.append(f"audio={args.audio}")
    values = sketch.resolve(args.param)  # fail fast on bad parameters, before any model loads
    if "audio" in values:
        from ..audio.demo import track_path

        args.audio_file = track_path(values["audio"])
    if args.seeds:
        return _sweep(sketch, args)
    out = Path(args.output) if args.output else Path(f"{sketch.name}.gif")
    from ..pipeline import _check_output  # same package; fail before rendering

    _check_output(out)
    refuse_output_over_inputs(out, render_inputs(sketch, sketch.resolve(args.param)))
    t0 = time.perf_counter()
    clip = sketch.render(args.param, **_render_options(args))
    fps = clip.recipe["fps"]
    path = _save(clip, out, fps, args, f"{sketch.name}")
    dt = time.perf_counter() - t0
    print(f"{path}  ({len(clip)} frames, {_written_size(path, clip)}, {fps:g} fps; rendered in {dt:.2f} s)")
    return 0


def render_inputs(sketch: Any, values: dict[str, Any]) -> list[Path]:
    """What a render reads: the sketch file, the local modules it imports, and every string parameter that
    names an existing file or folder (``-p images=photo.png``)."""
    inputs = [Path(f) for f in getattr(sketch, "files", [])] or [Path(sketch.path)]
    for value in values.values():
        if isinstance(value, (str, os.PathLike)) and str(value).strip():
            candidate = Path(os.fspath(value)).expanduser()
            try:
                if candidate.exists():
                    inputs.append(candidate)
            except (OSError, ValueError):  # a string that is no path at all (NUL, too long)
                continue
    return inputs


def refuse_output_over_inputs(out: Path, inputs: list[Path]) -> None:
    """Raise :class:`~genart_kit.errors.ExportError` when writing *out* would replace or change an input:
    *out* is an input file, an input folder (a PNG sequence written over it), or lies inside an input folder
    (the new file would join the input images). Symlinks and ``..`` are resolved.
    """
    from ..errors import ExportError

    def real(path: Path) -> Path:
        try:
            return path.resolve()
        except (OSError, RuntimeError):
            return Path(os.path.abspath(path))

    o = real(out)
    extra = [o.with_suffix(".png"), o.with_suffix(".json")] if o.suffix.lower() == ".json" else []  # a sprite sheet's two files
    for given in inputs:
        i = real(given)
        if i == o or i in extra or (i.is_dir() and i in o.parents) or (o.is_dir() and o in i.parents):
            where = "is" if i == o or i in extra else "is inside" if i in o.parents else "contains"
            raise ExportError(f"-o {out} {where} the input {given} of this render; writing it would change the input. "
                              "Choose another output name.")


def _written_size(path: Path, clip: Any) -> str:
    """``WxH`` of the written file: a GIF's own size when a ``max_bytes`` budget shrank the frames."""
    size = f"{clip.width}x{clip.height}"
    if Path(path).suffix.lower() == ".gif":
        from ..export.gif import gif_size

        w, h = gif_size(path)
        if (w, h) != (clip.width, clip.height):
            size = f"{w}x{h}, shrunk from {size} to fit max_bytes"
    return size


@contextlib.contextmanager
def _cached_models() -> Any:
    """While active, ``ga.model(...)`` with the same arguments returns the same loaded model (seed sweeps
    call the sketch once per seed; the weights need loading only once)."""
    import genart_kit as ga

    original = ga.model
    cache: dict[Any, Any] = {}

    def model(name: str, *, checkpoint: str | None = None, device: str | None = None, **options: Any) -> Any:
        try:
            key = (name, checkpoint, device, tuple(sorted(options.items())))
            hash(key)
        except TypeError:
            return original(name, checkpoint=checkpoint, device=device, **options)
        if key not in cache:
            cache[key] = original(name, checkpoint=checkpoint, device=device, **options)
        return cache[key]

    model.__doc__ = original.__doc__
    ga.model = model
    try:
        yield
    finally:
        ga.model = original


def _sweep(sketch: Any, args: argparse.Namespace) -> int:
    with _cached_models():
        return _sweep_inner(sketch, args)


def _sweep_inner(sketch: Any, args: argparse.Namespace) -> int:
    from ..errors import InvalidInputError
    from ..pipeline import tile

    if args.thumb is not None and not 8 <= args.thumb <= 4096:
        raise InvalidInputError(f"--thumb must be 8..4096 pixels, got {args.thumb}.")
    seeds = parse_seeds(args.seeds)
    opts = _render_options(args)
    opts.pop("seed")
    inputs = render_inputs(sketch, sketch.resolve(args.param))
    if _is_folder_target(args.output):
        refuse_output_over_inputs(Path(args.output), inputs)
        folder = _make_output_folder(Path(args.output))
        for s in seeds:
            clip = sketch.render(args.param, seed=s, **opts)
            path = _save(clip, folder / f"{sketch.name}_seed{s}.gif", clip.recipe["fps"], args, f"seed {s}")
            print(path)
        return 0
    import math

    from ..render.text import caption

    clips = []
    for s in seeds:
        clip = sketch.render(args.param, seed=s, **opts)
        if args.thumb is not None:
            from ..render.geometry import resize

            clip = clip | resize(args.thumb, mode="smooth")
        clips.append(clip | caption(f"seed {s}", position="bottom-left"))
    sheet = tile(clips, cols=math.ceil(math.sqrt(len(seeds))), padding=2, length="max")
    recipe = dict(clips[0].recipe)
    recipe["seeds"] = seeds
    recipe.pop("seed", None)
    sheet.recipe = recipe
    out = Path(args.output) if args.output else Path(f"{sketch.name}_seeds.gif")
    refuse_output_over_inputs(out, inputs)
    path = _save(sheet, out, recipe["fps"], args, f"{len(seeds)} seeds")
    print(f"{path}  ({len(seeds)} seeds, {len(sheet)} frames, {sheet.width}x{sheet.height})")
    return 0


def _watch(args: argparse.Namespace) -> int:
    """``--watch``: re-render on every save, each run in a worker process a later save can stop
    (:mod:`genart_kit.commands._watch`)."""
    from ..sketch import resolve_path
    from ._watch import watch

    path = resolve_path(args.sketch)
    out = Path(args.output) if args.output else Path(f"{path.stem}.gif")
    return watch(args, path, out, _render_options(args), make_callbacks=_watch_callbacks,
                 stop_signals=stop_signals_as_interrupt, terminated=Terminated)


def _watch_callbacks(args: argparse.Namespace, path: Path, out: Path) -> tuple[Any, Any]:
    """``(on_clip, on_error)`` of a watch run (see :class:`~genart_kit.sketch.Watcher`): save the clip to *out*
    and say so on stdout, or say what went wrong on stderr and that the last good output is kept."""
    import traceback

    from ..errors import GenartError
    from ..sketch import SketchError

    def on_clip(clip: Any, sketch: Any) -> None:
        t0 = time.perf_counter()
        refuse_output_over_inputs(out, render_inputs(sketch, sketch.resolve(args.param)))  # on_error reports it
        saved = _save(clip, out, clip.recipe["fps"], args, sketch.name)
        print(f"{time.strftime('%H:%M:%S')} wrote {saved} ({len(clip)} frames, {time.perf_counter() - t0:.2f} s)", flush=True)

    def on_error(exc: BaseException) -> None:
        stamp = time.strftime("%H:%M:%S")
        if isinstance(exc, SketchError):
            print(f"{stamp} error: {exc}\n{exc.details}", file=sys.stderr, flush=True)
        elif isinstance(exc, GenartError):
            print(f"{stamp} error: {exc}", file=sys.stderr, flush=True)
        else:
            print(f"{stamp} error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            traceback.print_exc()
        print(f"{stamp} kept the last good output; watching {path} for changes (Ctrl-C to stop)", file=sys.stderr, flush=True)

    return on_clip, on_error
