"""REPL completion: Python names and attributes, registry names inside strings, colon commands."""

from __future__ import annotations

import types

import pytest
from prompt_toolkit.completion import CompleteEvent
from prompt_toolkit.document import Document

from genart_kit.repl import commands
from genart_kit.repl.completion import ReplCompleter, string_argument_kind

REGISTRY = {
    "model": [("vae-mnist", "VAE on MNIST"), ("gan-mnist", "DCGAN on MNIST"), ("vae", "architecture")],
    "op": [("slerp", "spherical interpolation"), ("lerp", "linear"), ("noise_loop", "seamless loop")],
    "renderer": [("colormap", "colour map"), ("upscale", "resize")],
    "exporter": [("gif", "GIF"), ("webp", "WebP")],
}


def completer(namespace=None, **kw):
    ns = namespace if namespace is not None else {}
    return ReplCompleter(ns, lambda kind: REGISTRY.get(kind, []), commands=commands.command_list(),
                         command_args=kw.get("command_args", {}))


def complete(c, text):
    return [x.text for x in c.get_completions(Document(text, len(text)), CompleteEvent(completion_requested=True))]


@pytest.mark.parametrize(
    "text, expected",
    [
        ('ga.model("', ("model", "")),
        ("ga.model('va", ("model", "va")),
        ('model( "g', ("model", "g")),
        ('reg.get("renderer", "co', ("renderer", "co")),
        ('registry.load("model", "v', ("model", "v")),
        ('reg.names("', ("kind", "")),
        ('clip.save("a.gif", format="w', ("exporter", "w")),
        ('ga.prompt("a seven", encoder="ti', ("conditioner", "ti")),
        ("ga.latent.prompt_morph(m, ['a', 'b'], 24, encoder='", ("conditioner", "")),
        ('ga.render.colormap("ma', ("colormap", "ma")),
        ('print("hello', None),
        ('ga.model("vae-mnist")', None),
    ],
)
def test_string_argument_kind(text, expected):
    assert string_argument_kind(text) == expected


def test_model_names_inside_string():
    c = completer()
    assert complete(c, 'vae = ga.model("') == ["gan-mnist", "vae", "vae-mnist"]
    assert complete(c, 'vae = ga.model("vae-') == ["vae-mnist"]
    metas = [x.display_meta_text for x in c.get_completions(Document('ga.model("g'), CompleteEvent())]
    assert metas == ["DCGAN on MNIST"]


def test_other_registry_kinds():
    c = completer()
    assert complete(c, 'reg.get("op", "') == ["lerp", "noise_loop", "slerp"]
    assert complete(c, 'reg.get("renderer", "u') == ["upscale"]
    assert complete(c, 'clip.save("x", format="') == ["gif", "webp"]
    assert "model" in complete(c, 'reg.names("')
    assert "magma" in complete(c, 'ga.render.colormap("mag')


def test_broken_registry_gives_no_completion_instead_of_an_error():
    def boom(kind):
        raise RuntimeError("registry broke")

    c = ReplCompleter({}, boom)
    assert complete(c, 'ga.model("') == []


def test_namespace_names_builtins_and_keywords():
    c = completer({"vae": object(), "value": 3, "_hidden": 1})
    assert set(complete(c, "va")) == {"vae", "value", "vars"}
    assert "_hidden" not in complete(c, "")  # private names only when asked for
    assert "_hidden" in complete(c, "_hi")
    assert "print" in complete(c, "pri")
    assert "while" in complete(c, "whi")


def test_attributes_of_modules_and_objects():
    mod = types.ModuleType("fake")
    mod.model = lambda: None
    mod.models = 1
    mod.sub = types.SimpleNamespace(noise_loop=1, slerp=2)

    class Thing:
        calls = 0

        @property
        def expensive(self):
            Thing.calls += 1
            return types.SimpleNamespace(deep=1)

        def method(self):
            return 1

    c = completer({"ga": mod, "t": Thing()})
    assert complete(c, "ga.mo") == ["model", "models"]
    assert complete(c, "ga.sub.s") == ["slerp"]
    assert "method" in complete(c, "t.")
    assert "expensive" in complete(c, "t.e")
    assert complete(c, "t.expensive.") == []  # completing never evaluates a property
    assert Thing.calls == 0
    assert complete(c, "nothere.") == []


def test_real_toolkit_attribute_completion():
    import genart_kit as ga

    c = completer({"ga": ga})
    assert "model" in complete(c, "ga.mo")
    assert "latent" in complete(c, "ga.la")


def test_no_completion_inside_plain_strings_or_comments():
    c = completer({"value": 1})
    assert complete(c, 'print("va') == []
    assert complete(c, "x = 1  # va") == []


def test_colon_commands_and_arguments(tmp_path):
    (tmp_path / "walk.py").write_text("")
    c = completer(command_args={"stop": lambda prefix: [("walk", "loop"), ("blob", "loop")], "watch": "path"})
    assert complete(c, ":wa") == [":watch"]
    assert set(complete(c, ":q")) == {":quit", ":q"}
    assert complete(c, ":stop w") == ["walk"]
    assert complete(c, f":watch {tmp_path}/wa") == ["lk.py"]
