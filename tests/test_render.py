"""Renderers: colour maps, resizing, trails/feedback across batches, tone ops, captions, tiling; properties."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import genart_kit as ga
from genart_kit.errors import InvalidInputError, UnknownNameError
from genart_kit.pipeline import Clip
from genart_kit.render import (
    caption,
    colormap,
    contrast,
    feedback,
    gamma,
    invert,
    lut,
    posterize,
    resize,
    shipped_colormaps,
    trails,
    upscale,
)
from genart_kit.render.base import Chain, Function, check_frames_tensor

PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ramp(t=4, c=1, h=8, w=8):
    x = torch.linspace(0, 1, t * c * h * w).reshape(t, c, h, w)
    return x


# --------------------------------------------------------------------------------------- colormap
@pytest.mark.parametrize("name", ["magma", "viridis", "twilight", "gray", "turbo_r"])
def test_shipped_luts_match_matplotlib(name):
    import matplotlib

    mine = lut(name)
    ref = np.asarray(matplotlib.colormaps[name].resampled(256)(np.arange(256)))[:, :3]
    assert np.abs(mine.numpy() - ref).max() <= 0.5 / 255 + 1e-6


def test_colormap_maps_gray_to_rgb_like_matplotlib():
    import matplotlib

    x = torch.rand(3, 1, 5, 7)
    out = colormap("viridis")(x)
    assert out.shape == (3, 3, 5, 7) and out.dtype == torch.float32
    ref = matplotlib.colormaps["viridis"](x[:, 0].numpy())[..., :3]  # [3, 5, 7, 3]
    assert np.abs(out.permute(0, 2, 3, 1).numpy() - ref).max() <= 0.5 / 255 + 1e-6
    # exact endpoints
    ends = colormap("magma")(torch.tensor([0.0, 1.0]).reshape(2, 1, 1, 1))
    assert torch.allclose(ends[0, :, 0, 0], lut("magma")[0]) and torch.allclose(ends[1, :, 0, 0], lut("magma")[255])


def test_colormap_variants():
    assert "magma" in shipped_colormaps() and "magma_r" in shipped_colormaps()
    rev = colormap("magma", reverse=True)(torch.zeros(1, 1, 2, 2))
    assert torch.allclose(rev[0, :, 0, 0], lut("magma")[255])
    assert colormap("Wistia")(torch.rand(2, 1, 3, 3)).shape == (2, 3, 3, 3)  # non-shipped matplotlib name
    custom = colormap(["black", "#ff0000"])(torch.ones(1, 1, 1, 1))
    assert torch.allclose(custom[0, :, 0, 0], torch.tensor([1.0, 0.0, 0.0]))
    rgba = colormap("gray")(torch.rand(1, 4, 2, 2))
    assert rgba.shape == (1, 4, 2, 2)
    with pytest.raises(UnknownNameError, match="magma"):
        colormap("magmaa")
    with pytest.raises(InvalidInputError):
        colormap(["only-one"])


def test_colormap_does_not_import_matplotlib_for_shipped_maps():
    import subprocess
    import sys

    code = "import sys, torch, genart_kit as ga; ga.render.colormap('magma')(torch.rand(2,1,4,4)); print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.stdout.strip() == "False", out.stderr


# ---------------------------------------------------------------------------------------- resize
def test_upscale_sizes_and_modes():
    x = ramp(2, 1, 28, 28)
    assert upscale(256)(x).shape == (2, 1, 256, 256)
    assert upscale((64, 32))(x).shape == (2, 1, 64, 32)
    assert upscale(scale=2)(x).shape == (2, 1, 56, 56)
    wide = torch.rand(1, 3, 10, 20)
    assert upscale(40)(wide).shape == (1, 3, 20, 40)
    px = upscale(56, mode="nearest")(x)
    assert torch.equal(px[:, :, ::2, ::2], x) and torch.equal(px[:, :, 1::2, 1::2], x)  # exact pixel blocks
    smooth = upscale(100)(torch.bernoulli(torch.full((2, 1, 10, 10), 0.5)))
    assert 0.0 <= float(smooth.min()) and float(smooth.max()) <= 1.0  # bicubic overshoot clamped
    assert resize(7, mode="area")(x).shape == (2, 1, 7, 7)


def test_upscale_errors():
    for bad in (0, -5, 10**6, 2.5):
        with pytest.raises(InvalidInputError, match="size"):
            upscale(bad)
    with pytest.raises(InvalidInputError, match="either"):
        upscale()
    with pytest.raises(InvalidInputError, match="either"):
        upscale(10, scale=2)
    with pytest.raises(UnknownNameError, match="nearest"):
        upscale(10, mode="nearst")
    with pytest.raises(InvalidInputError, match="scale"):
        upscale(scale=float("nan"))


# ------------------------------------------------------------------------------- stateful renderers
@pytest.mark.parametrize("make", [lambda: trails(0.8), lambda: trails(0.6, mode="blend"), lambda: trails(0.5, mode="add"),
                                  lambda: feedback(zoom=1.1, rotate=5, decay=0.7)])
def test_state_carries_across_batches(make):
    x = torch.rand(23, 1, 9, 9)
    whole = make()(x)
    r = make()
    state = r.init_state()
    parts = []
    for s in range(0, 23, 5):
        out, state = r.process(x[s: s + 5], state, s, 23)
        parts.append(out)
    assert torch.allclose(torch.cat(parts), whole, atol=1e-6)


def test_trails_values():
    x = torch.zeros(4, 1, 1, 1)
    x[0] = 1.0
    out = trails(0.5)(x)
    assert out.flatten().tolist() == [1.0, 0.5, 0.25, 0.125]
    assert trails(0.0).warmup == 0 and trails(0.8).warmup > 10
    with pytest.raises(InvalidInputError, match="decay"):
        trails(1.5)
    with pytest.raises(InvalidInputError, match="mode"):
        trails(0.5, mode="screen")


def test_trails_in_a_looping_clip_are_seamless_and_batch_independent():
    # A single bright frame at the end of a loop leaves a trail on frame 0 (warm-up wraps around).
    frames = torch.zeros(10, 1, 2, 2)
    frames[9] = 1.0
    clip = Clip.from_frames(frames, loop=True) | trails(0.5)
    out = clip.tensor(batch_size=3)
    assert abs(float(out[0].max()) - 0.5) < 1e-6
    assert torch.equal(out, clip.tensor(batch_size=64))
    # a non-looping clip starts clean
    assert float((Clip.from_frames(frames) | trails(0.5)).tensor()[0].max()) == 0.0
    # slices see the same state as the full clip
    assert torch.allclose(clip[4:7].tensor(), out[4:7])


# ------------------------------------------------------------------------------------- tone ops
def test_posterize_invert_contrast_gamma():
    x = torch.linspace(0, 1, 11).reshape(1, 1, 1, 11)
    p = posterize(3)(x)
    assert set(p.flatten().tolist()) <= {0.0, 0.5, 1.0}
    assert torch.allclose(invert()(x), 1 - x)
    assert torch.allclose(contrast(1.0)(x), x)
    assert torch.allclose(contrast(0.0)(x), torch.full_like(x, 0.5))
    c2 = contrast(2.0)(x)
    assert float(c2.min()) == 0.0 and float(c2.max()) == 1.0
    assert torch.allclose(gamma(1.0)(x), x)
    rgba = torch.rand(1, 4, 3, 3)
    assert torch.equal(invert()(rgba)[:, 3], rgba[:, 3])  # alpha untouched
    for bad in (lambda: posterize(1), lambda: posterize(2.5), lambda: contrast(-1), lambda: gamma(0)):
        with pytest.raises(InvalidInputError):
            bad()


# --------------------------------------------------------------------------------------- caption
def test_caption_draws_text_and_formats_fields():
    x = torch.zeros(3, 1, 48, 96)
    out = caption("frame {number}/{total}", background=None, size=16)(x)
    assert out.shape == (3, 1, 48, 96)  # white on gray stays grayscale
    assert float(out.max()) > 0.9
    assert not torch.equal(out[0], out[1])  # different text per frame
    coloured = caption("HI", color="#ff0000", position="center", background_alpha=0.0, size=20)(x)
    assert coloured.shape == (3, 3, 48, 96)
    assert float(coloured[:, 0].max()) > 0.9 and float(coloured[:, 1].max()) < 0.1
    fn = caption(lambda i: "ABC"[i], position="top-left", size=12)(x)
    assert fn.shape == (3, 1, 48, 96)
    with pytest.raises(InvalidInputError, match="fields"):
        caption("{seed}")
    with pytest.raises(InvalidInputError, match="position"):
        caption("x", position="middle")
    with pytest.raises(InvalidInputError, match="colour"):
        caption("x", color="notacolour")
    with pytest.raises(InvalidInputError, match="font"):
        caption("x", font="/nonexistent/font.ttf")
    with pytest.raises(InvalidInputError, match="caption function"):
        caption(lambda i: 1 / 0)(x)


# ------------------------------------------------------------------------------------------ chain
def test_renderers_compose_and_accept_functions():
    look = colormap("magma") | upscale(16) | posterize(4)
    assert isinstance(look, Chain) and len(look.renderers) == 3
    x = torch.rand(2, 1, 8, 8)
    assert look(x).shape == (2, 3, 16, 16)
    assert look.output_shape((1, 8, 8)) == (3, 16, 16)
    half = colormap("gray") | (lambda f: f * 0.5)
    assert float(half(torch.ones(1, 1, 2, 2)).max()) == pytest.approx(0.5)
    bad = Function(lambda f: f[:, :, :0])
    with pytest.raises(InvalidInputError):
        bad(x)
    nan = Function(lambda f: f * float("nan"))
    with pytest.raises(InvalidInputError, match="NaN"):
        nan(x)
    raises = Function(lambda f: f.reshape(3))
    with pytest.raises(InvalidInputError, match="raised"):
        raises(x)


def test_check_frames_tensor():
    assert check_frames_tensor(torch.zeros(1, 8, 8)).shape == (1, 1, 8, 8)
    assert check_frames_tensor(torch.full((1, 1, 2, 2), 255, dtype=torch.uint8)).max() == 1.0
    for bad, match in [(torch.zeros(2, 2, 8, 8), "channels"), (torch.zeros(0, 1, 8, 8), "empty"),
                       (torch.full((1, 1, 2, 2), float("nan")), "NaN"), (torch.zeros(8), "shape"), ("x", "tensor")]:
        with pytest.raises(InvalidInputError, match=match):
            check_frames_tensor(bad)


def test_renderers_are_registered_and_buildable_by_name():
    from genart_kit.registry import get_registry

    names = get_registry().names("renderer")
    for r in ("colormap", "upscale", "trails", "posterize", "invert", "contrast", "caption", "feedback"):
        assert r in names
    cm = ga.render.get("colormap", cmap="viridis")
    assert cm(torch.rand(1, 1, 2, 2)).shape == (1, 3, 2, 2)
    with pytest.raises(UnknownNameError, match="colormap"):
        ga.render.get("colourmap")


def test_renderers_keep_dtype_and_device():
    x = torch.rand(2, 1, 8, 8)
    out = (colormap("magma") | upscale(16) | trails(0.5) | caption("x"))(x)
    assert out.device == x.device and out.dtype == torch.float32


# ---------------------------------------------------------------------------------- properties
shapes = st.tuples(st.integers(1, 6), st.sampled_from([1, 3, 4]), st.integers(1, 24), st.integers(1, 24))
edge = st.sampled_from([0.0, 1.0, 0.5, -1.0, 2.0, 1e30, -1e30, float("nan"), float("inf")])


def renderer_strategy():
    return st.one_of(
        st.builds(lambda n: colormap(n), st.sampled_from(["magma", "viridis", "gray", "twilight"])),
        st.builds(lambda s, m: upscale(s, mode=m), st.integers(1, 40), st.sampled_from(["nearest", "smooth", "bilinear", "area"])),
        st.builds(lambda d, m: trails(d, mode=m), st.floats(0, 0.999), st.sampled_from(["max", "blend", "add"])),
        st.builds(lambda z, r, d: feedback(zoom=z, rotate=r, decay=d), st.floats(0.5, 2), st.floats(-30, 30), st.floats(0, 0.99)),
        st.builds(posterize, st.integers(2, 256)),
        st.just(invert()),
        st.builds(lambda a: contrast(a), st.floats(0, 10)),
        st.builds(gamma, st.floats(0.1, 5)),
        st.builds(lambda p: caption("{frame}", position=p), st.sampled_from(["top", "bottom", "center", "bottom-right"])),
    )


@PROPS
@given(shape=shapes, chain=st.lists(renderer_strategy(), min_size=1, max_size=4), fill=st.one_of(st.none(), edge))
def test_renderer_chains_property(shape, chain, fill):
    x = torch.rand(*shape)
    if fill is not None:
        x[0, 0, 0, 0] = fill
    r = chain[0]
    for nxt in chain[1:]:
        r = r | nxt
    try:
        out = r(x)
    except InvalidInputError as exc:
        assert fill is not None and (fill != fill or abs(fill) == float("inf")), exc
        return
    assert out.shape[0] == shape[0] and tuple(out.shape[1:]) == r.output_shape(shape[1:])
    assert out.dtype == torch.float32 and torch.isfinite(out).all()
    assert float(out.min()) >= 0.0 and float(out.max()) <= 1.0


def test_grid_layout_batched():
    from genart_kit.render import grid

    x = torch.rand(2, 6, 1, 3, 4)  # 2 time steps, 6 cells
    g = grid(x, cols=3)
    assert g.shape == (2, 1, 6, 12)
    assert torch.equal(g[1, :, 3:6, 4:8], x[1, 4])
    padded = grid(x[0], cols=4, padding=1, background=0.5)
    assert padded.shape == (1, 2 * 3 + 3, 4 * 4 + 5)
    assert torch.equal(padded[:, 1:4, 1:5], x[0, 0]) and float(padded[0, 0, 0]) == 0.5
    assert torch.all(padded[:, 5:8, 11:15] == 0.5)  # empty cells (6 of 8)
    with pytest.raises(InvalidInputError):
        grid(torch.rand(3, 4))


def test_a_third_party_plugin_adds_a_renderer_and_an_op(tmp_path):
    import subprocess
    import sys

    from genart_kit.testing import make_distribution

    make_distribution(tmp_path, "genart-sparkle", '''
        from genart_kit import hookimpl

        def make(amount=0.5):
            from genart_kit.render import Function
            return Function(lambda f: (f + amount).clamp(0, 1), name="sparkle")

        def zeros(model, frames=4):
            import torch
            from genart_kit.latent import from_tensor
            return from_tensor(torch.zeros(frames, model.latent_dim))

        @hookimpl
        def register_renderers(register):
            register("sparkle", "genart_sparkle:make", description="brighten")

        @hookimpl
        def register_ops(register):
            register("zeros", "genart_sparkle:zeros", description="all-zero path")
    ''')
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "import torch, genart_kit as ga\n"
        "from genart_kit.registry import get_registry\n"
        "from test_pipeline_toys import ToyModel\n"
        "m = ToyModel()\n"
        "zeros = get_registry().get('op', 'zeros').resolve()\n"
        "clip = zeros(m, 3) | m | ga.render.get('sparkle', amount=1.0)\n"
        "print(clip.tensor().min().item(), 'sparkle' in get_registry().names('renderer'))\n"
    ) % str(Path(__file__).parent)
    import os

    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), os.environ.get("PYTHONPATH", "")]))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["1.0", "True"]


def test_docs_document_every_builtin_op_and_renderer():
    from pathlib import Path

    from genart_kit.registry import get_registry

    section = (Path(__file__).resolve().parents[1] / "docs" / "animations.md").read_text(encoding="utf-8")
    reg = get_registry()
    missing = [f"{kind} {e.name}" for kind in ("op", "renderer") for e in reg.entries(kind)
               if e.name.replace("-", "_") not in section and (e.meta.get("plugin", "genart_kit") or "").startswith("genart")]
    assert not missing, missing


def test_unknown_colormap_shows_close_matches_not_the_whole_list():
    with pytest.raises(UnknownNameError) as e:
        ga.render.colormap("magmaa")
    msg = str(e.value)
    assert "'magma'" in msg and "ga.render.colormap_names()" in msg
    assert f"{len(ga.render.colormap_names())} colour maps" in msg
    assert "Accent" not in msg and len(msg) < 400
