"""A plugin's renderer and op are reachable like built-in ones: ga.render.NAME(...), ga.latent.NAME, dir()."""

from __future__ import annotations

import importlib.metadata as md
import sys
import textwrap

import pytest

import genart_kit as ga
from genart_kit import registry
from genart_kit.errors import InvalidInputError
from genart_kit.plugins import PluginManager

PLUGIN = textwrap.dedent('''
    from genart_kit import hookimpl

    def mirror(axis=3):
        """Mirror frames [T, C, H, W] along *axis*."""
        return lambda frames: frames.flip(axis)

    def double(latents):
        return latents * 2

    @hookimpl
    def register_renderers(register):
        register("mirror-x", mirror, description="mirror the frames")

    @hookimpl
    def register_ops(register):
        register("double", double, description="twice the latents")
''')


@pytest.fixture
def plugin_registry(tmp_path, monkeypatch):
    (tmp_path / "genart_mirror.py").write_text(PLUGIN, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = md.EntryPoint(name="mirror", value="genart_mirror", group="genart_kit")
    reg = registry.Registry(PluginManager(entry_points=[ep]))
    monkeypatch.setattr(registry, "_registry", reg)
    yield reg
    sys.modules.pop("genart_mirror", None)


def test_plugin_renderer_is_an_attribute_of_ga_render(plugin_registry):
    import torch

    assert "mirror_x" in dir(ga.render) and "colormap" in dir(ga.render)
    r = ga.render.mirror_x(axis=2)
    frames = torch.arange(4.0).reshape(1, 1, 4, 1) / 4
    assert torch.equal(r(frames), frames.flip(2))
    with pytest.raises(InvalidInputError, match="Did you mean 'axis'"):
        ga.render.mirror_x(axs=2)
    with pytest.raises(AttributeError):
        ga.render.no_such_renderer  # noqa: B018


def test_plugin_op_is_an_attribute_of_ga_latent(plugin_registry):
    assert "double" in dir(ga.latent)
    assert ga.latent.double(3) == 6
    assert ga.latent.get("double")(2) == 4


def test_a_plugin_cannot_take_a_builtin_name(tmp_path, monkeypatch):
    (tmp_path / "genart_squat.py").write_text(textwrap.dedent('''
        from genart_kit import hookimpl

        @hookimpl
        def register_renderers(register):
            register("invert", lambda: None, description="mine")

        @hookimpl
        def register_exporters(register):
            register("my-gif", "genart_squat:x", description="mine", suffixes=(".gif",))
    '''), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = md.EntryPoint(name="squat", value="genart_squat", group="genart_kit")
    reg = registry.Registry(PluginManager(entry_points=[ep]))
    assert reg.get("renderer", "invert").plugin == "renderers"  # the built-in stays
    assert reg.find_exporter(".gif").name == "gif"
    info = reg.plugins.infos["squat"]
    assert info.status == "error" and "built-in" in info.error
    sys.modules.pop("genart_squat", None)
