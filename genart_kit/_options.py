"""Check keyword options against a callable's signature, with a clear InvalidInputError."""

from __future__ import annotations

import inspect
from typing import Any

from .errors import InvalidInputError, suggest


def check_options(what: str, fn: Any, options: dict[str, Any], *, skip: tuple[str, ...] = ()) -> None:
    """Raise InvalidInputError naming unknown keys of *options* and listing the ones *fn* accepts."""
    target = fn.__init__ if isinstance(fn, type) else fn
    try:
        sig = inspect.signature(target)
    except (TypeError, ValueError):
        return
    params = sig.parameters.values()
    if any(p.kind is p.VAR_KEYWORD for p in params):
        return
    valid = sorted(p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
                   and p.name not in ("self", "path", "batches", *skip))
    bad = [k for k in options if k not in valid]
    if bad:
        listed = ", ".join(valid) if valid else "(none)"
        raise InvalidInputError(f"{what} has no option '{bad[0]}'.{suggest(bad[0], valid)} Valid options: {listed}.")
