"""Lazy package attributes (PEP 562): a package names its public objects and the submodule of each, and
the submodule (with torch, numpy or Pillow behind it) is imported only when a name is first used."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Iterable, Mapping


def lazy_attributes(package: str, names: Mapping[str, str], namespace: dict[str, Any], *,
                    registered: str | None = None,
                    make: Callable[[str], Any] | None = None,
                    submodules: Iterable[str] = ()) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for *package*: the one lazy-attribute mechanism of the toolkit.

    Args:
        package: the package's ``__name__``.
        names: public name -> submodule (relative to *package*) that defines it.
        submodules: names of submodules that are attributes themselves (``ga.latent``), imported on first use.
        namespace: the package's ``globals()``; a resolved name is cached there.
        registered: a registry kind (``"renderer"``, ``"op"``): names no submodule defines are looked up
            among that kind's registered entries (a plugin's ``kaleidoscope`` renderer becomes
            ``ga.render.kaleidoscope``; ``-`` in a registered name reads as ``_``), and ``dir()`` lists them.
        make: ``make(registered_name) -> object`` for such a name (required with *registered*).

    Raises (from the returned ``__getattr__``):
        AttributeError: *name* is neither one of *names* nor registered.
    """

    def _registered() -> dict[str, str]:
        if registered is None:
            return {}
        from .registry import get_registry

        return {n.replace("-", "_"): n for n in get_registry().names(registered) if n.replace("-", "_").isidentifier()}

    subs = frozenset(submodules)

    def __getattr__(name: str) -> Any:
        if name in subs:
            return importlib.import_module(f"{package}.{name}")  # the import system caches it on the package
        module = names.get(name)
        if module is None and registered is not None and make is not None and not name.startswith("_"):
            entry = _registered().get(name)
            if entry is not None:
                return make(entry)  # not cached: the registry can be rebuilt (registry.reset())
        if module is None:
            raise AttributeError(f"module '{package}' has no attribute '{name}'")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        extra: Iterable[str] = ()
        try:
            extra = _registered()
        except Exception:  # noqa: BLE001 - dir() must never fail because a plugin did
            extra = ()
        return sorted(set(namespace) | set(names) | subs | set(extra))

    return __getattr__, __dir__
