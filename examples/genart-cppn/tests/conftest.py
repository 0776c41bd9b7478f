"""Fixtures: an isolated genart-kit registry holding only this plugin (plus the toolkit's built-ins), so the
tests see the same thing whether or not genart-cppn is also installed (no entry points are read)."""

from __future__ import annotations

import pytest

import genart_cppn.plugin


@pytest.fixture
def reg():
    """The isolated :class:`genart_kit.registry.Registry` (``ga.model``, ``ga.render.*`` use it)."""
    from genart_kit import registry

    with registry.isolated(genart_cppn.plugin) as r:
        assert not r.plugins.problems()
        yield r


@pytest.fixture
def cppn(reg):
    """A 64 px CPPN loaded through the toolkit (``ga.model``)."""
    import genart_kit as ga

    return ga.model("cppn", size=64)
