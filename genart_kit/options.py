"""Declared options: how a plugin says which keyword options its model (or other part) takes.

A model registration lists its options with its cheap metadata, so ``genart train`` and ``genart sample``
build their command-line flags from them and every caller gets the same checks, whatever the plugin::

    from genart_kit import hookimpl
    from genart_kit.options import Option

    @hookimpl
    def register_models(register):
        register("cppn", "genart_cppn.model:load", description="random CPPN", latent_dim=8,
                 image_shape=(3, None, None), ready=True,
                 options=[Option("size", int, 256, "output side in pixels", min=8, max=4096),
                          Option("hidden", int, 32, "hidden units per layer", min=1, max=1024)])

This module imports no torch (it is read by listings and ``--help``).
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Mapping, Sequence

from .errors import InvalidInputError, suggest

__all__ = ["Option", "check_option_values", "options_from_meta", "strided_image_shape"]

_TYPES = (int, float, bool, str, tuple)


@dataclass(frozen=True)
class Option:
    """One keyword option of a registered part.

    Attributes:
        name: Python identifier (``"latent_dim"``); its command-line flag is ``--latent-dim``.
        type: ``int``, ``float``, ``bool`` (a switch on the command line), ``str`` or ``tuple`` (a sequence
            of integers such as an image shape ``(C, H, W)``; not offered on the command line).
        default: the value when the option is left out (``None``: the part's own default applies).
        help: one line for ``--help`` and ``genart list``.
        min, max: inclusive range for ``int`` / ``float`` options (``None``: unbounded).
        choices: the allowed values, when the option takes one of a few.
        train_only: only meaningful when training (``genart sample`` does not offer it).
        cli: offered as a ``genart train`` flag (``False`` for options the toolkit fills in, e.g. the image
            shape a dataset gives).
        validate: optional ``validate(value) -> reason or None`` for rules a range cannot say.

    Raises:
        InvalidInputError: (at construction) a name that is not an identifier, or an unsupported type.
    """

    name: str
    type: type = int
    default: Any = None
    help: str = ""
    min: float | None = None
    max: float | None = None
    choices: tuple[Any, ...] | None = None
    train_only: bool = False
    cli: bool = True
    validate: Callable[[Any], str | None] | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise InvalidInputError(f"option name must be a Python identifier such as 'latent_dim', got {self.name!r}.")
        if self.type not in _TYPES:
            raise InvalidInputError(f"option '{self.name}': type must be one of int, float, bool, str; got {self.type!r}.")
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(self.choices))

    @property
    def flag(self) -> str:
        """The command-line flag: ``--latent-dim`` for ``latent_dim``."""
        return "--" + self.name.replace("_", "-")

    def check(self, value: Any, where: str = "option") -> Any:
        """Return *value* checked against the option's type, range and choices (``None`` passes only for an
        option whose default is ``None``).

        Integers accept ``int`` and numpy integers, not bools nor ``1.5`` nor ``"2"``; floats any finite real
        number; bools ``True``/``False`` (numpy bools too); strings ``str``.

        Raises:
            InvalidInputError: ``"{where} width=1.5 (expected an integer)"``.
        """
        name = f"{where} {self.name}={value!r}"
        if value is None:
            if self.default is None:
                return None
            raise InvalidInputError(f"{name} (expected a value: this option has no 'none'; its default is {self.default!r})")
        if self.type is bool:
            if isinstance(value, bool) or (type(value).__module__ == "numpy" and type(value).__name__ in ("bool", "bool_")):
                return bool(value)
            raise InvalidInputError(f"{name} (expected true or false)")
        if self.type is int:
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                raise InvalidInputError(f"{name} (expected an integer)")
            value = int(value)
        elif self.type is float:
            if not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(float(value)):
                raise InvalidInputError(f"{name} (expected a finite number)")
            value = float(value)
        elif self.type is tuple:
            if hasattr(value, "tolist"):
                value = value.tolist()
            if not isinstance(value, (list, tuple)) or not all(
                    isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in value):
                raise InvalidInputError(f"{name} (expected a sequence of integers)")
            value = tuple(int(v) for v in value)
        elif not isinstance(value, str):
            raise InvalidInputError(f"{name} (expected a string)")
        if self.validate is not None:
            reason = self.validate(value)
            if reason:
                raise InvalidInputError(f"{name} ({reason})")
        if self.choices is not None and value not in self.choices:
            raise InvalidInputError(f"{name} (expected one of {', '.join(map(repr, self.choices))})")
        if self.type in (int, float):
            lo = -math.inf if self.min is None else self.min
            hi = math.inf if self.max is None else self.max
            if not lo <= value <= hi:
                raise InvalidInputError(f"{name} (expected {_fmt(self.min)}..{_fmt(self.max)})")
        return value

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready description (``genart list models --json``)."""
        default = list(self.default) if isinstance(self.default, tuple) else self.default
        return {"name": self.name, "type": self.type.__name__, "default": default, "help": self.help,
                "min": self.min, "max": self.max, "choices": list(self.choices) if self.choices else None,
                "train_only": self.train_only, "cli": self.cli}


def _fmt(x: float | None) -> str:
    return "" if x is None else f"{x:g}"


def options_from_meta(meta: Mapping[str, Any]) -> tuple[Option, ...]:
    """The declared :class:`Option` s of a registry entry's metadata (``meta["options"]``; empty when none)."""
    return tuple(meta.get("options") or ())


def check_option_values(options: Mapping[str, Any], declared: Sequence[Option] | Iterable[Option], *,
                        what: str, where: str = "option", allow_unknown: bool = False) -> dict[str, Any]:
    """Check *options* against *declared*: unknown names get "did you mean", known ones :meth:`Option.check`.

    Args:
        options: name -> value.
        declared: the part's declared options.
        what: the part, for messages (``"model 'cppn'"``).
        where: prefix of value errors (``"model option"``, ``"checkpoint 'x' has an invalid model_config:"``).
        allow_unknown: keep names that are not declared (left to the part itself).

    Returns:
        a new dict of the given, checked values.

    Raises:
        InvalidInputError: an unknown option (with close names and the full list) or a bad value.
    """
    table = {o.name: o for o in declared}
    out: dict[str, Any] = {}
    for key, value in options.items():
        opt = table.get(key)
        if opt is None:
            if allow_unknown:
                out[key] = value
                continue
            valid = ", ".join(sorted(table)) or "(none)"
            raise InvalidInputError(f"{what} has no option '{key}'.{suggest(key, table)} Valid options: {valid}.")
        out[key] = opt.check(value, where)
    return out


def strided_image_shape(channels: Sequence[int] = (1, 3), max_size: int = 512) -> Callable[[Any], str | None]:
    """A ``validate`` for an ``image_shape`` option of a network that halves (or doubles) the side at every
    stride-2 layer: square ``(C, S, S)`` with C in *channels* and ``S = base * 2**k`` (base 4..7, k >= 1,
    S <= *max_size*): 28, 32, 64, 128, ... (what DCGAN-style encoders and decoders can build)."""

    def check(shape: Any) -> str | None:
        if len(shape) != 3:
            return "expected [C, H, W]"
        c, h, w = shape
        n, s = 0, h
        while s > 7 and s % 2 == 0:
            s //= 2
            n += 1
        if c not in channels or h != w or not (0 < h <= max_size and n >= 1 and 4 <= s <= 7):
            return (f"expected C in {tuple(channels)} and a square side such as 28, 32, 64, 128 "
                    f"(base*2**k with base 4..7, at most {max_size})")
        return None

    return check
