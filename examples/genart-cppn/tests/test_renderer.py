"""The kaleidoscope renderer: symmetry, shapes, range, options, reachable like a built-in renderer."""

from __future__ import annotations

import pytest
import torch

import genart_kit as ga
from genart_kit.errors import InvalidInputError
from genart_cppn.kaleidoscope import Kaleidoscope


def _frames(t=2, c=3, h=64, w=64):
    return torch.rand(t, c, h, w, generator=torch.Generator().manual_seed(0))


@pytest.mark.parametrize("folds", [2, 4])
def test_rotational_symmetry(folds):
    """With 2 or 4 folds the symmetry maps the pixel grid onto itself: rot90 (or rot180) leaves the frame as is."""
    out = Kaleidoscope(folds)(_frames())
    turned = torch.rot90(out, k=4 // folds, dims=(2, 3))
    assert (turned - out).abs().max() < 1e-4


def test_mirror_symmetry():
    out = Kaleidoscope(6)(_frames())
    # a mirror along the x axis (angle 0): top half is the bottom half flipped
    assert (out - torch.flip(out, dims=(2,))).abs().max() < 1e-4


def test_shape_dtype_range_any_channels():
    for c, (h, w) in [(1, (31, 50)), (3, (64, 64)), (4, (40, 24))]:
        x = _frames(3, c, h, w)
        out = Kaleidoscope(5, angle=10)(x)
        assert out.shape == x.shape and out.dtype == torch.float32
        assert 0.0 <= float(out.min()) and float(out.max()) <= 1.0


def test_batch_independent():
    x = _frames(5)
    k = Kaleidoscope(6)
    assert torch.equal(k(x), torch.cat([k(x[i:i + 1]) for i in range(5)]))


def test_bad_options():
    for bad in (0, 65, 2.5, True, "6"):
        with pytest.raises(InvalidInputError, match="folds"):
            Kaleidoscope(bad)
    with pytest.raises(InvalidInputError, match="angle"):
        Kaleidoscope(6, angle=float("nan"))


def test_registered_and_reachable(reg):
    assert "kaleidoscope" in reg.names("renderers")
    by_get = ga.render.get("kaleidoscope", folds=6)
    assert by_get.describe() == "kaleidoscope(6)"
    by_attr = ga.render.kaleidoscope(6)
    x = _frames()
    assert torch.equal(by_attr(x), by_get(x))
    chained = ga.render.kaleidoscope(3) | ga.render.gamma(1.2)
    assert chained(x).shape == x.shape
