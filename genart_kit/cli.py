"""The ``genart`` command.

Sub-commands live one per module in :mod:`genart_kit.commands`; each module defines ``ORDER``,
``add_parser(sub)`` and a ``handle(args) -> int`` set as the parser's default ``handler``. Nothing here (nor in
the command modules' top level) imports torch, so ``genart --help`` and listings stay fast.

Errors from the toolkit (:class:`~genart_kit.errors.GenartError`) print as one line on stderr and exit 1;
``--debug`` prints the traceback too. Ctrl-C exits 130.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import pkgutil
import sys
import traceback
from typing import Any, NoReturn, Sequence

from . import __version__
from .errors import GenartError


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line (``genart: error: ...``) with a pointer to ``--help``, and no
    abbreviated options (``--over`` is not silently taken as ``--overwrite``)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> "NoReturn":  # type: ignore[override]
        self.exit(2, f"genart: error: {message} (see `{self.prog} --help`)\n")


def build_parser() -> argparse.ArgumentParser:
    """The full argument parser, with every sub-command found in :mod:`genart_kit.commands`."""
    from . import commands

    parser = _Parser(
        prog="genart",
        description="Generative art with neural networks: models, latent animations, GIF export.",
        epilog="Run `genart COMMAND --help` for a command's options. Docs: README.md.",
    )
    parser.add_argument("--version", action="version", version=f"genart-kit {__version__}")
    parser.add_argument("--debug", action="store_true", help="show full tracebacks and debug logging")
    parser.add_argument(
        "--strict",
        action="store_true",
        help="fail (exit 2) if any plugin failed to load or validate (for plugin authors)",
    )
    parser.add_argument(
        "--plugins-dir",
        action="append",
        default=[],
        metavar="DIR",
        help="also load every *.py plugin file in DIR (repeatable; env GENART_PLUGINS_DIR)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    modules = []
    for info in pkgutil.iter_modules(commands.__path__):
        if info.name.startswith("_"):
            continue
        modules.append(importlib.import_module(f"{commands.__name__}.{info.name}"))
    for module in sorted(modules, key=lambda m: (getattr(m, "ORDER", 100), m.__name__)):
        module.add_parser(sub)
    return parser


def _report_plugin_problems(strict: bool) -> int:
    from .registry import get_registry

    registry = get_registry()
    if strict:
        registry.verify_loaders()
    problems = registry.plugins.problems()
    if problems and strict:
        for info in problems:
            print(f"genart: plugin '{info.name}': {info.error}", file=sys.stderr)
        print(f"genart: {len(problems)} plugin problem(s) (--strict)", file=sys.stderr)
        return 2
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``genart`` console script; returns the exit status."""
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra and not getattr(args, "takes_extra_args", False):
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    args.extra = extra  # a command that builds flags at run time (genart train MODEL ...) parses them itself
    logging.basicConfig(
        level=logging.DEBUG if args.debug else logging.WARNING,
        format="genart: %(levelname)s: %(message)s" if not args.debug else "%(name)s: %(levelname)s: %(message)s",
    )
    if not args.debug:
        # Broken plugins are reported by `genart plugins`; don't repeat it on every command.
        logging.getLogger("genart_kit.plugins").setLevel(logging.ERROR)
    try:
        if args.plugins_dir:
            from .registry import configure

            configure(args.plugins_dir)
        if args.strict and (status := _report_plugin_problems(strict=True)):
            return status
        if getattr(args, "handler", None) is None:
            parser.print_help()
            return 0
        return int(args.handler(args) or 0)
    except GenartError as exc:
        if args.debug:
            traceback.print_exc()
        print(f"genart: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("genart: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # `genart list models | head`
        return 0


def run() -> None:
    """Console-script wrapper: ``sys.exit(main())``."""
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    run()
