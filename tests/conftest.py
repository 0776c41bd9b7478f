"""Shared pytest fixtures.

Every test starts with a clean plugin environment (no GENART_* plugin variables from the caller's shell) and a
fresh registry, so tests that install throwaway plugins cannot leak into others.
"""

from __future__ import annotations

import pytest

_PLUGIN_ENV = ("GENART_LOAD_PLUGINS", "GENART_PLUGINS_DIR", "GENART_TRACE_PLUGINS", "GENART_STRICT_PLUGINS")


@pytest.fixture(autouse=True)
def _clean_plugin_env(monkeypatch: pytest.MonkeyPatch):
    for name in _PLUGIN_ENV:
        monkeypatch.delenv(name, raising=False)
    from genart_kit import registry

    registry.configure([])
    yield
    registry.configure([])
