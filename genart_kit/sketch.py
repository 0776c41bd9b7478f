"""Sketch files: plain Python files that declare parameters and return a clip; loading, rendering, watching.

A sketch (see ``sketches/latent_walk.py``)::

    \"\"\"Latent walk: a looping walk through a model's latent space.\"\"\"   # first line = title in --help
    import genart_kit as ga
    from genart_kit.sketch import Param

    PARAMS = {
        "model": Param("vae-mnist", help="model to walk through"),
        "keys": Param(6, min=2, max=32, help="number of keyframes"),
        "colormap": Param("magma", choices=["magma", "viridis", "inferno"], help="colour map"),
    }
    DEFAULTS = {"frames": 48, "fps": 24, "size": 256}      # optional: defaults of the run options

    def sketch(p, seed, frames, size, fps):
        m = ga.model(p.model)
        return ga.latent.interpolate(m, frames, keys=p.keys, seed=seed, loop=True) | m | ga.render.colormap(p.colormap) | ga.render.upscale(size)

``sketch`` may declare any subset of ``p, seed, frames, size, fps`` (matched by name; the first positional
parameter gets ``p``). It returns a :class:`~genart_kit.pipeline.Clip` (or frames ``[T, C, H, W]``).
While it runs, the run's ``size`` (``genart run --size PX``) is the default ``size`` option of every model
that declares one (``ga.model("cppn")`` renders at PX; an explicit ``size=`` wins). A sketch's module starts
with the names plugins add through ``register_namespace`` (its own definitions win).

``load_sketch(path)`` -> :class:`Sketch` (``.params``, ``.render(overrides, seed=, frames=, fps=, size=)``);
:class:`Watcher` / :func:`watch` re-render when the sketch or a local module it imports is saved, keep the
last good clip when the new code raises, and run in a background thread (``Watcher.start()``) or the
foreground (``Watcher.run()``), stoppable with a :class:`threading.Event`. Importing this module does not
import torch. The design follows vsketch (``vsk run`` with ``Param(value, min, max, step, choices)``).
"""

from __future__ import annotations

import hashlib
import importlib.util
import inspect
import itertools
import logging
import math
import os
import sys
import threading
import time
import traceback
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

from .errors import GenartError, InvalidInputError, UnknownNameError, suggest

log = logging.getLogger(__name__)

#: Defaults of the run options when a sketch does not set ``DEFAULTS``.
RUN_DEFAULTS = {"seed": 0, "frames": 48, "fps": 24.0, "size": 256}
MAX_SIZE = 8192
MAX_FPS = 1000.0


class SketchError(GenartError):
    """A sketch file failed to load or raised while building its clip.

    Attributes:
        details: the traceback, limited to the sketch's own files (for watch mode and ``--debug``).
    """

    def __init__(self, message: str, details: str = "") -> None:
        super().__init__(message)
        self.details = details


# ---------------------------------------------------------------------------------------------- Param
_TYPES = {bool: "bool", int: "int", float: "float", str: "str"}


@dataclass
class Param:
    """A sketch parameter: a default, an optional range (``min``/``max``/``step``) or ``choices``, and help.

    The type is the default's type (``bool``, ``int``, ``float`` or ``str``); command-line values
    (``--param NAME=VALUE``) are parsed to it. ``step`` snaps numbers to ``min + k * step`` (used by UIs;
    values off the grid are accepted on the command line and rounded).

    Raises:
        InvalidInputError: a default of another type, an empty range, a default outside its range/choices.
    """

    default: Any
    min: float | None = None
    max: float | None = None
    step: float | None = None
    choices: Sequence[Any] | None = None
    help: str = ""
    type: type = field(init=False)

    def __post_init__(self) -> None:
        d = self.default
        t = type(d)
        if t not in _TYPES:
            raise InvalidInputError(f"Param default must be a bool, int, float or str, got {type(d).__name__} {d!r}.")
        self.type = t
        for name in ("min", "max", "step"):
            v = getattr(self, name)
            if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
                raise InvalidInputError(f"Param {name} must be a finite number, got {v!r}.")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise InvalidInputError(f"Param min ({self.min}) is larger than max ({self.max}).")
        if self.step is not None and self.step <= 0:
            raise InvalidInputError(f"Param step must be > 0, got {self.step}.")
        if self.choices is not None:
            self.choices = list(self.choices)
            if not self.choices:
                raise InvalidInputError("Param choices is empty.")
        self.validate(d, "default")

    def describe(self) -> str:
        """``"int in [2, 32], default 6"`` / ``"one of magma, viridis; default 'magma'"``."""
        if self.choices is not None:
            return f"one of {', '.join(map(str, self.choices))}; default {self.default!r}"
        t = _TYPES[self.type]
        if self.min is not None or self.max is not None:
            lo = "-inf" if self.min is None else f"{self.min:g}"
            hi = "inf" if self.max is None else f"{self.max:g}"
            return f"{t} in [{lo}, {hi}], default {self.default!r}"
        return f"{t}, default {self.default!r}"

    def parse(self, text: str, name: str = "parameter") -> Any:
        """Parse a command-line string to this parameter's type and validate it.

        Raises:
            InvalidInputError: not parseable or out of range / not a choice (naming *name* and the range).
        """
        t = self.type
        try:
            if t is bool:
                low = text.strip().lower()
                if low in ("1", "true", "yes", "on", "y"):
                    value: Any = True
                elif low in ("0", "false", "no", "off", "n"):
                    value = False
                else:
                    raise ValueError(text)
            elif t is int:
                f = float(text)
                if not f.is_integer():
                    raise ValueError(text)
                value = int(f)
            elif t is float:
                value = float(text)
            else:
                value = text
        except (ValueError, OverflowError):
            raise InvalidInputError(f"parameter '{name}' must be {self._expect()}, got {text!r}.") from None
        return self.validate(value, name)

    def _expect(self) -> str:
        t = self.type
        if self.choices is not None:
            return "one of " + ", ".join(map(str, self.choices))
        base = {bool: "true or false", int: "a whole number", float: "a number", str: "text"}[t]
        if self.min is not None or self.max is not None:
            lo = "-inf" if self.min is None else f"{self.min:g}"
            hi = "inf" if self.max is None else f"{self.max:g}"
            base += f" in [{lo}, {hi}]"
        return base

    def validate(self, value: Any, name: str = "parameter") -> Any:
        """Check (and coerce int -> float for float params) a Python value.

        Raises:
            InvalidInputError: wrong type, NaN, outside ``[min, max]``, or not one of ``choices``.
        """
        t = self.type
        if t is float and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        if t is int and isinstance(value, float) and value.is_integer():
            value = int(value)
        if type(value) is not t:
            raise InvalidInputError(f"parameter '{name}' must be {self._expect()}, got {value!r}.")
        if t is float and not math.isfinite(value):
            raise InvalidInputError(f"parameter '{name}' must be a finite number, got {value!r}.")
        if self.choices is not None and value not in self.choices:
            raise InvalidInputError(f"parameter '{name}' must be one of {', '.join(map(str, self.choices))}; got {value!r}.{suggest(str(value), map(str, self.choices))}")
        if t in (int, float):
            if (self.min is not None and value < self.min) or (self.max is not None and value > self.max):
                raise InvalidInputError(f"parameter '{name}' must be {self._expect()}, got {value!r}.")
        return value


class Params:
    """The resolved parameter values a sketch receives: ``p.keys`` or ``p["keys"]``; read-only.

    Any identifier is a valid parameter name (values live in the instance, so even ``keys`` or ``items``
    work as attributes). ``p.as_dict()`` returns a copy as a dict; ``name in p``, ``len(p)`` and iteration
    over the names work too.
    """

    def __init__(self, values: Mapping[str, Any]) -> None:
        self.__dict__.update(dict(values))
        object.__setattr__(self, "_frozen", True)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        names = [k for k in self.__dict__ if k != "_frozen"]
        raise AttributeError(f"sketch has no parameter '{name}'.{suggest(name, names)} Declare it in PARAMS.")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("sketch parameters are read-only; change them with --param NAME=VALUE.")

    def as_dict(self) -> dict[str, Any]:
        """A copy of the values, ``{name: value}``."""
        return {k: v for k, v in self.__dict__.items() if k != "_frozen"}

    def __getitem__(self, key: str) -> Any:
        return self.as_dict()[key]

    def __contains__(self, key: object) -> bool:
        return key in self.as_dict()

    def __iter__(self):
        return iter(self.as_dict())

    def __len__(self) -> int:
        return len(self.as_dict())

    def __repr__(self) -> str:
        return f"Params({self.as_dict()!r})"


# --------------------------------------------------------------------------------------- run options
def check_run_options(seed: Any = None, frames: Any = None, fps: Any = None, size: Any = None) -> dict[str, Any]:
    """Validate the run options (``None`` = not given) and return the given ones.

    Raises:
        InvalidInputError: seed not an int; frames not an int >= 1; fps not a number in (0, 1000]; size not an
            int in [1, 8192].
    """
    out: dict[str, Any] = {}
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InvalidInputError(f"seed must be an int, got {seed!r}.")
        out["seed"] = seed
    if frames is not None:
        from .checks import MAX_FRAMES

        if isinstance(frames, bool) or not isinstance(frames, int) or not 1 <= frames <= MAX_FRAMES:
            raise InvalidInputError(f"frames must be a whole number >= 1, got {frames!r}.")
        out["frames"] = frames
    if fps is not None:
        if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not math.isfinite(fps) or not 0 < fps <= MAX_FPS:
            raise InvalidInputError(f"fps must be a positive number of frames per second (at most {MAX_FPS:g}), got {fps!r}.")
        out["fps"] = float(fps)
    if size is not None:
        if isinstance(size, bool) or not isinstance(size, int) or not 1 <= size <= MAX_SIZE:
            raise InvalidInputError(f"size must be a whole number of pixels in [1, {MAX_SIZE}], got {size!r}.")
        out["size"] = size
    return out


# -------------------------------------------------------------------------------------------- loading
_load_lock = threading.RLock()
_counter = itertools.count()
_local_modules: dict[str, set[str]] = {}  # sketch path -> module names it imported from its folder


def _sketch_traceback(exc: BaseException, files: Iterable[str]) -> str:
    """The traceback of *exc* limited to frames in *files* (the sketch and its local modules)."""
    files = {os.path.realpath(f) for f in files}
    tb = traceback.extract_tb(exc.__traceback__)
    mine = [fr for fr in tb if os.path.realpath(fr.filename) in files]
    if isinstance(exc, SyntaxError) and not mine:
        # a syntax error has no sketch frames, only the toolkit's compile(); its own text shows file and line
        return "".join(traceback.format_exception_only(type(exc), exc))
    lines = traceback.format_list(mine or tb[-3:])
    return "Traceback (sketch frames):\n" + "".join(lines) + "".join(traceback.format_exception_only(type(exc), exc))


def _where(exc: BaseException, path: Path) -> str:
    if isinstance(exc, SyntaxError) and exc.lineno:
        return f" (line {exc.lineno})"
    for fr in reversed(traceback.extract_tb(exc.__traceback__)):
        if os.path.realpath(fr.filename) == os.path.realpath(path):
            return f" (line {fr.lineno})"
    return ""


def _is_local(module: types.ModuleType, folder: str) -> bool:
    f = getattr(module, "__file__", None)
    if not f:
        return False
    real = os.path.realpath(f)
    if not real.startswith(folder + os.sep):
        return False
    if "site-packages" in real or f"{os.sep}genart_kit{os.sep}" in real:
        return False
    return True


def _plugin_names() -> dict[str, Any]:
    """The names plugins add to sketches (``register_namespace``): name -> object."""
    from .registry import get_registry

    return get_registry().namespace()


def _exec_module(path: Path, source: str | None = None) -> tuple[types.ModuleType, set[str]]:
    """Execute a sketch file as a fresh module; return it and the names of local modules it imported."""
    folder = os.path.realpath(path.parent)
    key = os.path.realpath(path)
    with _load_lock:
        for names in _local_modules.values():  # re-import (possibly edited) local modules of sketches
            for name in names:
                sys.modules.pop(name, None)
        importlib.invalidate_caches()
        before = set(sys.modules)
        mod_name = f"genart_sketch_{''.join(c if c.isalnum() else '_' for c in path.stem)}_{next(_counter)}"
        module = types.ModuleType(mod_name)
        module.__file__ = str(path)
        added = folder not in sys.path
        if added:
            sys.path.insert(0, folder)
        sys.modules[mod_name] = module
        try:
            module.__dict__.update(_plugin_names())
            text = path.read_text(encoding="utf-8") if source is None else source
            code = compile(text, str(path), "exec")
            exec(code, module.__dict__)  # noqa: S102 - running the user's sketch is the point
        finally:
            sys.modules.pop(mod_name, None)
            if added:
                try:
                    sys.path.remove(folder)
                except ValueError:  # pragma: no cover
                    pass
            local = {n for n in set(sys.modules) - before if _is_local(sys.modules[n], folder)}
            _local_modules[key] = local | _local_modules.get(key, set()) & set(sys.modules)
    return module, local


@dataclass
class Sketch:
    """A loaded sketch file.

    Attributes:
        path: the file.
        name: its stem (``"latent_walk"``).
        title: first line of its docstring.
        doc: its docstring.
        params: declared parameters, ``{name: Param}``.
        defaults: run-option defaults ``{"seed", "frames", "fps", "size"}`` (``RUN_DEFAULTS`` + ``DEFAULTS``).
        files: the sketch and the local modules it imported (what :class:`Watcher` watches).
        source: the file's text when loaded (embedded into recipes for ``genart replay``).
    """

    path: Path
    name: str
    title: str
    doc: str
    params: dict[str, Param]
    defaults: dict[str, Any]
    function: Callable[..., Any]
    files: list[Path]
    source: str

    # ---------------------------------------------------------------------------------- parameters
    def resolve(self, overrides: Mapping[str, Any] | Sequence[str] | None = None) -> dict[str, Any]:
        """All parameter values: defaults updated with *overrides*.

        Args:
            overrides: ``{name: value}`` (Python values or strings, which are parsed) or ``["name=value", ...]``.

        Raises:
            UnknownNameError: an unknown parameter name (lists the declared ones).
            InvalidInputError: a bad value (names the parameter and its allowed range or choices).
        """
        values = {k: p.default for k, p in self.params.items()}
        for name, value in _pairs(overrides):
            if name not in self.params:
                declared = ", ".join(self.params) or "(none)"
                raise UnknownNameError(f"sketch '{self.name}' has no parameter '{name}'.{suggest(name, self.params)} Parameters: {declared}.")
            p = self.params[name]
            values[name] = p.parse(value, name) if isinstance(value, str) and p.type is not str else p.validate(value, name)
        return values

    def options(self, seed: Any = None, frames: Any = None, fps: Any = None, size: Any = None) -> dict[str, Any]:
        """Run options with the sketch's defaults filled in (validated)."""
        out = dict(self.defaults)
        out.update(check_run_options(seed, frames, fps, size))
        return out

    def help_text(self) -> str:
        """The parameter listing printed by ``genart run SKETCH --help``."""
        lines = [f"{self.path}: {self.title}" if self.title else str(self.path)]
        rest = self.doc.strip().split("\n", 1)[1].strip() if "\n" in self.doc.strip() else ""
        if rest:
            lines += ["", rest]
        d = self.defaults
        lines += ["", "run options (defaults for this sketch):",
                  f"  --seed N       {d['seed']}", f"  --frames N     {d['frames']}",
                  f"  --fps F        {d['fps']:g}", f"  --size PX      {d['size']}"]
        lines += ["", "parameters (--param NAME=VALUE):"]
        if not self.params:
            lines.append("  (none)")
        width = max((len(n) for n in self.params), default=0)
        for n, p in self.params.items():
            lines.append(f"  {n.ljust(width)}  {p.help}" + (" " if p.help else "") + f"[{p.describe()}]")
        return "\n".join(lines)

    # ------------------------------------------------------------------------------------- render
    def render(
        self,
        overrides: Mapping[str, Any] | Sequence[str] | None = None,
        *,
        seed: int | None = None,
        frames: int | None = None,
        fps: float | None = None,
        size: int | None = None,
    ) -> Any:
        """Run the sketch function and return its lazy :class:`~genart_kit.pipeline.Clip`, with a recipe.

        Args:
            overrides: parameter values (see :meth:`resolve`).
            seed, frames, fps, size: run options; ``None`` uses the sketch's defaults.

        Returns:
            a :class:`~genart_kit.pipeline.Clip` whose ``recipe`` records sketch, params, seed, frames, fps,
            size and the sketch's source (so ``genart replay`` can re-render it).

        Raises:
            UnknownNameError / InvalidInputError: bad parameters or options.
            SketchError: the sketch function raised or returned something that is not a clip.
            GenartError: toolkit errors raised inside the sketch propagate unchanged (e.g. unknown model).
        """
        values = self.resolve(overrides)
        opts = self.options(seed, frames, fps, size)
        p = Params(values)
        kwargs = {"p": p, **opts}
        from .context import model_defaults

        try:
            with model_defaults(size=opts["size"]):  # --size reaches models that declare a size option
                result = _call(self.function, kwargs)
        except GenartError:
            raise
        except BaseException as exc:  # the user's code (SystemExit too): report it as a sketch error
            if isinstance(exc, KeyboardInterrupt):
                raise
            what = (f"raised SystemExit: sketch called sys.exit({exc.code!r})" if isinstance(exc, SystemExit)
                    else f"raised {type(exc).__name__}: {exc}")
            raise SketchError(f"sketch '{self.name}' {what}{_where(exc, self.path)}",
                              _sketch_traceback(exc, map(str, self.files))) from exc
        clip = _as_clip(result, self.name)
        clip.recipe = {
            "sketch": {"name": self.name, "path": self.path.as_posix(), "sha256": hashlib.sha256(self.source.encode("utf-8")).hexdigest()},
            "params": values,
            "seed": opts["seed"],
            "frames": opts["frames"],
            "fps": opts["fps"],
            "size": opts["size"],
            "source": self.source,
        }
        return clip


def _pairs(overrides: Mapping[str, Any] | Sequence[str] | None) -> list[tuple[str, Any]]:
    if overrides is None:
        return []
    if isinstance(overrides, Mapping):
        return list(overrides.items())
    if isinstance(overrides, str):
        overrides = [overrides]
    out = []
    for item in overrides:
        if not isinstance(item, str) or "=" not in item:
            raise InvalidInputError(f"parameters are given as NAME=VALUE, got {item!r}.")
        name, value = item.split("=", 1)
        out.append((name.strip(), value))
    return out


def _call(fn: Callable[..., Any], kwargs: dict[str, Any]) -> Any:
    sig = inspect.signature(fn)
    args: list[Any] = []
    kw: dict[str, Any] = {}
    accepts_var = any(p.kind is p.VAR_KEYWORD for p in sig.parameters.values())
    first = True
    for name, param in sig.parameters.items():
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if name in kwargs:
            value = kwargs[name]
        elif first and param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            value = kwargs["p"]
        elif param.default is not param.empty:
            first = False
            continue
        else:
            raise SketchError(f"sketch function parameter '{name}' is not one of p, seed, frames, size, fps.")
        first = False
        if param.kind is param.POSITIONAL_ONLY:
            args.append(value)
        else:
            kw[name] = value
    if accepts_var:
        kw.update({k: v for k, v in kwargs.items() if k not in kw and k != "p"})
    return fn(*args, **kw)


def _as_clip(result: Any, name: str) -> Any:
    from .latent.core import Latents
    from .pipeline import Clip

    if isinstance(result, Clip):
        return result
    if isinstance(result, Latents):
        raise SketchError(f"sketch '{name}' returned latents; pipe them into a model: return latents | model.")
    try:
        import torch

        if isinstance(result, torch.Tensor):
            return Clip.from_frames(result)
    except ImportError:  # pragma: no cover
        pass
    raise SketchError(f"sketch '{name}' must return a clip (latents | model | renderers), got {type(result).__name__}.")


def load_sketch(path: str | os.PathLike[str], *, source: str | None = None) -> Sketch:
    """Load a sketch file (or its *source* text, for replays) and read its declarations.

    Args:
        path: the ``.py`` file. A bare name such as ``latent_walk`` also finds ``sketches/latent_walk.py``.
        source: optional source text to run instead of the file's current content.

    Returns:
        a :class:`Sketch`.

    Raises:
        InvalidInputError: no such file, or malformed ``PARAMS`` / ``DEFAULTS``.
        SketchError: the file raised on import or defines no ``sketch`` function.
    """
    p = resolve_path(path) if source is None else Path(path)
    try:
        text = p.read_text(encoding="utf-8") if source is None else source
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInputError(f"cannot read sketch {p}: {exc}") from exc
    try:
        module, local = _exec_module(p, text)
    except GenartError:
        raise
    except BaseException as exc:  # includes SyntaxError and SystemExit from user code
        if isinstance(exc, KeyboardInterrupt):
            raise
        text_of = exc.msg if isinstance(exc, SyntaxError) and exc.msg else exc  # str(SyntaxError) repeats the line
        what = f"SystemExit: sketch called sys.exit({exc.code!r})" if isinstance(exc, SystemExit) else f"{type(exc).__name__}: {text_of}"
        raise SketchError(f"sketch '{p.name}' failed to load: {what}{_where(exc, p)}",
                          _sketch_traceback(exc, [str(p)])) from exc
    fn = getattr(module, "sketch", None)
    if not callable(fn):
        raise SketchError(f"sketch '{p.name}' defines no function `sketch(p, seed, frames, size, fps)` returning a clip.")
    params = getattr(module, "PARAMS", {}) or {}
    if not isinstance(params, Mapping) or not all(isinstance(k, str) and k.isidentifier() for k in params):
        raise InvalidInputError(f"sketch '{p.name}': PARAMS must be a dict {{name: Param(...)}} with identifier names.")
    params = {k: (v if isinstance(v, Param) else Param(v)) for k, v in params.items()}
    reserved = set(params) & {"seed", "frames", "fps", "size"}
    if reserved:
        raise InvalidInputError(f"sketch '{p.name}': parameter names {sorted(reserved)} clash with run options; rename them.")
    defaults = dict(RUN_DEFAULTS)
    declared = getattr(module, "DEFAULTS", {}) or {}
    if not isinstance(declared, Mapping) or set(declared) - set(RUN_DEFAULTS):
        raise InvalidInputError(f"sketch '{p.name}': DEFAULTS may only set {', '.join(RUN_DEFAULTS)}.")
    defaults.update(check_run_options(**declared))
    doc = (module.__doc__ or "").strip()
    title = doc.splitlines()[0].strip() if doc else ""
    files = [p] + sorted(Path(sys.modules[n].__file__) for n in local if getattr(sys.modules.get(n), "__file__", None))  # type: ignore[arg-type]
    return Sketch(path=p, name=p.stem, title=title, doc=doc, params=params, defaults=defaults, function=fn, files=files, source=text)


def resolve_path(path: str | os.PathLike[str]) -> Path:
    """The sketch file for *path*: the path itself, or ``sketches/<name>.py`` for a bare name.

    Raises:
        InvalidInputError: no such file (lists the sketches in ``./sketches`` when there are any).
    """
    p = Path(path).expanduser()
    if p.is_file():
        return p
    for cand in (p.with_suffix(".py"), Path("sketches") / p.name, Path("sketches") / f"{p.name}.py"):
        if cand.is_file():
            return cand
    known = sorted(q.stem for q in Path("sketches").glob("*.py")) if Path("sketches").is_dir() else []
    hint = f" Sketches here: {', '.join(known)}." if known else ""
    raise InvalidInputError(f"sketch file {p} not found.{suggest(p.stem, known)}{hint}")


# ------------------------------------------------------------------------------------------- watching
def _signature(files: Iterable[Path]) -> tuple:
    sig = []
    for f in files:
        try:
            st = os.stat(f)
            sig.append((str(f), st.st_mtime_ns, st.st_size, st.st_ino))
        except OSError:
            sig.append((str(f), None, None, None))
    return tuple(sig)


class Watcher:
    """Re-load and re-render a sketch whenever it or a local module it imports is saved.

    Each change runs ``load_sketch`` + ``Sketch.render`` and calls ``on_clip(clip, sketch)`` (which typically
    saves or previews it). If loading, rendering or ``on_clip`` raises, ``on_error(exc)`` is called and
    :attr:`last_clip` keeps the last good clip; watching continues. Polls file signatures (mtime, size,
    inode — so editors that save by renaming are seen) every *interval* seconds; no extra dependency.

    Args:
        path: the sketch file.
        on_clip: ``on_clip(clip, sketch)`` after each successful render.
        on_error: ``on_error(exc)`` when a run fails (default: log it).
        overrides, seed, frames, fps, size: passed to :meth:`Sketch.render`.
        interval: seconds between polls.
        stop_event: a :class:`threading.Event` that ends :meth:`run` (one is created if omitted).

    Attributes:
        last_clip: the last successful clip (``None`` before the first).
        last_error: the exception of the last failed run (``None`` after a success).
        runs: number of runs so far.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        on_clip: Callable[[Any, Sketch], Any],
        on_error: Callable[[BaseException], Any] | None = None,
        *,
        overrides: Mapping[str, Any] | Sequence[str] | None = None,
        seed: int | None = None,
        frames: int | None = None,
        fps: float | None = None,
        size: int | None = None,
        interval: float = 0.3,
        stop_event: threading.Event | None = None,
    ) -> None:
        self.path = resolve_path(path)
        self.on_clip = on_clip
        self.on_error = on_error or (lambda exc: log.error("%s", exc))
        self.overrides = overrides
        self.render_options = {"seed": seed, "frames": frames, "fps": fps, "size": size}
        self.interval = float(interval)
        self.stop_event = stop_event or threading.Event()
        self.files: list[Path] = [self.path]
        self._signature: tuple | None = None
        self.last_clip: Any = None
        self.last_sketch: Sketch | None = None
        self.last_error: BaseException | None = None
        self.runs = 0
        self._thread: threading.Thread | None = None

    def changed(self) -> bool:
        """Whether a watched file changed since the last run (always True before the first run)."""
        return self._signature != _signature(self.files)

    def poll(self) -> bool:
        """Run once if something changed; return whether a run happened (successful or not)."""
        if not self.changed():
            return False
        # let an editor finish writing: wait until the signature is stable for a moment
        sig = _signature(self.files)
        for _ in range(5):
            time.sleep(0.03)
            again = _signature(self.files)
            if again == sig:
                break
            sig = again
        self.run_once()
        return True

    def run_once(self) -> Any:
        """Load, render and hand the clip to ``on_clip`` now; returns the clip or ``None`` on error."""
        self.runs += 1
        self._signature = _signature(self.files)
        try:
            sketch = load_sketch(self.path)
            self.files = list(dict.fromkeys([self.path, *sketch.files]))
            self._signature = _signature(self.files)
            clip = sketch.render(self.overrides, **self.render_options)
            self.on_clip(clip, sketch)
        except KeyboardInterrupt:
            raise
        except BaseException as exc:  # noqa: BLE001 - keep watching (SystemExit from user code too); report it
            self.last_error = exc
            try:
                self.on_error(exc)
            except Exception:
                log.exception("on_error callback failed")
            return None
        self.last_clip, self.last_sketch, self.last_error = clip, sketch, None
        return clip

    def run(self) -> None:
        """Poll until :attr:`stop_event` is set (blocking; the first run happens immediately)."""
        while not self.stop_event.is_set():
            self.poll()
            self.stop_event.wait(self.interval)

    def start(self) -> threading.Thread:
        """Run :meth:`run` in a daemon thread and return it."""
        if self._thread is not None and self._thread.is_alive():
            return self._thread
        self.stop_event.clear()
        self._thread = threading.Thread(target=self.run, name=f"genart-watch-{self.path.name}", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float | None = 5.0) -> None:
        """Ask the watcher to stop and wait for its thread (if started) to finish the current run."""
        self.stop_event.set()
        if self._thread is not None:
            self._thread.join(timeout)


def watch(
    path: str | os.PathLike[str],
    on_clip: Callable[[Any, Sketch], Any],
    on_error: Callable[[BaseException], Any] | None = None,
    stop_event: threading.Event | None = None,
    **options: Any,
) -> Watcher:
    """Watch a sketch until *stop_event* is set (blocking); see :class:`Watcher`. Returns the watcher.

    To watch in the background instead: ``w = Watcher(path, on_clip, on_error); w.start(); ...; w.stop()``.
    """
    w = Watcher(path, on_clip, on_error, stop_event=stop_event, **options)
    w.run()
    return w
