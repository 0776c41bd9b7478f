"""Choosing an exporter from a file name or format name, and writing through it."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ..errors import PluginError, unknown_name


def _entries() -> list[tuple[str, Any, tuple[str, ...]]]:
    """``(name, exporter-or-entry, suffixes)`` for every registered exporter (built-ins if no registry)."""
    try:
        from ..registry import get_registry

        reg = get_registry()
        return [(e.name, e, tuple(s.lower() for s in e.meta.get("suffixes", ()))) for e in reg.entries("exporter")]
    except ImportError:  # pragma: no cover - registry not importable
        from .plugin import BUILTIN_EXPORTERS

        return [(name, loader, suffixes) for name, loader, _d, suffixes in BUILTIN_EXPORTERS]


def writer_of(entry: Any) -> Any:
    """The writer of an exporter registry entry, by :meth:`Registry.load`'s rule (a class is instantiated).

    Raises:
        PluginError: the loader does not resolve, or what it gives has no ``write`` (it is not a
            :class:`~genart_kit.contracts.Exporter`).
    """
    from ..contracts import Exporter

    writer = entry.load()
    if not isinstance(writer, Exporter):
        raise PluginError(f"exporter '{entry.name}' of plugin '{entry.plugin}' gives {type(writer).__name__} "
                          f"{writer!r:.60}, which has no write(path, batches, *, fps, ...); the plugin must register "
                          "a writer (see docs/writing-plugins.md).")
    return writer


def _resolve(obj: Any) -> Any:
    """The writer of a registry entry (:func:`writer_of`), of a ``"module:attr"`` string, or *obj* itself.

    Raises:
        PluginError: see :func:`writer_of`; a ``"module:attr"`` that does not resolve.
    """
    from ..registry import Entry

    if isinstance(obj, Entry):
        return writer_of(obj)
    if isinstance(obj, str):
        from ..plugins import import_object

        return import_object(obj)
    return obj


def find_exporter(path: str | os.PathLike[str], format: str | None = None) -> Any:
    """Return the exporter object (with ``.write``) for *path*, or for the exporter named *format*.

    Without *format* the file name decides: the longest registered suffix that the name ends with
    (case-insensitive) wins, so ``x.gif`` -> ``gif``, ``x.png`` -> ``apng``, ``x.json`` -> ``spritesheet``;
    a name without a suffix, or an existing folder, is a PNG sequence.

    Raises:
        UnknownNameError: no exporter of that name, or none for that suffix (the message lists them).
    """
    entries = _entries()
    if format is not None:
        for name, obj, _s in entries:
            if name == format.lower():
                return _resolve(obj)
        raise unknown_name("exporter", format, [n for n, _o, _s in entries], hint="`genart list exporters` shows them.")
    p = Path(os.fspath(path))
    name = p.name.lower()
    suffix = p.suffix.lower()
    best = None
    for _name, obj, suffixes in entries:
        for s in suffixes:
            if s and name.endswith(s) and (best is None or len(s) > len(best[0])):
                best = (s, obj)
    if best is not None:
        return _resolve(best[1])
    if not suffix or p.is_dir() or str(path).endswith(("/", os.sep)):
        for _n, obj, suffixes in entries:
            if "" in suffixes:
                return _resolve(obj)
    supported = sorted({s for _n, _o, ss in entries for s in ss if s})
    raise unknown_name("file suffix", suffix or "(none)", supported, hint="Pick an output name with one of these suffixes, or pass format=.")


def write(path: str | os.PathLike[str], batches: Iterable[Any], *, fps: float, format: str | None = None, **options: Any) -> Path:
    """Write *batches* (uint8 ``[B, H, W, C]``) with the exporter chosen by :func:`find_exporter`.

    ``options`` go to the exporter's ``write`` (``total_frames``, ``recipe``, and format options such as GIF
    ``dither``/``colors``/``max_bytes``). Returns the written path.
    """
    from .._options import check_options
    from ..errors import InvalidInputError

    raw = os.fspath(path) if isinstance(path, os.PathLike) else path
    if not isinstance(raw, str):
        raise InvalidInputError(f"output path must be a str or pathlib.Path, got {type(path).__name__}; pass e.g. 'out.gif'.")
    if "\x00" in raw:
        raise InvalidInputError(f"output path {raw!r} contains a NUL character; remove it.")
    if not raw.strip():
        raise InvalidInputError("output path is empty; pass a file name such as 'out.gif'.")
    exporter = find_exporter(path, format)
    check_options(f"exporter for '{path}'", exporter.write, options)
    return exporter.write(path, batches, fps=fps, **options)
