"""Tab completion for the REPL: Python names, attributes, registry names inside strings, colon commands.

* Python: names in the session namespace, builtins and keywords; ``obj.attr`` after resolving ``obj`` by
  plain name/attribute lookups only (no calls, no subscripts; properties of non-module objects are not
  evaluated), so completing never runs user code.
* Registry names inside string arguments: ``ga.model("`` offers the models, and likewise
  ``op("``/``renderer("``/``exporter("``/``conditioner("``/``dataset("``, ``reg.get("renderer", "``,
  ``reg.names("`` (the kinds), ``format="`` (exporters), ``encoder="`` (conditioners) and ``colormap("`` (matplotlib's colour maps).
* Colon commands (``:wa`` → ``:watch``) and their arguments (files, loop names, sub-commands).

Run it with prompt_toolkit's ``ThreadedCompleter`` so a slow lookup (e.g. a lazy submodule import) never
blocks typing.
"""

from __future__ import annotations

import builtins
import inspect
import keyword
import re
import types
from collections.abc import Callable, Iterable
from typing import Any

from prompt_toolkit.completion import CompleteEvent, Completer, Completion, PathCompleter
from prompt_toolkit.document import Document

__all__ = ["ReplCompleter", "KINDS", "string_argument_kind"]

KINDS = ("model", "op", "renderer", "exporter", "conditioner", "dataset")

# func( [ "kind", ] "prefix      (cursor inside the last string literal)
_STRING_ARG = re.compile(
    r"(?P<func>[A-Za-z_][\w.]*)\(\s*(?:(?P<kq>[\"'])(?P<kind>\w+)(?P=kq)\s*,\s*)?(?P<q>[\"'])(?P<prefix>[^\"'\\\n]*)$"
)
_FORMAT_KW = re.compile(r"\bformat\s*=\s*(?P<q>[\"'])(?P<prefix>[^\"'\\\n]*)$")
_ENCODER_KW = re.compile(r"\bencoder\s*=\s*(?P<q>[\"'])(?P<prefix>[^\"'\\\n]*)$")  # ga.prompt(..., encoder="
_DOTTED = re.compile(r"(?<![\w.])(?P<obj>[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*)\.(?P<attr>\w*)$")
_NAME = re.compile(r"(?<![\w.])(?P<name>[A-Za-z_]\w*)$")

_FUNC_KIND = {
    "model": "model", "models": "model",
    "op": "op", "ops": "op",
    "renderer": "renderer", "renderers": "renderer",
    "exporter": "exporter", "exporters": "exporter",
    "conditioner": "conditioner", "conditioners": "conditioner",
    "dataset": "dataset", "datasets": "dataset",
}
_KIND_FUNCS = {"get", "load", "entry", "resolve"}


def string_argument_kind(text_before_cursor: str) -> tuple[str, str] | None:
    """If the cursor is inside a string argument that names a registry entry, return ``(kind, prefix)``.

    *kind* is one of :data:`KINDS`, ``"kind"`` (the argument is itself a kind, as in ``reg.names("``) or
    ``"colormap"``. Examples: ``'ga.model("va'`` → ``("model", "va")``; ``'r.get("op", "sl'`` →
    ``("op", "sl")``; ``'clip.save("a.gif", format="'`` → ``("exporter", "")``.
    """
    m = _FORMAT_KW.search(text_before_cursor)
    if m:
        return ("exporter", m.group("prefix"))
    m = _ENCODER_KW.search(text_before_cursor)
    if m:
        return ("conditioner", m.group("prefix"))
    m = _STRING_ARG.search(text_before_cursor)
    if not m:
        return None
    func = m.group("func").rsplit(".", 1)[-1]
    prefix = m.group("prefix")
    if m.group("kind"):
        kind = _FUNC_KIND.get(m.group("kind"), m.group("kind"))
        if func in _KIND_FUNCS and kind in KINDS:
            return (kind, prefix)
        return None
    if func in _FUNC_KIND:
        return (_FUNC_KIND[func], prefix)
    if func in _KIND_FUNCS or func == "names":
        return ("kind", prefix)
    if func in ("colormap", "cmap"):
        return ("colormap", prefix)
    return None


def _colormap_names() -> list[str]:
    try:
        import matplotlib

        return sorted(n for n in matplotlib.colormaps if not n.endswith("_r"))
    except Exception:  # noqa: BLE001 - completion must never fail
        return []


def _describe(obj: Any) -> str:
    if isinstance(obj, types.ModuleType):
        return "module"
    if inspect.isclass(obj):
        return "class"
    if callable(obj):
        return "function"
    return type(obj).__name__


class ReplCompleter(Completer):
    """The REPL's completer (see the module docstring).

    Args:
        namespace: the session's globals (read at completion time).
        registry_names: ``kind -> [(name, description)]``; may raise, errors are ignored.
        commands: ``[(name, help)]`` of colon commands (``"watch"``, ...).
        command_args: ``command -> callable(prefix) -> [(value, meta)]`` for argument completion;
            the special value ``"path"`` completes file names.
    """

    def __init__(self, namespace: dict[str, Any], registry_names: Callable[[str], list[tuple[str, str]]],
                 commands: Iterable[tuple[str, str]] = (), command_args: dict[str, Any] | None = None) -> None:
        self.namespace = namespace
        self.registry_names = registry_names
        self.commands = list(commands)
        self.command_args = command_args or {}
        self._paths = PathCompleter(expanduser=True)

    # -------------------------------------------------------------------------------------- entry
    def get_completions(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        """Completions for the text before the cursor (see the module docstring for what is offered)."""
        text = document.text_before_cursor
        if document.text.startswith(":") and "\n" not in text:
            yield from self._command(document, complete_event)
            return
        found = string_argument_kind(text)
        if found is not None:
            yield from self._registry(*found)
            return
        if self._inside_string(text):
            return
        m = _DOTTED.search(text)
        if m:
            yield from self._attributes(m.group("obj"), m.group("attr"))
            return
        m = _NAME.search(text)
        if m:
            yield from self._names(m.group("name"))

    @staticmethod
    def _inside_string(text: str) -> bool:
        line = text.rsplit("\n", 1)[-1]
        quote = None
        i = 0
        while i < len(line):
            c = line[i]
            if quote:
                if c == "\\":
                    i += 1
                elif c == quote:
                    quote = None
            elif c in "\"'":
                quote = c
            elif c == "#":
                return True  # in a comment: no completion either
            i += 1
        return quote is not None

    # ----------------------------------------------------------------------------------- registry
    def _registry(self, kind: str, prefix: str) -> Iterable[Completion]:
        if kind == "kind":
            pairs = [(k, "registry kind") for k in KINDS]
        elif kind == "colormap":
            pairs = [(n, "colour map") for n in _colormap_names()]
        else:
            try:
                pairs = list(self.registry_names(kind))
            except Exception:  # noqa: BLE001 - a broken registry must not break typing
                pairs = []
        for name, meta in sorted(pairs):
            if name.startswith(prefix):
                yield Completion(name, start_position=-len(prefix), display_meta=meta or kind)

    # ------------------------------------------------------------------------------------- python
    def _names(self, prefix: str) -> Iterable[Completion]:
        seen = set()
        ns = dict(vars(builtins))
        ns.update(self.namespace)
        for name in sorted(ns):
            if name.startswith(prefix) and (not name.startswith("_") or prefix.startswith("_")):
                seen.add(name)
                yield Completion(name, start_position=-len(prefix), display_meta=_describe(ns[name]))
        for kw in keyword.kwlist:
            if kw.startswith(prefix) and kw not in seen and kw != prefix:
                yield Completion(kw, start_position=-len(prefix), display_meta="keyword")

    def _resolve(self, dotted: str) -> Any:
        parts = dotted.split(".")
        ns = self.namespace
        if parts[0] in ns:
            obj = ns[parts[0]]
        elif hasattr(builtins, parts[0]):
            obj = getattr(builtins, parts[0])
        else:
            raise LookupError(parts[0])
        for part in parts[1:]:
            if isinstance(obj, types.ModuleType):
                obj = getattr(obj, part)  # may import a lazy submodule: that is what the user asks for
                continue
            static = inspect.getattr_static(obj, part)
            if isinstance(static, (property, types.GetSetDescriptorType, types.MemberDescriptorType)) or (
                hasattr(static, "__get__") and not callable(static) and not inspect.isclass(static)
            ):
                raise LookupError(part)  # would run code to compute it
            obj = getattr(obj, part)
        return obj

    def _attributes(self, dotted: str, prefix: str) -> Iterable[Completion]:
        try:
            obj = self._resolve(dotted)
            names = dir(obj)
        except Exception:  # noqa: BLE001 - unknown name or odd object: no completions
            return
        for name in sorted(set(names)):
            if not name.startswith(prefix):
                continue
            if name.startswith("_") and not prefix.startswith("_"):
                continue
            meta = ""
            try:
                static = inspect.getattr_static(obj, name)
                meta = "property" if isinstance(static, property) else _describe(
                    getattr(obj, name) if isinstance(obj, types.ModuleType) else static)
            except Exception:  # noqa: BLE001
                meta = ""
            yield Completion(name, start_position=-len(prefix), display_meta=meta)

    # ----------------------------------------------------------------------------------- commands
    def _command(self, document: Document, complete_event: CompleteEvent) -> Iterable[Completion]:
        text = document.text_before_cursor
        if " " not in text:
            prefix = text[1:]
            for name, help_ in self.commands:
                if name.startswith(prefix):
                    yield Completion(":" + name, start_position=-len(text), display_meta=help_)
            return
        cmd, _, arg = text[1:].partition(" ")
        arg = arg.lstrip()
        spec = self.command_args.get(cmd)
        if spec is None:
            return
        if spec == "path":
            sub = Document(arg, len(arg))
            yield from self._paths.get_completions(sub, complete_event)
            return
        try:
            values = list(spec(arg))
        except Exception:  # noqa: BLE001
            return
        for value, meta in values:
            if value.startswith(arg):
                yield Completion(value, start_position=-len(arg), display_meta=meta)
