"""Lazy package attributes (PEP 562): a package names its public objects and the submodule of each, and
the submodule (with torch, numpy or Pillow behind it) is imported only when a name is first used."""

from __future__ import annotations

import importlib
from typing import Any, Callable, Mapping


def lazy_attributes(package: str, names: Mapping[str, str], namespace: dict[str, Any]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """Return ``(__getattr__, __dir__)`` for *package*.

    Args:
        package: the package's ``__name__``.
        names: public name -> submodule (relative to *package*) that defines it.
        namespace: the package's ``globals()``; a resolved name is cached there.

    Raises (from the returned ``__getattr__``):
        AttributeError: *name* is not one of *names*.
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            raise AttributeError(f"module '{package}' has no attribute '{name}'")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
