"""genart-kit's pytest plugin: fixtures for testing plugins (registered as the ``pytest11`` entry point
``genart_kit``, so it loads in any pytest run where genart-kit is installed; ``-p no:genart_kit`` turns it off).

Fixtures:

* ``genart_plugin`` — the plugin under test: the test class's ``plugin`` attribute (a module or object with
  ``@hookimpl`` functions, a list of them, or ``()`` for the built-ins only). Override it in a
  ``conftest.py`` to name the plugin once for every test.
* ``genart_registry`` — an isolated :class:`~genart_kit.registry.Registry` holding only ``genart_plugin``
  and the toolkit's built-in parts, installed as the process-wide registry for the test (``ga.model``,
  ``ga.render.get`` use it). No entry points are read, so a plugin whose package is also installed does not
  collide with itself. The test fails at once, with the reasons, if a plugin failed to load or validate.
* ``genart_out`` — an empty temporary output folder (a :class:`pathlib.Path`).
* ``tiny_model`` — :class:`genart_kit.testing.fakes.TinyModel`: latents ``[N, 4]`` -> frames
  ``[N, 3, 16, 16]``, deterministic and parameter-free, to feed renderers, ops and exporters.

Importing this module is cheap (no torch): pytest imports it in every session.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pytest

pytest.register_assert_rewrite("genart_kit.testing.contracts", "genart_kit.testing._base", "genart_kit.testing._parts")


@pytest.fixture
def genart_plugin(request: pytest.FixtureRequest) -> Any:
    """The plugin under test: the test class's ``plugin`` attribute (override this fixture to name it)."""
    cls = request.cls
    if cls is None or not hasattr(cls, "plugin"):
        where = cls.__name__ if cls is not None else request.node.name
        pytest.fail(f"{where}: set plugin = <your plugin module> on the test class (or () for the built-ins only), "
                    "or override the genart_plugin fixture in conftest.py", pytrace=False)
    return cls.plugin


@pytest.fixture
def genart_registry(genart_plugin: Any) -> Iterator[Any]:
    """An isolated registry of ``genart_plugin`` plus the built-ins, installed for the test's duration."""
    from genart_kit import registry

    plugins = list(genart_plugin) if isinstance(genart_plugin, (list, tuple)) else [genart_plugin]
    with registry.isolated(*plugins) as reg:
        problems = reg.plugins.problems()
        if problems:
            pytest.fail("plugin problems: " + "; ".join(f"{p.name}: {p.error}" for p in problems), pytrace=False)
        yield reg


@pytest.fixture
def genart_out(tmp_path: Path) -> Path:
    """An empty output folder for the test."""
    out = tmp_path / "genart-out"
    out.mkdir()
    return out


@pytest.fixture
def tiny_model() -> Any:
    """A tiny deterministic model: latents ``[N, 4]`` -> frames ``[N, 3, 16, 16]`` float32 in [0, 1]."""
    from genart_kit.testing.fakes import tiny_model as make

    return make()
