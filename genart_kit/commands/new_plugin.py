"""``genart new-plugin NAME [--kind KIND] [--dir DIR]``: write a ready plugin package (see :mod:`genart_kit.scaffold`)."""

from __future__ import annotations

import argparse

ORDER = 60

_KINDS = ("model", "renderer", "op", "exporter", "conditioner")


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``new-plugin`` sub-command."""
    p = sub.add_parser(
        "new-plugin",
        help="write a new plugin package (model, renderer, op, exporter or conditioner) with tests",
        description="Write a ready plugin package DIR/NAME: pyproject.toml with the genart_kit entry point, a "
        "working example of the kind, a README and tests using genart-kit's conformance kit. Then "
        "`pip install -e NAME && pytest NAME` passes and `genart plugins` lists it.",
    )
    p.add_argument("name", metavar="NAME", help="distribution name, e.g. genart-sparkle (registers 'sparkle')")
    p.add_argument("--kind", choices=_KINDS, default="model", help="what the example registers (default: model)")
    p.add_argument("--dir", default=".", metavar="DIR", help="folder to create NAME in (default: the current one)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Write the package and print what to do next."""
    from ..scaffold import create

    target, names = create(args.name, args.kind, args.dir)
    print(f"Wrote {target}/: a genart-kit plugin registering the {args.kind} '{names.part}'.")
    print("Next:")
    print(f"  pip install -e {target}")
    print(f"  python -m pytest {target}     # pytest: pip install pytest (or genart-kit[dev])")
    print("  genart plugins")
    return 0
