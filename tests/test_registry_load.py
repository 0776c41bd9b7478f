"""Registry.load means the same for every kind: it returns the ready-to-use object."""

from __future__ import annotations

import pytest

from genart_kit.registry import get_registry


def test_load_gives_the_ready_object_for_every_kind():
    reg = get_registry()
    gif = reg.load("exporter", "gif")
    assert callable(gif.write)
    slerp = reg.load("op", "slerp")
    assert callable(slerp) and slerp.__name__ == "slerp"
    cmap = reg.load("renderer", "colormap", "magma")
    import torch

    out = cmap(torch.rand(2, 1, 4, 4))
    assert out.shape == (2, 3, 4, 4)
    for kind in ("op", "renderer", "exporter", "dataset", "model"):
        assert reg.names(kind), kind  # every kind has built-in or first-party entries to load


def test_op_arguments_are_bound_not_called():
    import functools

    bound = get_registry().load("op", "slerp", steps=3)
    assert isinstance(bound, functools.partial) and bound.keywords == {"steps": 3}


def test_exporter_objects_refuse_options_at_load():
    from genart_kit.errors import InvalidInputError

    with pytest.raises(InvalidInputError, match="write"):
        get_registry().load("exporter", "gif", colors=8)
