"""``genart new-plugin``: write a ready plugin package from the templates in ``templates/``.

For ``genart new-plugin genart-sparkle --kind renderer`` the package is::

    genart-sparkle/
      pyproject.toml              entry point  sparkle = "genart_sparkle.plugin"  in the group genart_kit
      README.md                   install, use, test, publish
      src/genart_sparkle/__init__.py
      src/genart_sparkle/plugin.py     the @hookimpl registration (torch-free: listings stay fast)
      src/genart_sparkle/renderer.py   a working example of the kind (model.py, op.py, ...)
      tests/test_genart_sparkle.py     the conformance kit's contract plus the example's own checks

``pip install -e genart-sparkle && pytest genart-sparkle`` passes at once and ``genart plugins`` lists it.
The names: distribution ``genart-sparkle``; module ``genart_sparkle``; the registered part and the entry
point ``sparkle`` (the name without a ``genart-`` prefix). Nothing here imports torch.
"""

from __future__ import annotations

import keyword
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from string import Template

from ..errors import InvalidInputError

__all__ = ["KINDS", "Names", "names_for", "create"]

#: the kinds of part a new plugin can start with (the example module is ``<kind>.py``)
KINDS = ("model", "renderer", "op", "exporter", "conditioner")

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9]*(?:[-_][A-Za-z0-9]+)*$")


@dataclass(frozen=True)
class Names:
    """The names a plugin package uses, derived from the one the user gives.

    Attributes:
        dist: distribution name for pip and PyPI (``genart-sparkle``).
        module: import name (``genart_sparkle``).
        part: registered name of the example part, also the entry-point name (``sparkle``).
        func: the part as a Python identifier (``sparkle``; ``my_look`` for ``my-look``).
        title: the part in CamelCase, for class names (``Sparkle``).
        suffix: the example exporter's file suffix (``.sparkle``).
    """

    dist: str
    module: str
    part: str
    func: str
    title: str
    suffix: str


def names_for(name: str, kind: str = "model") -> Names:
    """Check *name* and derive the package's names from it.

    Raises:
        InvalidInputError: not a valid distribution name (letters, digits, single ``-``/``_`` between them,
            starting with a letter), a Python keyword, a module that is importable already, genart-kit's own
            name, or a part name taken by a built-in part of that *kind* (or its file suffix).
    """
    if kind not in KINDS:
        raise InvalidInputError(f"unknown plugin kind '{kind}'; choose one of: {', '.join(KINDS)}.")
    if not isinstance(name, str) or not _NAME.match(name):
        raise InvalidInputError(
            f"invalid plugin name {name!r}: use letters and digits, with single '-' or '_' between words, starting "
            "with a letter (e.g. genart-sparkle).")
    module = name.lower().replace("-", "_")
    part = re.sub(r"^genart[-_]", "", name.lower()) or module
    if module in ("genart_kit", "genart") or part in ("kit", ""):
        raise InvalidInputError(f"'{name}' is genart-kit's own name; call your plugin e.g. genart-sparkle.")
    func = part.replace("-", "_")
    if keyword.iskeyword(module) or keyword.iskeyword(func):
        raise InvalidInputError(f"'{name}' gives the Python keyword '{func}'; pick another name.")
    from importlib.util import find_spec

    try:
        spec = find_spec(module)
    except (ImportError, ValueError):
        spec = None
    if spec is not None:
        where = spec.origin or (list(spec.submodule_search_locations or []) or ["?"])[0]
        raise InvalidInputError(f"a module named '{module}' is importable already ({where}); pick another name "
                                "(or uninstall the old package).")
    names = Names(dist=name, module=module, part=part, func=func,
                  title="".join(w.capitalize() for w in re.split(r"[-_]", part)), suffix="." + re.sub(r"[-_]", "", part))
    _check_builtin_clash(names, kind)
    return names


def _check_builtin_clash(names: Names, kind: str) -> None:
    from ..plugins import BUILTIN_PLUGINS, PluginManager
    from ..registry import Registry

    if names.part in BUILTIN_PLUGINS:
        raise InvalidInputError(f"the entry-point name '{names.part}' is reserved for genart-kit's built-in parts; "
                                "pick another plugin name.")
    builtins = Registry(PluginManager(entry_points=[], environment=False))
    if names.part in builtins.names(kind):
        raise InvalidInputError(f"'{names.part}' is a built-in {kind} of genart-kit; pick another plugin name.")
    if kind == "exporter":
        taken = {s for e in builtins.entries("exporter") for s in e.meta.get("suffixes", ())}
        if names.suffix in taken:
            raise InvalidInputError(f"the file suffix '{names.suffix}' belongs to a built-in exporter; pick another name.")


def _render(template: str, names: Names, kind: str) -> str:
    text = resources.files(__name__).joinpath("templates", template).read_text(encoding="utf-8")
    from .. import __version__
    from ..registry import KINDS as HOOKS

    usage = resources.files(__name__).joinpath("templates", f"usage_{kind}.md.tmpl").read_text(encoding="utf-8")
    fields = dict(dist=names.dist, module=names.module, part=names.part, func=names.func, title=names.title,
                  suffix=names.suffix, kind=kind, hook=HOOKS[kind][0], kit_version=__version__)
    return Template(text).substitute(fields, usage=Template(usage).substitute(fields))


def create(name: str, kind: str = "model", parent: str | os.PathLike[str] = ".") -> tuple[Path, Names]:
    """Write the plugin package *name* of *kind* into ``parent / name``; return that folder and the names.

    The package appears whole or not at all: it is written into a temporary folder next to the target, then
    renamed into place.

    Raises:
        InvalidInputError: a bad name or kind (see :func:`names_for`); *parent* is not a folder; the target
            exists and is not an empty folder.
    """
    names = names_for(name, kind)
    parent = Path(parent).expanduser()
    if not parent.is_dir():
        raise InvalidInputError(f"--dir '{parent}' is not an existing folder; create it first.")
    target = parent / name
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise InvalidInputError(f"'{target}' exists and is not empty; remove it or choose another name or --dir.")
    files = {
        "pyproject.toml": "pyproject.toml",
        "README.md": "README.md",
        f"src/{names.module}/__init__.py": "package_init.py",
        f"src/{names.module}/plugin.py": f"plugin_{kind}.py",
        f"src/{names.module}/{kind}.py": f"{kind}.py",
        f"tests/test_{names.module}.py": f"test_{kind}.py",
    }
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.", suffix=".part", dir=parent))
    try:
        for rel, template in files.items():
            out = tmp / rel
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(_render(template + ".tmpl", names, kind), encoding="utf-8")
        if target.exists():
            target.rmdir()
        tmp.chmod(0o777 & ~_umask())
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target, names


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
