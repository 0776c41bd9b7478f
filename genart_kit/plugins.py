"""Plugin discovery, validation and isolation (pluggy).

How plugins are found, in order:

0. **Built-in parts** (:data:`BUILTIN_PLUGINS`: the latent ops, renderers, exporters and datasets of the
   core) are always registered, through the same hooks, whatever ``GENART_LOAD_PLUGINS`` says and whether
   or not the package is installed (as llm registers its default plugins), so restricting plugins never
   removes the GIF exporter or the colour maps.
1. **Installed plugins**: every entry point in the group ``genart_kit`` (first-party plugins use the same
   mechanism). ``GENART_LOAD_PLUGINS`` restricts them: unset = all, empty = none, ``a,b`` = only those
   (an unknown name is reported as an error entry).
2. **Local plugin files**: every ``*.py`` file in the folders given by ``--plugins-dir DIR`` or the
   ``GENART_PLUGINS_DIR`` environment variable (``os.pathsep``-separated).

Each plugin is isolated: one that fails to import, fails validation (a ``@hookimpl`` whose name matches no
hookspec, or whose arguments are not in the spec), or whose hook raises, is recorded with
``status="error"`` and a one-line reason and skipped; the others load normally. ``--strict`` (or
``GENART_STRICT_PLUGINS=1``) turns such problems into a non-zero exit, for plugin authors.

``GENART_TRACE_PLUGINS=1`` logs every hook call (plugin, hook, arguments, duration) to stderr.

Time is bounded too: a plugin's import and its hook calls run in a worker thread, and together may take at
most ``GENART_PLUGIN_TIMEOUT`` seconds (default :data:`DEFAULT_TIMEOUT_S`; ``0``: no bound). A plugin still
running when its time is up (a ``time.sleep`` at import, a hook waiting on the network) is abandoned (its
thread goes on as a daemon, contributes nothing and prints only to stderr) and reported like any broken
plugin; the command goes on. A Ctrl-C while plugins load stops the command; a plugin that raises
``KeyboardInterrupt`` or ``SystemExit`` itself stays isolated. (A plugin that holds the interpreter lock, in a
C call that never releases it, cannot be bounded from another thread.)
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.metadata as md
import importlib.util
import logging
import os
import queue
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pluggy

from . import hookspecs
from .errors import InvalidInputError, PluginError

log = logging.getLogger(__name__)

GROUP = "genart_kit"
ENV_LOAD = "GENART_LOAD_PLUGINS"
ENV_DIRS = "GENART_PLUGINS_DIR"
ENV_TRACE = "GENART_TRACE_PLUGINS"
ENV_STRICT = "GENART_STRICT_PLUGINS"
ENV_TIMEOUT = "GENART_PLUGIN_TIMEOUT"

DEFAULT_TIMEOUT_S = 30.0
"""Seconds one plugin's import and hook calls may take together, unless ``GENART_PLUGIN_TIMEOUT`` says otherwise
(a plugin that imports torch at its top level takes 2-10 s; a light one milliseconds)."""

HOOK_NAMES = tuple(name for name in dir(hookspecs) if name.startswith("register_"))

#: the core's own parts: plugin name -> module, registered before anything else (never by entry point)
BUILTIN_PLUGINS: dict[str, str] = {
    "ops": "genart_kit.latent.plugin",
    "renderers": "genart_kit.render.plugin",
    "exporters": "genart_kit.export.plugin",
    "datasets": "genart_kit.training.plugin",
}


def source_checkout_entry_points() -> list[md.EntryPoint]:
    """The ``genart_kit`` entry points declared by the source checkout this package runs from, when the
    ``genart-kit`` distribution is not installed (``python -m genart_kit`` in a fresh clone): read from the
    checkout's ``pyproject.toml``, with its ``plugins/`` folder put on ``sys.path``. Empty when installed,
    when there is no such file, or when it cannot be read (Python 3.10 without ``tomli``)."""
    try:
        md.distribution("genart-kit")
        return []
    except md.PackageNotFoundError:
        pass
    root = Path(__file__).resolve().parent.parent
    pyproject = root / "pyproject.toml"
    if not pyproject.is_file():
        return []
    try:
        try:
            import tomllib
        except ModuleNotFoundError:  # pragma: no cover - Python 3.10
            import tomli as tomllib  # type: ignore[no-redef]
        table = tomllib.loads(pyproject.read_text(encoding="utf-8"))
    except Exception as exc:  # noqa: BLE001 - a checkout we cannot read is simply not used
        log.debug("cannot read %s: %s", pyproject, exc)
        return []
    declared = (table.get("project", {}).get("entry-points", {}) or {}).get(GROUP, {}) or {}
    folder = root / "plugins"
    if folder.is_dir() and str(folder) not in sys.path:
        sys.path.append(str(folder))
    return [md.EntryPoint(name=str(k), value=str(v), group=GROUP) for k, v in declared.items()
            if str(k) not in BUILTIN_PLUGINS]


def plugin_timeout() -> float | None:
    """The bound on one plugin's import and hooks, in seconds, from ``GENART_PLUGIN_TIMEOUT``.

    Returns:
        :data:`DEFAULT_TIMEOUT_S` when the variable is unset or empty, ``None`` (no bound) for ``0``.

    Raises:
        InvalidInputError: the value is not a finite number of seconds >= 0.
    """
    raw = os.environ.get(ENV_TIMEOUT, "").strip()
    if not raw:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not 0 <= value < float("inf"):
        raise InvalidInputError(f"{ENV_TIMEOUT}={raw!r} is not a number of seconds; set it to e.g. "
                                f"{DEFAULT_TIMEOUT_S:g} (0: no bound) or unset it.")
    return None if value == 0 else value


class _StillRunning(Exception):
    """The bounded call was still running when its time was up (its thread goes on, abandoned)."""


_ABANDONED: set[threading.Thread] = set()


class _AbandonedToStderr:
    """``sys.stdout`` stand-in installed once a plugin thread is abandoned: what that thread prints later goes
    to stderr (stdout may be a ``--json`` stream); every other thread writes to the real stdout."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def write(self, text: str) -> int:
        """Write *text* to stderr from an abandoned plugin thread, to the real stdout otherwise."""
        return (sys.stderr if threading.current_thread() in _ABANDONED else self._real).write(text)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class _Worker:
    """One daemon thread that runs plugin calls one at a time (reused: a thread per call costs ~10x more)."""

    def __init__(self) -> None:
        self.calls: queue.SimpleQueue[tuple[Callable[[], Any], dict[str, Any], threading.Event]] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._loop, name="genart-plugins", daemon=True)
        self.thread.start()

    def _loop(self) -> None:
        while True:
            fn, box, done = self.calls.get()
            try:
                box["value"] = fn()
            except BaseException as exc:  # noqa: BLE001 - handed to the caller, which isolates the plugin
                box["error"] = exc
            finally:
                done.set()


_worker: _Worker | None = None
_worker_lock = threading.Lock()


def _bounded_call(fn: Callable[[], Any], seconds: float | None) -> tuple[Any, BaseException | None]:
    """Run *fn* on the plugin worker thread, its stdout sent to stderr, and wait at most *seconds* (``None``: no
    bound). Calls from several threads run one after the other.

    Returns:
        ``(result, None)``, or ``(None, exc)`` when *fn* raised (any ``BaseException``: a plugin's own
        ``KeyboardInterrupt`` or ``SystemExit`` stays the plugin's).

    Raises:
        _StillRunning: *fn* was still running after *seconds*; the worker is abandoned (a new one serves the
            next call).
        KeyboardInterrupt: the user pressed Ctrl-C while waiting (only the waiting thread gets SIGINT).
    """
    global _worker
    done = threading.Event()
    box: dict[str, Any] = {}
    with _worker_lock:
        if _worker is None:
            _worker = _Worker()
        finished = False
        try:
            with contextlib.redirect_stdout(sys.stderr):  # what a plugin prints goes to stderr
                _worker.calls.put((fn, box, done))
                finished = done.wait(seconds)
        finally:
            if not finished:  # past the bound, or Ctrl-C: the busy worker serves no later call
                _ABANDONED.add(_worker.thread)
                _worker = None
                if not isinstance(sys.stdout, _AbandonedToStderr):
                    sys.stdout = _AbandonedToStderr(sys.stdout)
        if not finished:
            raise _StillRunning
    return box.get("value"), box.get("error")


@dataclass
class PluginInfo:
    """What ``genart plugins`` shows about one plugin.

    Attributes:
        name: entry-point name (installed) or file stem (local).
        version: distribution version, the module's ``__version__``, or ``"local"``.
        source: ``"entry point <value> (<dist>)"`` or the local file's path.
        hooks: names of the hooks it implements.
        status: ``"ok"`` or ``"error"``.
        error: one-line reason when ``status == "error"``.
        detail: full traceback text for ``--debug``.
        load_ms: import time in milliseconds.
    """

    name: str
    version: str = ""
    source: str = ""
    hooks: list[str] = field(default_factory=list)
    status: str = "ok"
    error: str = ""
    detail: str = ""
    load_ms: float = 0.0

    def fail(self, reason: str, detail: str = "") -> None:
        """Mark this plugin as broken with a one-line *reason* (the first error wins)."""
        if self.status != "error":
            self.status = "error"
            self.error = " ".join(reason.split())
            self.detail = detail

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict (``detail`` omitted)."""
        return {
            "name": self.name,
            "version": self.version,
            "source": self.source,
            "hooks": list(self.hooks),
            "status": self.status,
            "error": self.error or None,
            "load_ms": round(self.load_ms, 1),
        }


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or "(no message)"
    return f"{type(exc).__name__}: {text}"


def _env_list(value: str) -> list[str]:
    return [part for part in value.replace(",", " ").split() if part]


class PluginManager:
    """Loads and validates plugins; calls their hooks one plugin at a time so a failure stays local.

    Args:
        plugins_dirs: extra folders of local ``*.py`` plugin files (added to ``GENART_PLUGINS_DIR``).
        load: restrict installed plugins to these names; ``None`` reads ``GENART_LOAD_PLUGINS``.
        trace: log every hook call; ``None`` reads ``GENART_TRACE_PLUGINS``.
        entry_points: override the entry points to load (tests); default: the ``genart_kit`` group.
        plugins: plugin objects or modules (with ``@hookimpl`` functions) registered directly, after the
            built-ins; each is named by its ``__name__`` (or its type's name).
        builtins: register the toolkit's built-in parts (:data:`BUILTIN_PLUGINS`, source ``"built-in"``).
        environment: read ``GENART_LOAD_PLUGINS`` / ``GENART_PLUGINS_DIR``; ``False`` for isolated registries.
    """

    def __init__(
        self,
        plugins_dirs: list[str | os.PathLike[str]] | None = None,
        *,
        load: list[str] | None = None,
        trace: bool | None = None,
        entry_points: list[md.EntryPoint] | None = None,
        plugins: list[Any] | None = None,
        builtins: bool = True,
        environment: bool = True,
    ) -> None:
        self.pm = pluggy.PluginManager(hookspecs.PROJECT)
        self.pm.add_hookspecs(hookspecs)
        self.infos: dict[str, PluginInfo] = {}
        self._plugins: dict[str, Any] = {}
        self.timeout = plugin_timeout()
        self._budget: dict[str, float | None] = {}  # plugin -> seconds left for its import and hooks
        if trace is None:
            trace = os.environ.get(ENV_TRACE, "") not in ("", "0", "false", "no")
        if trace:
            self._enable_trace()
        self._environment = environment
        env_dirs = [d for d in os.environ.get(ENV_DIRS, "").split(os.pathsep) if d] if environment else []
        from ._version import __version__

        if builtins:
            for name, module in BUILTIN_PLUGINS.items():
                self._register(name, lambda module=module: importlib.import_module(module), version=__version__,
                               source=f"built-in ({module})")
        for obj in plugins or []:
            obj_name = str(getattr(obj, "__name__", None) or type(obj).__name__)
            self._register(obj_name, lambda obj=obj: obj, version="local", source=f"object {obj_name}")
        self._load_entry_points(load, entry_points)
        seen: set[str] = set()
        for folder in [*env_dirs, *(plugins_dirs or [])]:
            key = os.path.realpath(folder)
            if key not in seen:  # the same folder named twice (GENART_PLUGINS_DIR and --plugins-dir) loads once
                seen.add(key)
                self._load_folder(Path(folder))

    # ------------------------------------------------------------------------------------- discovery
    def _load_entry_points(self, load: list[str] | None, eps: list[md.EntryPoint] | None) -> None:
        if eps is None:
            eps = list(md.entry_points(group=GROUP)) or source_checkout_entry_points()
        # an older install may still declare the built-in parts as entry points: they are registered already
        eps = [ep for ep in eps if not (ep.name in BUILTIN_PLUGINS and ep.value == BUILTIN_PLUGINS[ep.name])]
        if load is None and self._environment and ENV_LOAD in os.environ:
            load = _env_list(os.environ[ENV_LOAD])
        seen: set[str] = set()
        for ep in sorted(eps, key=lambda e: e.name):
            if ep.name in BUILTIN_PLUGINS:
                info = PluginInfo(name=f"{ep.name} ({ep.value})", source=f"entry point {ep.value}")
                info.fail(f"plugin name '{ep.name}' is reserved for genart-kit's built-in parts; rename the entry point")
                self.infos[info.name] = info
                continue
            if ep.name in seen:  # the same distribution visible twice on sys.path
                continue
            seen.add(ep.name)
            if load is not None and ep.name not in load:
                continue
            dist = getattr(ep, "dist", None)
            version = getattr(dist, "version", "") or ""
            dist_name = (getattr(dist, "name", None) or getattr(dist, "metadata", {}).get("Name", "")) if dist else ""
            source = f"entry point {ep.value}" + (f" ({dist_name})" if dist_name else "")
            self._register(ep.name, ep.load, version=version, source=source)
        if load is not None:
            for name in load:
                if name not in seen and name not in BUILTIN_PLUGINS:
                    info = PluginInfo(name=name, source=f"{ENV_LOAD}")
                    available = ", ".join(sorted(seen)) or "(none installed)"
                    info.fail(f"no installed plugin named '{name}' ({ENV_LOAD}); installed: {available}")
                    self.infos[name] = info

    def _load_folder(self, folder: Path) -> None:
        if not folder.is_dir():
            info = PluginInfo(name=str(folder), source=str(folder))
            what = "is a file, not a folder" if folder.exists() else "does not exist"
            info.fail(f"plugins folder '{folder}' {what}; give a folder of *.py plugin files to --plugins-dir / {ENV_DIRS}")
            self.infos[str(folder)] = info
            return
        for path in sorted(folder.glob("*.py")):
            if path.name.startswith("_"):
                continue

            def load(path: Path = path) -> Any:
                # Imported under its own name, with its folder on sys.path, so that "module:attr" loaders
                # and imports of sibling helper modules work exactly as for an installed plugin.
                modname = path.stem
                existing = sys.modules.get(modname)
                if existing is not None and getattr(existing, "__file__", None) != str(path):
                    raise PluginError(
                        f"local plugin file {path} has the same name as the module '{modname}' "
                        f"({getattr(existing, '__file__', 'built in')}); rename the file"
                    )
                if str(path.parent) not in sys.path:
                    sys.path.append(str(path.parent))
                spec = importlib.util.spec_from_file_location(modname, path)
                assert spec is not None and spec.loader is not None
                module = importlib.util.module_from_spec(spec)
                sys.modules[modname] = module
                try:
                    spec.loader.exec_module(module)
                except BaseException:
                    sys.modules.pop(modname, None)
                    raise
                return module

            self._register(path.stem, load, version="local", source=str(path))

    def _register(self, name: str, load: Callable[[], Any], *, version: str, source: str) -> None:
        if name in self.infos:
            first = self.infos[name].source
            info = PluginInfo(name=f"{name} ({source})", version=version, source=source)
            info.fail(f"plugin name '{name}' is used twice: by {first} and by {source}; rename one")
            self.infos[info.name] = info
            return
        info = PluginInfo(name=name, version=version, source=source)
        self.infos[name] = info
        self._budget[name] = None if source.startswith("built-in") else self.timeout
        t0 = time.perf_counter()
        try:
            plugin, exc = self._timed(name, load)
        except _StillRunning:
            info.load_ms = (time.perf_counter() - t0) * 1000
            info.fail(f"still importing after {self.timeout:g} s, the time a plugin's import and hooks may take "
                      f"together; it was abandoned: make its import lighter (heavy work belongs in its loaders) or "
                      f"raise {ENV_TIMEOUT} (seconds)")
            log.warning("plugin %s: %s", name, info.error)
            return
        info.load_ms = (time.perf_counter() - t0) * 1000
        if exc is not None:  # even SystemExit/KeyboardInterrupt from a plugin stays local
            info.fail(f"failed to import: {_one_line(exc)}", "".join(traceback.format_exception(exc)))
            log.warning("plugin %s failed to import: %s", name, _one_line(exc))
            return
        if version in ("", "local"):
            info.version = str(getattr(plugin, "__version__", version or "unknown"))
        try:
            self.pm.register(plugin, name=name)
        except pluggy.PluginValidationError as exc:
            info.fail(f"invalid hook implementation: {_one_line(exc)}", traceback.format_exc())
            return
        except ValueError as exc:  # the same module registered under two names
            info.fail(f"could not register: {_one_line(exc)}", traceback.format_exc())
            return
        unknown = [
            impl.function.__name__
            for caller in (self.pm.get_hookcallers(plugin) or [])
            if not caller.has_spec()
            for impl in caller.get_hookimpls()
            if impl.plugin is plugin and not impl.optionalhook
        ]
        if unknown:
            self.pm.unregister(plugin)
            hooks = ", ".join(HOOK_NAMES)
            info.fail(
                f"@hookimpl {', '.join(repr(u) for u in unknown)} matches no hookspec (misspelt?); "
                f"valid hooks: {hooks}"
            )
            return
        info.hooks = sorted(c.name for c in (self.pm.get_hookcallers(plugin) or []))
        self._plugins[name] = plugin

    # ------------------------------------------------------------------------------------------ calls
    def call_each(self, hook_name: str, make_kwargs: Callable[[str], dict[str, Any]]) -> None:
        """Call hook *hook_name* on each healthy plugin separately, isolating failures.

        Args:
            hook_name: a name from :mod:`genart_kit.hookspecs`.
            make_kwargs: ``plugin_name -> kwargs`` for that plugin's call (e.g. a ``register`` callback
                that knows which plugin is registering).

        A plugin whose hook raises is marked ``error`` (with the hook name and a one-line reason).
        """
        for name in list(self._plugins):
            if self.infos[name].status != "ok" or hook_name not in self.infos[name].hooks:
                continue
            others = [p for n, p in self._plugins.items() if n != name]
            call = self.pm.subset_hook_caller(hook_name, others)
            kwargs = make_kwargs(name)
            try:
                _, exc = self._timed(name, lambda call=call, kwargs=kwargs: call(**kwargs))  # bound now: the worker may outlive the loop
            except _StillRunning:
                self.infos[name].fail(
                    f"hook {hook_name} still running when the plugin's {self.timeout:g} s (import and hooks together) "
                    f"ran out; it was abandoned: make the hook return quickly or raise {ENV_TIMEOUT} (seconds)")
                log.warning("plugin %s: %s", name, self.infos[name].error)
                continue
            if exc is not None:  # isolation is the point, sys.exit() included
                self.infos[name].fail(f"hook {hook_name} raised {_one_line(exc)}", "".join(traceback.format_exception(exc)))
                log.warning("plugin %s: hook %s raised %s", name, hook_name, _one_line(exc))

    def _timed(self, name: str, fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
        """:func:`_bounded_call` within what is left of plugin *name*'s time, which it then uses up.

        Raises:
            _StillRunning: the plugin's time ran out (none is left for its later calls either).
        """
        left = self._budget.get(name)
        t0 = time.perf_counter()
        try:
            return _bounded_call(fn, None if left is None else max(left, 0.0))
        finally:
            if left is not None:
                self._budget[name] = left - (time.perf_counter() - t0)

    def problems(self) -> list[PluginInfo]:
        """Plugins with ``status == "error"``."""
        return [i for i in self.infos.values() if i.status != "ok"]

    def plugin(self, name: str) -> Any:
        """The registered plugin object called *name*.

        Raises:
            PluginError: no healthy plugin of that name.
        """
        if name not in self._plugins:
            raise PluginError(f"no loaded plugin named '{name}'; see `genart plugins`.")
        return self._plugins[name]

    def _enable_trace(self) -> None:
        """Log every hook call to stderr through pluggy's hook-call monitoring."""
        trace_log = logging.getLogger("genart_kit.trace")
        if not trace_log.handlers:
            handler = logging.StreamHandler(sys.stderr)
            handler.setFormatter(logging.Formatter("[genart trace] %(message)s"))
            trace_log.addHandler(handler)
            trace_log.setLevel(logging.DEBUG)
            trace_log.propagate = False
        starts: list[float] = []

        def before(hook_name: str, impls: list[Any], kwargs: dict[str, Any]) -> None:
            starts.append(time.perf_counter())
            names = ", ".join(i.plugin_name for i in impls)
            trace_log.debug("call %s(%s) -> plugins: %s", hook_name, ", ".join(kwargs), names)

        def after(outcome: Any, hook_name: str, impls: list[Any], kwargs: dict[str, Any]) -> None:
            ms = (time.perf_counter() - starts.pop()) * 1000 if starts else 0.0
            status = "ok" if outcome.exception is None else f"raised {_one_line(outcome.exception)}"
            trace_log.debug("done %s in %.1f ms: %s", hook_name, ms, status)

        self.pm.add_hookcall_monitoring(before, after)


def import_object(ref: str) -> Any:
    """Resolve ``"package.module:attr.sub"`` to the object it names.

    Raises:
        PluginError: the module cannot be imported or the attribute does not exist.
    """
    module_name, _, attr = ref.partition(":")
    try:
        obj: Any = importlib.import_module(module_name)
    except ImportError as exc:
        raise PluginError(f"cannot import '{module_name}' (from loader '{ref}'): {_one_line(exc)}") from exc
    for part in filter(None, attr.split(".")):
        try:
            obj = getattr(obj, part)
        except AttributeError as exc:
            raise PluginError(f"loader '{ref}': module '{module_name}' has no attribute '{attr}'.") from exc
    return obj
