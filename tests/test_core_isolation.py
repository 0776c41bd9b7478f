"""registry.isolated(): a registry built only from given plugin objects (plus built-ins), installed
process-wide for the block and restored afterwards; PluginManager(plugins=[...])."""

from __future__ import annotations

import types

import pytest

import genart_kit as ga
from genart_kit import hookimpl, registry
from genart_kit.plugins import PluginManager


def _plugin(name: str = "kal_plugin") -> types.ModuleType:
    mod = types.ModuleType(name)

    @hookimpl
    def register_renderers(register):
        register("kal", lambda **options: ("kal", options), description="test renderer")

    mod.register_renderers = register_renderers
    return mod


def test_isolated_installs_and_restores_the_registry():
    before = registry.get_registry()
    with registry.isolated(_plugin()) as reg:
        assert registry.get_registry() is reg
        assert "kal" in reg.names("renderers")
        assert "colormap" in reg.names("renderers")  # built-ins by default
        assert ga.render.get("kal", n=2) == ("kal", {"n": 2})
        assert reg.plugins.infos["kal_plugin"].status == "ok"
    assert registry.get_registry() is before
    assert "kal" not in registry.names("renderers")


def test_isolated_restores_after_an_error():
    before = registry.get_registry()
    with pytest.raises(RuntimeError):
        with registry.isolated(_plugin()):
            raise RuntimeError("boom")
    assert registry.get_registry() is before


def test_isolated_without_builtins_and_ignoring_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("GENART_LOAD_PLUGINS", "nothing-such")
    monkeypatch.setenv("GENART_PLUGINS_DIR", str(tmp_path / "missing"))
    with registry.isolated(_plugin(), builtins=False) as reg:
        assert reg.names("renderers") == ["kal"]
        assert reg.names("exporters") == []
        assert reg.plugins.problems() == []


def test_plugin_manager_registers_objects_directly():
    pm = PluginManager(entry_points=[], plugins=[_plugin("direct")], environment=False)
    assert pm.infos["direct"].hooks == ["register_renderers"]
    assert "exporters" in pm.infos and pm.infos["exporters"].source.startswith("built-in")
