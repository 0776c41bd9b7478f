"""``genart plugins``: every plugin with its version, hooks, source and status."""

from __future__ import annotations

import argparse

ORDER = 10


def add_parser(sub: argparse._SubParsersAction) -> None:
    """Register the ``plugins`` sub-command."""
    p = sub.add_parser(
        "plugins",
        help="list plugins: name, version, hooks, source, status",
        description="List every plugin (installed entry points in the 'genart_kit' group and local plugin "
        "files), with its status: ok, or error with the reason. Broken plugins are skipped; the rest work.",
    )
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    """Print the plugin table (or JSON); exit 0 even when some plugins are broken (``--strict`` fails)."""
    from ..registry import get_registry
    from ._output import print_json, print_table

    infos = list(get_registry().plugins.infos.values())
    if args.json:
        print_json([i.as_dict() for i in infos])
        return 0
    if not infos:
        print("No plugins loaded (is GENART_LOAD_PLUGINS set to an empty value?).")
        return 0
    rows = [
        (i.name, i.version, i.status, ",".join(h.removeprefix("register_") for h in i.hooks) or "-", i.source)
        for i in infos
    ]
    print_table(["name", "version", "status", "hooks", "source"], rows)
    broken = [i for i in infos if i.status != "ok"]
    for info in broken:
        print(f"\n{info.name}: error: {info.error}")
        if args.debug and info.detail:
            print(info.detail)
    return 0
