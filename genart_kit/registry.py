"""Catalogues of everything plugins contribute: models, ops, renderers, exporters, conditioners, datasets.

An :class:`Entry` carries cheap metadata and a *loader* (a ``"module:attr"`` string or a callable) that is
only imported when the entry is used, so listing never imports torch. The registry is built once per
process from the plugins (see :mod:`genart_kit.plugins`) and reached as ``ga.registry`` or
:func:`get_registry`.

Two plugins registering the same name of the same kind is an error naming both: the name is withdrawn
(using it raises :class:`~genart_kit.errors.PluginError`) and both plugins are reported. A name that is
not a usable name (:func:`check_name`) marks its plugin ``error`` at registration.

Besides the parts, the registry collects the sub-commands plugins add to ``genart``
(``register_commands``, :attr:`Registry.commands`) and the names they add to sketches and the REPL
(``register_namespace``: kind ``"name"``, :meth:`Registry.namespace`).
"""

from __future__ import annotations

import builtins
import contextlib
import keyword
import logging
import threading
from dataclasses import dataclass, field
from typing import Any, Callable, Iterator, Mapping

from ._text import clean_text
from .errors import InvalidInputError, PluginError, unknown_name
from .plugins import PluginManager, import_object

log = logging.getLogger(__name__)

#: kind -> (hook name, plural used on the command line)
KINDS: dict[str, tuple[str, str]] = {
    "model": ("register_models", "models"),
    "op": ("register_ops", "ops"),
    "renderer": ("register_renderers", "renderers"),
    "exporter": ("register_exporters", "exporters"),
    "conditioner": ("register_conditioners", "conditioners"),
    "dataset": ("register_datasets", "datasets"),
    "name": ("register_namespace", "names"),  # names added to the sketch/REPL namespace
}
PLURALS = {plural: kind for kind, (_, plural) in KINDS.items()}

#: the longest registered name, in characters
MAX_NAME = 100
#: namespace names the toolkit itself provides (a plugin cannot take them)
RESERVED_NAMES = frozenset({"ga", "registry"})


def check_name(name: object, kind: str = "model") -> str | None:
    """Why *name* cannot be registered as a *kind*, or ``None`` when it can.

    A name is a string of 1..:data:`MAX_NAME` characters with no whitespace at either end, no control
    character (NUL, newline, tab, DEL...: Unicode category ``Cc``), no invisible or unprintable one (format
    characters such as U+202E or U+200B, unpaired surrogates, private-use or unassigned code points, line and
    paragraph separators) and no path separator (``/``, ``\\``): names end up in file names, recipes,
    tables and shell commands, and must read as written. A ``"name"`` (a namespace name) must also be a
    Python identifier that does not start with ``_`` and is neither a keyword nor a Python builtin.

    Args:
        name: the name a plugin passed to ``register``.
        kind: one of :data:`KINDS`.

    Returns:
        a one-line reason (``"contains '/'"``), or ``None``.
    """
    import unicodedata

    if not isinstance(name, str):
        return f"is a {type(name).__name__}, not a string"
    if not name.strip():
        return "is empty" if not name else "is only whitespace"
    if len(name) > MAX_NAME:
        return f"is {len(name)} characters long (at most {MAX_NAME})"
    if name != name.strip():
        return "starts or ends with whitespace"
    bad = next((c for c in name if unicodedata.category(c) == "Cc"), None)
    if bad is not None:
        return f"contains the control character {bad!r}"
    hidden = next((c for c in name if unicodedata.category(c) in ("Cf", "Cs", "Co", "Cn", "Zl", "Zp")), None)
    if hidden is not None:  # invisible, direction-changing, unpaired or unassigned: names must read as written
        return f"contains the invisible or unprintable character U+{ord(hidden):04X}"
    for sep in ("/", "\\"):
        if sep in name:
            return f"contains the path separator {sep!r}"
    if kind == "name":
        if not name.isidentifier() or name.startswith("_"):
            return "is not a Python identifier without a leading '_'"
        if keyword.iskeyword(name) or keyword.issoftkeyword(name) or hasattr(builtins, name):
            return "is a Python keyword or builtin"
        if name in RESERVED_NAMES:
            return "is a name genart-kit gives every sketch and session"
    return None



@dataclass(frozen=True)
class Entry:
    """One registered contribution.

    Attributes:
        name: unique name within its kind (``"vae-mnist"``, ``"slerp"``, ``"gif"``).
        kind: one of :data:`KINDS`.
        plugin: name of the plugin that registered it.
        loader: ``"module:attr"`` or a callable; see :mod:`genart_kit.hookspecs` for what it returns.
        description: one line for listings.
        meta: cheap metadata (for models: ``latent_dim``, ``image_shape``, ``conditional``,
            ``num_classes``, ``ready`` (samples without a checkpoint; ``pretrained`` is the older spelling),
            ``trainable``; for exporters: ``suffixes``).
    """

    name: str
    kind: str
    plugin: str
    loader: Any
    description: str = ""
    meta: Mapping[str, Any] = field(default_factory=dict)

    def resolve(self) -> Any:
        """Import and return the loader object itself (a function, class or factory), uncalled.

        Raises:
            PluginError: the loader's module cannot be imported or lacks the attribute.
        """
        if isinstance(self.loader, str):
            return import_object(self.loader)
        return self.loader

    def load(self, *args: Any, **kwargs: Any) -> Any:
        """The ready-to-use object, by its kind's rule: see :meth:`Registry.load`."""
        return load_entry(self, *args, **kwargs)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready dict of the cheap metadata (the loader as its reference string; declared options as
        :meth:`genart_kit.options.Option.as_dict` dicts; tuples as lists)."""
        loader = self.loader if isinstance(self.loader, str) else f"{getattr(self.loader, '__module__', '?')}:{getattr(self.loader, '__qualname__', repr(self.loader))}"
        meta = {k: _json_meta(v) for k, v in self.meta.items()}
        return {"name": self.name, "kind": self.kind, "plugin": self.plugin, "description": self.description, "loader": loader, **meta}


def _json_meta(value: Any) -> Any:
    """A meta value as JSON-ready data: :class:`~genart_kit.options.Option` s as dicts, tuples as lists."""
    from .options import Option

    if isinstance(value, Option):
        return value.as_dict()
    if isinstance(value, (list, tuple)):
        return [_json_meta(v) for v in value]
    return value


class Registry:
    """All catalogues, built from a :class:`~genart_kit.plugins.PluginManager`.

    Args:
        manager: the plugin manager whose hooks fill the catalogues (a default one when ``None``).

    Attributes:
        plugins: the plugin manager (``plugins.problems()``: the plugins that failed, with reasons).
        commands: sub-command name -> :class:`genart_kit.plugin_commands.PluginCommand`, the commands
            healthy plugins add to ``genart`` (``register_commands``).
    """

    def __init__(self, manager: PluginManager | None = None) -> None:
        self.plugins = manager if manager is not None else PluginManager()
        self._entries: dict[str, dict[str, Entry]] = {kind: {} for kind in KINDS}
        self._collisions: dict[tuple[str, str], list[str]] = {}
        self._suffixes: dict[str, Entry] = {}
        self._suffix_collisions: dict[str, str] = {}
        # Phase 1: call every hook of every plugin, staging what each registers.
        staged: dict[str, list[Entry]] = {}
        for kind, (hook, _) in KINDS.items():
            self.plugins.call_each(hook, lambda plugin, kind=kind: {"register": self._make_register(kind, plugin, staged)})
        from .plugin_commands import collect_commands, make_register_command

        staged_commands: dict[str, list[Any]] = {}
        self.plugins.call_each("register_commands",
                               lambda plugin: {"register": make_register_command(plugin, self.plugins.infos[plugin],
                                                                                 staged_commands)})
        # Phase 2: keep only the contributions of plugins whose every hook succeeded.
        from .plugins import BUILTIN_PLUGINS

        order = sorted(staged, key=lambda name: name not in BUILTIN_PLUGINS)  # built-ins first: their names stay
        for plugin, entries in ((name, staged[name]) for name in order):
            if self.plugins.infos[plugin].status == "ok":
                for entry in entries:
                    self._add(entry)
        # A plugin marked error while its parts were added (a name a built-in or another plugin has) keeps
        # nothing: no parts, no names, no commands, so what works never depends on where the error was.
        failed = {p for p in staged if self.plugins.infos[p].status != "ok"}
        for table in self._entries.values():
            for name in [n for n, e in table.items() if e.plugin in failed]:
                del table[name]
        for suffix in [x for x, e in self._suffixes.items() if e.plugin in failed]:
            del self._suffixes[suffix]
        self.commands = collect_commands(staged_commands, self.plugins.infos)

    def _make_register(self, kind: str, plugin: str, staged: dict[str, list[Entry]]) -> Callable[..., Entry]:
        def register(name: str, loader: Any, *, description: str = "", **meta: Any) -> Entry:
            """Register *name* with *loader* (``"module:attr"`` or a callable) and cheap metadata.

            Raises:
                InvalidInputError: a bad name (:func:`check_name`) or loader; the plugin is marked ``error``
                    with the reason, so none of its parts is registered even if it catches the error.
            """
            reason = check_name(name, kind)
            if reason is not None:
                shown = repr(name) if not isinstance(name, str) or len(name) <= 40 else repr(name[:40]) + "..."
                message = (f"plugin '{plugin}' registered a {kind} with the name {shown}, which {reason}; "
                           f"give it a name of 1..{MAX_NAME} characters without control characters or '/' or '\\'")
                if kind == "name":
                    message = (f"plugin '{plugin}' registered the namespace name {shown}, which {reason}; "
                               "give it a Python identifier that is not a keyword, a builtin or '_'-prefixed")
                self.plugins.infos[plugin].fail(message)
                raise InvalidInputError(message + ".")
            if kind == "name" and not isinstance(loader, str):
                pass  # any object can be a namespace value
            elif not (isinstance(loader, str) and ":" in loader) and not callable(loader):
                raise InvalidInputError(
                    f"plugin '{plugin}' registered {kind} '{name}' with loader {loader!r}; "
                    "pass 'package.module:attribute' or a callable."
                )
            if kind == "exporter":
                meta["suffixes"] = _check_suffixes(plugin, name, meta.get("suffixes", ()))
            entry = Entry(name=name, kind=kind, plugin=plugin, loader=loader, description=clean_text(description), meta=dict(meta))
            staged.setdefault(plugin, []).append(entry)
            return entry

        return register

    def _add(self, entry: Entry) -> None:
        from .plugins import BUILTIN_PLUGINS

        table = self._entries[entry.kind]
        builtin = table.get(entry.name)
        if builtin is not None and builtin.plugin in BUILTIN_PLUGINS and entry.plugin not in BUILTIN_PLUGINS:
            # a plugin cannot take a built-in part's name: the built-in stays, the plugin is told to rename
            self.plugins.infos[entry.plugin].fail(
                f"{entry.kind} name '{entry.name}' is a built-in {entry.kind} of genart-kit; rename yours")
            return
        if entry.kind == "exporter":
            owners = [self._suffixes[x] for x in entry.meta["suffixes"] if x in self._suffixes]
            taken = [o for o in owners if o.plugin in BUILTIN_PLUGINS and entry.plugin not in BUILTIN_PLUGINS]
            if taken:
                self.plugins.infos[entry.plugin].fail(
                    f"exporter '{entry.name}' claims the file suffix of the built-in exporter '{taken[0].name}'; "
                    "pick other suffixes")
                return
            for suffix in entry.meta["suffixes"]:
                owner = self._suffixes.setdefault(suffix, entry)
                if owner.plugin != entry.plugin:
                    shown = suffix or "(no suffix)"
                    reason = (
                        f"exporters '{owner.name}' (plugin '{owner.plugin}') and '{entry.name}' (plugin '{entry.plugin}') "
                        f"both claim the file suffix '{shown}'; uninstall or disable one (GENART_LOAD_PLUGINS)"
                    )
                    self._suffix_collisions[suffix] = reason
                    self.plugins.infos[owner.plugin].fail(reason)
                    self.plugins.infos[entry.plugin].fail(reason)
        kind, name, table = entry.kind, entry.name, self._entries[entry.kind]
        key = (kind, name)
        if key in self._collisions:
            self._collisions[key].append(entry.plugin)
        elif name in table:
            self._collisions[key] = [table.pop(name).plugin, entry.plugin]
        else:
            table[name] = entry
            return
        owners = self._collisions[key]
        reason = (
            f"{kind} name '{name}' is registered by plugins {' and '.join(repr(o) for o in owners)}; "
            "uninstall or disable one (GENART_LOAD_PLUGINS)"
        )
        for owner in owners:
            self.plugins.infos[owner].fail(reason)

    # ------------------------------------------------------------------------------------------ access
    @staticmethod
    def _kind(kind: str) -> str:
        kind = PLURALS.get(kind, kind)
        if kind not in KINDS:
            raise unknown_name("kind", kind, [*KINDS, *PLURALS])
        return kind

    def names(self, kind: str) -> list[str]:
        """Sorted names registered for *kind* (``"model"`` or ``"models"``, ...)."""
        return sorted(self._entries[self._kind(kind)])

    def entries(self, kind: str) -> list[Entry]:
        """Entries of *kind*, sorted by name."""
        table = self._entries[self._kind(kind)]
        return [table[n] for n in sorted(table)]

    def __iter__(self) -> Iterator[Entry]:
        for kind in KINDS:
            yield from self.entries(kind)

    def get(self, kind: str, name: str) -> Entry:
        """The entry *name* of *kind*.

        Raises:
            UnknownNameError: no such name (the message lists close names and all choices).
            PluginError: two plugins registered that name.
        """
        kind = self._kind(kind)
        if not isinstance(name, str):
            raise InvalidInputError(f"{kind} name must be a string, got {type(name).__name__} {name!r}.")
        if (kind, name) in self._collisions:
            owners = self._collisions[(kind, name)]
            raise PluginError(
                f"{kind} '{name}' is registered by plugins {' and '.join(repr(o) for o in owners)}; "
                "uninstall or disable one of them (GENART_LOAD_PLUGINS)."
            )
        table = self._entries[kind]
        if name not in table:
            hint = f"See `genart list {KINDS[kind][1]}`."
            broken = [i.name for i in self.plugins.problems()]
            if broken:
                hint += f" Plugins that failed to load: {', '.join(broken)} (see `genart plugins`)."
            raise unknown_name(kind, name, table, hint=hint)
        return table[name]

    def load(self, kind: str, name: str, *args: Any, **kwargs: Any) -> Any:
        """The ready-to-use object *name* of *kind*, the same way for every kind:

        * ``model``, ``renderer``, ``conditioner``, ``dataset``: the loader is a factory, called with the
          arguments (models: ``checkpoint=``, ``device=`` and their options; renderers: their options);
        * ``op``: the op function itself (``load("op", "slerp")``), with any arguments bound
          (:func:`functools.partial`);
        * ``exporter``: the writer object (``write(path, batches, *, fps, ...)``); a class is instantiated
          with the arguments;
        * ``name`` (a namespace name): the object itself, uncalled.

        Raises:
            UnknownNameError / PluginError: see :meth:`get`; whatever the factory raises for bad options.
        """
        return load_entry(self.get(kind, name), *args, **kwargs)

    def namespace(self) -> dict[str, Any]:
        """The names plugins add to sketches and the REPL (``register_namespace``): name -> object.

        A name whose ``"module:attr"`` does not resolve is left out with a warning, and marks its plugin
        ``error`` (as ``--strict`` would); the other names are still given.
        """
        out: dict[str, Any] = {}
        for entry in self.entries("name"):
            try:
                out[entry.name] = entry.resolve()
            except Exception as exc:  # noqa: BLE001 - one plugin's broken name must not break a sketch
                reason = f"namespace name '{entry.name}': loader '{entry.loader}' does not resolve ({exc})"
                self.plugins.infos[entry.plugin].fail(reason)
                log.warning("plugin %s: %s", entry.plugin, reason)
        return out

    def find_exporter(self, suffix: str) -> Entry:
        """The exporter whose ``meta["suffixes"]`` contains *suffix* (``".gif"``; case-insensitive).

        Raises:
            UnknownNameError: no exporter handles that suffix (the message lists the supported ones).
        """
        suffix = suffix.lower()
        if suffix in self._suffix_collisions:
            raise PluginError(self._suffix_collisions[suffix] + ".")
        supported: list[str] = []
        for entry in self.entries("exporter"):
            suffixes = [s.lower() for s in entry.meta.get("suffixes", ())]
            if suffix in suffixes:
                return entry
            supported.extend(s or "(no suffix: a folder of PNGs)" for s in suffixes)
        raise unknown_name("file suffix", suffix or "(none)", supported, hint="Pick an output file name with one of these suffixes.")

    def verify_loaders(self) -> list[tuple[Entry, str]]:
        """Resolve every ``"module:attr"`` loader now (``--strict``); an entry whose loader points at nothing
        marks its plugin ``error`` with the reason. Importing the loaders' modules may import torch: only
        ``--strict`` pays for it, listings stay lazy.

        Returns:
            ``[(entry, reason), ...]`` for the loaders that failed.
        """
        failed: list[tuple[Entry, str]] = []
        for entry in self:
            if not isinstance(entry.loader, str):
                continue
            try:
                entry.resolve()
            except Exception as exc:  # noqa: BLE001 - any import failure of a plugin's module is its problem
                reason = f"{entry.kind} '{entry.name}': loader '{entry.loader}' does not resolve ({exc})"
                failed.append((entry, reason))
                self.plugins.infos[entry.plugin].fail(reason)
        return failed

    def collisions(self) -> dict[tuple[str, str], list[str]]:
        """``(kind, name) -> [plugin, plugin, ...]`` for every name registered more than once."""
        return dict(self._collisions)


def model_ready(meta: Mapping[str, Any]) -> bool:
    """Whether a registered model gives a real picture without a checkpoint: meta ``ready`` (shipped weights or
    a procedural model); the older ``pretrained`` is read as the same; neither given means ready."""
    if "ready" in meta:
        return bool(meta["ready"])
    return meta.get("pretrained") is not False


def model_status(meta: Mapping[str, Any]) -> str:
    """What a model is, in terms that fit every kind: ``"ready"`` or ``"needs checkpoint"``, plus
    ``", trainable"`` when ``genart train`` can train it."""
    return ("ready" if model_ready(meta) else "needs checkpoint") + (", trainable" if meta.get("trainable") else "")


def load_entry(entry: Entry, *args: Any, **kwargs: Any) -> Any:
    """:meth:`Registry.load` for one entry (the per-kind rule lives here, once)."""
    obj = entry.resolve()
    if entry.kind == "name":
        if args or kwargs:
            raise InvalidInputError(f"namespace name '{entry.name}' is an object, not a factory: load it without arguments.")
        return obj
    if entry.kind == "op":
        if args or kwargs:
            import functools

            return functools.partial(obj, *args, **kwargs)
        return obj
    if entry.kind == "exporter" and not isinstance(obj, type):
        if args or kwargs:
            raise InvalidInputError(f"exporter '{entry.name}' is an object, not a factory: pass its options to "
                                    "write() / clip.save(), not to load().")
        return obj
    if not callable(obj):
        return obj  # a ready conditioner or dataset object
    return obj(*args, **kwargs)


def _check_suffixes(plugin: str, name: str, suffixes: Any) -> tuple[str, ...]:
    """Validate an exporter's ``suffixes`` meta: strings like ``".gif"`` (or ``""`` for folders)."""
    if isinstance(suffixes, str):
        suffixes = (suffixes,)
    try:
        items = tuple(suffixes)
    except TypeError:
        items = (suffixes,)
    bad = [s for s in items if not isinstance(s, str) or (s and (not s.startswith(".") or len(s) < 2 or "/" in s))]
    if bad:
        raise InvalidInputError(
            f"plugin '{plugin}' registered exporter '{name}' with invalid suffixes {bad!r}; "
            "pass strings such as '.gif' ('' for a folder output)."
        )
    return tuple(s.lower() for s in items)


_lock = threading.Lock()
_registry: Registry | None = None
_plugins_dirs: list[str] = []


def configure(plugins_dirs: list[str] | None = None) -> None:
    """Set extra local plugin folders (``--plugins-dir``) and drop the cached registry."""
    global _registry, _plugins_dirs
    with _lock:
        _plugins_dirs = list(plugins_dirs or [])
        _registry = None


def get_registry() -> Registry:
    """The process-wide registry, built on first use (thread-safe)."""
    global _registry
    if _registry is None:
        with _lock:
            if _registry is None:
                _registry = Registry(PluginManager(_plugins_dirs))
    return _registry


@contextlib.contextmanager
def isolated(*plugins: Any, builtins: bool = True) -> Iterator[Registry]:
    """Install a registry built only from *plugins* (plus the built-ins) as the process-wide one.

    For tests and the conformance kit: no entry points, no ``GENART_LOAD_PLUGINS`` / ``GENART_PLUGINS_DIR``
    are read. Inside the block :func:`get_registry`, ``ga.model``, ``ga.render.get``... use it; the previous
    registry is restored afterwards (even on error)::

        with registry.isolated(my_plugin) as reg:
            assert "my-model" in reg.names("models")

    Args:
        *plugins: modules or objects with ``@hookimpl`` functions.
        builtins: also register the toolkit's built-in ops, renderers, exporters and datasets.

    Yields:
        the isolated :class:`Registry` (check ``reg.plugins.problems()`` for plugins that failed).
    """
    global _registry
    reg = Registry(PluginManager(entry_points=[], plugins=list(plugins), builtins=builtins, environment=False))
    with _lock:
        previous, _registry = _registry, reg
    try:
        yield reg
    finally:
        with _lock:
            _registry = previous


def reset() -> None:
    """Forget the cached registry (tests, or after installing a plugin in a running REPL)."""
    global _registry
    with _lock:
        _registry = None


# Module-level shortcuts, so ``ga.registry.get("model", "vae-mnist")`` reads naturally in sketches and the REPL.


def get(kind: str, name: str) -> Entry:
    """``get_registry().get(kind, name)``: see :meth:`Registry.get`."""
    return get_registry().get(kind, name)


def names(kind: str) -> list[str]:
    """``get_registry().names(kind)``: sorted names of *kind* (``"models"``, ``"renderers"``, ...)."""
    return get_registry().names(kind)


def entries(kind: str) -> list[Entry]:
    """``get_registry().entries(kind)``: entries of *kind* sorted by name."""
    return get_registry().entries(kind)


def load(kind: str, name: str, *args: Any, **kwargs: Any) -> Any:
    """``get_registry().load(kind, name, ...)``: the ready-to-use object (see :meth:`Registry.load`)."""
    return get_registry().load(kind, name, *args, **kwargs)


def namespace() -> dict[str, Any]:
    """``get_registry().namespace()``: name -> object for the names plugins add to sketches and the REPL."""
    return get_registry().namespace()


def find_exporter(suffix: str) -> Entry:
    """``get_registry().find_exporter(suffix)``: the exporter for a file suffix such as ``".gif"``."""
    return get_registry().find_exporter(suffix)
