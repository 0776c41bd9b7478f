"""Latent ops: interpolation, loops, walks, arithmetic, images — unit and property-based tests."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

import genart_kit as ga
from genart_kit.errors import GenartError, InvalidInputError, UnknownNameError
from genart_kit.latent import (
    EASINGS,
    Latents,
    attribute_vector,
    circular_walk,
    class_sweep,
    concat,
    ease,
    encode,
    from_tensor,
    grid_sweep,
    interpolate,
    lerp,
    load_images,
    mnist_digits,
    morph,
    noise_loop,
    random_walk,
    shift,
    slerp,
    truncate,
)
from test_pipeline_toys import ToyModel

PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
finite = st.floats(min_value=-1e30, max_value=1e30, allow_nan=False, allow_infinity=False, width=32)
any_float = st.floats(allow_nan=True, allow_infinity=True, width=32)


# ------------------------------------------------------------------------------------------- slerp
def test_slerp_endpoints_and_norm():
    g = torch.Generator().manual_seed(0)
    a, b = torch.randn(32, generator=g), torch.randn(32, generator=g)
    t = torch.linspace(0, 1, 11)
    out = slerp(a, b, t)
    assert out.shape == (11, 32) and out.dtype == torch.float32
    assert torch.allclose(out[0], a, atol=1e-5) and torch.allclose(out[-1], b, atol=1e-5)
    # equal-norm inputs stay on the sphere (the point of slerp, White 2016)
    a2, b2 = a / a.norm() * 5, b / b.norm() * 5
    assert torch.allclose(slerp(a2, b2, t).norm(dim=1), torch.full((11,), 5.0), atol=1e-4)
    # lerp shrinks the midpoint of two typical Gaussian samples; slerp does not
    assert lerp(a2, b2, 0.5).norm() < 4.5


def test_slerp_degenerate_cases_have_no_nan():
    a = torch.tensor([1.0, 2.0, 3.0])
    t = torch.linspace(0, 1, 9)
    same = slerp(a, a, t)
    assert torch.allclose(same, a.expand(9, -1))
    parallel = slerp(a, 3 * a, t)
    assert torch.allclose(parallel, lerp(a, 3 * a, t), atol=1e-5)
    zero = slerp(torch.zeros(3), a, t)
    assert torch.allclose(zero, lerp(torch.zeros(3), a, t), atol=1e-6)
    both_zero = slerp(torch.zeros(3), torch.zeros(3), t)
    assert torch.equal(both_zero, torch.zeros(9, 3))
    opposite = slerp(a, -a, t)
    assert torch.isfinite(opposite).all()
    assert torch.allclose(opposite[0], a, atol=1e-5) and torch.allclose(opposite[-1], -a, atol=1e-5)
    # goes around through a perpendicular direction at constant radius, not through zero
    assert torch.allclose(opposite.norm(dim=1), torch.full((9,), float(a.norm())), atol=1e-4)
    assert abs(float(opposite[4] @ a)) < 1e-3
    one_d = slerp(torch.tensor([2.0]), torch.tensor([-2.0]), t)
    assert torch.isfinite(one_d).all() and one_d[0, 0] == 2.0 and one_d[-1, 0] == -2.0


def test_slerp_unequal_norms_near_opposite_stay_bounded():
    a = torch.tensor([1.0, 0.0])
    for angle in (3.0, 3.1, 3.14, 3.1415):
        b = 3 * torch.tensor([math.cos(angle), math.sin(angle)])
        path = slerp(a, b, torch.linspace(0, 1, 21))
        norms = path.norm(dim=1)
        assert float(norms.max()) <= 3.0 + 1e-5
        assert torch.allclose(norms, torch.linspace(1, 3, 21), atol=1e-4)
    # continuous into the exactly-opposite branch
    near = slerp(a, 3 * torch.tensor([math.cos(math.pi - 1e-6), math.sin(math.pi - 1e-6)]), 0.5)
    exact = slerp(a, torch.tensor([-3.0, 0.0]), 0.5)
    assert torch.allclose(near.norm(), exact.norm(), atol=1e-4)


def test_slerp_batched_and_errors():
    a, b = torch.randn(5, 4), torch.randn(5, 4)
    out = slerp(a, b, torch.rand(5))
    assert out.shape == (5, 4)
    with pytest.raises(InvalidInputError, match="NaN"):
        slerp(torch.tensor([float("nan"), 1.0]), torch.ones(2), 0.5)
    with pytest.raises(InvalidInputError, match="dimensions"):
        slerp(torch.ones(3), torch.ones(4), 0.5)
    with pytest.raises(InvalidInputError, match="t must be finite"):
        lerp(torch.ones(3), torch.ones(3), float("inf"))
    with pytest.raises(InvalidInputError, match="broadcast"):
        slerp(torch.ones(3, 4), torch.ones(2, 4), torch.ones(5))
    assert slerp(a.double(), b.double(), 0.3).dtype == torch.float64


@PROPS
@given(
    d=st.integers(1, 16),
    data=st.data(),
    t=st.floats(0.0, 1.0),
    scale_a=st.sampled_from([0.0, 1e-30, 1e-6, 1.0, 1e6, 1e30]),
    scale_b=st.sampled_from([0.0, 1e-30, 1e-6, 1.0, 1e6, 1e30]),
    relation=st.sampled_from(["random", "same", "parallel", "opposite"]),
)
def test_slerp_property_never_nan(d, data, t, scale_a, scale_b, relation):
    a = torch.tensor(data.draw(st.lists(st.floats(-1, 1, width=32), min_size=d, max_size=d)), dtype=torch.float32) * scale_a
    if relation == "random":
        b = torch.tensor(data.draw(st.lists(st.floats(-1, 1, width=32), min_size=d, max_size=d)), dtype=torch.float32) * scale_b
    elif relation == "same":
        b = a.clone()
    elif relation == "parallel":
        b = a * 2
    else:
        b = -a
    try:
        out = slerp(a, b, t)
    except InvalidInputError as exc:
        assert "does not fit" in str(exc)
        return
    assert out.shape == (d,)
    assert torch.isfinite(out).all()
    bound = max(float(a.double().norm()), float(b.double().norm()))
    assert float(out.double().norm()) <= bound * 1.0001 + 1e-30


@PROPS
@given(st.lists(any_float, min_size=1, max_size=6), st.lists(any_float, min_size=1, max_size=6), any_float)
def test_lerp_slerp_either_work_or_raise_clear_errors(a, b, t):
    for fn in (lerp, slerp):
        try:
            out = fn(torch.tensor(a), torch.tensor(b), t)
        except InvalidInputError:
            continue
        assert torch.isfinite(out).all()


# ------------------------------------------------------------------------------------------ easing
@pytest.mark.parametrize("name", sorted(EASINGS))
def test_easings_map_unit_interval(name):
    u = torch.linspace(0, 1, 101, dtype=torch.float64)
    v = ease(u, name)
    assert abs(float(v[0])) < 1e-9 and abs(float(v[-1]) - 1) < 1e-9
    assert (v >= -1e-9).all() and (v <= 1 + 1e-9).all()
    assert (v[1:] - v[:-1] >= -1e-9).all()  # monotone


def test_unknown_easing_is_clear():
    with pytest.raises(UnknownNameError, match="cosine"):
        ease(0.5, "cosin")


# ------------------------------------------------------------------------------------- interpolate
def test_interpolate_through_keyframes():
    keys = torch.randn(3, 6)
    path = interpolate(keys, 9, method="lerp", easing="linear")
    z = path.tensor()
    assert z.shape == (9, 6)
    assert torch.allclose(z[0], keys[0]) and torch.allclose(z[4], keys[1], atol=1e-6) and torch.allclose(z[-1], keys[2])
    assert not path.loop


def test_interpolate_loop_is_seamless():
    model = ToyModel()
    path = interpolate(model, 40, keys=5, seed=3, loop=True, easing="linear")
    z = path.tensor()
    steps = (z[1:] - z[:-1]).norm(dim=1)
    wrap = (z[0] - z[-1]).norm()
    assert path.loop
    assert wrap <= steps.max() * 1.01  # the seam is no bigger than any other step
    # the seam step equals what frame T would be: back at the first keyframe
    assert torch.allclose(interpolate(model, 40, keys=5, seed=3, loop=True).tensor()[0], path.tensor()[0])


def test_interpolate_chunks_match_whole_and_seeds_are_deterministic():
    path = interpolate(16, 50, keys=4, seed=7)
    whole = path.tensor()
    parts = torch.cat([path.chunk(a, min(a + 7, 50)) for a in range(0, 50, 7)])
    assert torch.equal(whole, parts)
    assert torch.equal(interpolate(16, 50, keys=4, seed=7).tensor(), whole)
    assert not torch.equal(interpolate(16, 50, keys=4, seed=8).tensor(), whole)


def test_interpolate_identical_keyframes_and_single_key():
    key = torch.ones(4)
    z = interpolate([key, key, key], 10).tensor()
    assert torch.allclose(z, key.expand(10, -1))
    assert torch.allclose(interpolate(key[None], 5, loop=True).tensor(), key.expand(5, -1))
    assert interpolate(8, 1, keys=3).tensor().shape == (1, 8)


def test_interpolate_hold_rests_on_keys():
    keys = torch.stack([torch.zeros(2), torch.ones(2)])
    z = interpolate(keys, 21, easing="linear", hold=0.5, method="lerp").tensor()
    assert torch.equal(z[0], z[3]) and torch.equal(z[-1], z[-3])


@pytest.mark.parametrize("frames", [0, -3, 2.5, "10", None, True])
def test_bad_frame_counts(frames):
    with pytest.raises(InvalidInputError, match="frames"):
        interpolate(8, frames)


def test_nan_keyframes_rejected():
    keys = torch.randn(3, 4)
    keys[1, 2] = float("nan")
    with pytest.raises(InvalidInputError, match="NaN"):
        interpolate(keys, 10)
    with pytest.raises(InvalidInputError, match="NaN"):
        from_tensor(keys)


@PROPS
@given(
    frames=st.integers(1, 200),
    keys=st.integers(1, 8),
    dim=st.integers(1, 12),
    seed=st.integers(0, 2**64),
    loop=st.booleans(),
    method=st.sampled_from(["slerp", "lerp"]),
    easing=st.sampled_from(sorted(EASINGS)),
    hold=st.floats(0, 0.9),
)
def test_interpolate_property(frames, keys, dim, seed, loop, method, easing, hold):
    path = interpolate(dim, frames, keys=keys, seed=seed, loop=loop, method=method, easing=easing, hold=hold)
    z = path.tensor()
    assert z.shape == (frames, dim) and torch.isfinite(z).all()


# ----------------------------------------------------------------------------------------- loops
def test_noise_loop_is_seamless_and_typical():
    path = noise_loop(64, 120, seed=1, harmonics=4)
    z = path.tensor()
    steps = (z[1:] - z[:-1]).norm(dim=1)
    assert (z[0] - z[-1]).norm() < steps.max() * 1.5
    assert path.loop
    # marginal is N(0, I): the per-frame norm is about sqrt(D)
    assert abs(float(z.norm(dim=1).mean()) - 8.0) < 1.5
    # frame T would be frame 0
    assert torch.allclose(noise_loop(64, 120, seed=1, harmonics=4).chunk(0, 1), z[:1])


def test_circular_walk_keeps_norm_statistics_and_center():
    center = torch.full((16,), 2.0)
    z = circular_walk(16, 50, seed=0, radius=0.0, center=center).tensor()
    assert torch.allclose(z, center.expand(50, -1))
    w = circular_walk(16, 64, seed=2).tensor()
    assert w.shape == (64, 16) and torch.isfinite(w).all()


@PROPS
@given(frames=st.integers(1, 300), dim=st.integers(1, 32), harmonics=st.integers(1, 8), rough=st.floats(0, 1), seed=st.integers(0, 10**6))
def test_noise_loop_property(frames, dim, harmonics, rough, seed):
    z = noise_loop(dim, frames, seed=seed, harmonics=harmonics, roughness=rough).tensor()
    assert z.shape == (frames, dim) and torch.isfinite(z).all()


def test_loop_param_errors():
    with pytest.raises(InvalidInputError, match="harmonics"):
        noise_loop(8, 10, harmonics=0)
    with pytest.raises(InvalidInputError, match="roughness"):
        noise_loop(8, 10, roughness=float("nan"))
    with pytest.raises(InvalidInputError, match="radius"):
        circular_walk(8, 10, radius=-1)
    with pytest.raises(InvalidInputError, match="model"):
        noise_loop("vae", 10)


# ----------------------------------------------------------------------------------------- walks
def test_random_walk_bounded_seeded_and_smooth():
    a = random_walk(32, 500, seed=4, step=0.2, bound=1.5).tensor()
    b = random_walk(32, 500, seed=4, step=0.2, bound=1.5).tensor()
    assert torch.equal(a, b)
    assert a.abs().max() <= 1.5 + 1e-6
    assert (a[1:] - a[:-1]).abs().max() < 1.5  # steps are small (reflection preserves step sizes)
    start = torch.zeros(32)
    assert torch.equal(random_walk(32, 3, start=start).tensor()[0], start)


@PROPS
@given(frames=st.integers(1, 300), step=st.floats(1e-6, 1.0), bound=st.floats(1e-3, 1e3), seed=st.integers(0, 99))
def test_random_walk_property(frames, step, bound, seed):
    z = random_walk(4, frames, seed=seed, step=step, bound=bound).tensor()
    assert z.shape == (frames, 4) and torch.isfinite(z).all()
    assert float(z.abs().max()) <= bound * (1 + 1e-5) + 1e-5


def test_truncate_tensor_and_latents():
    z = torch.randn(10, 4)
    assert torch.allclose(truncate(z, 0.5), z * 0.5)
    mean = torch.ones(4)
    assert torch.allclose(truncate(z, 0.0, mean=mean), mean.expand(10, -1))
    lat = from_tensor(z)
    out = truncate(lat, 0.25)
    assert isinstance(out, Latents) and torch.allclose(out.tensor(), z * 0.25)
    assert torch.allclose(lat.truncate(0.5).tensor(), z * 0.5)
    assert truncate(z[0], 0.5).shape == (4,)
    for bad in (-0.1, float("nan"), 3.0):
        with pytest.raises(InvalidInputError, match="psi"):
            truncate(z, bad)


def test_attribute_vector_and_shift():
    z = torch.tensor([[1.0, 0.0], [3.0, 0.0], [0.0, 2.0], [0.0, 4.0]])
    labels = torch.tensor([3, 3, 8, 8])
    v = attribute_vector(z, labels, 3, 8)
    assert torch.allclose(v, torch.tensor([2.0, -3.0]))
    assert torch.allclose(attribute_vector(z, labels, 3), torch.tensor([2.0, 0.0]) - z.mean(0))
    with pytest.raises(InvalidInputError, match="no latent has label 5"):
        attribute_vector(z, labels, 5)
    with pytest.raises(InvalidInputError, match="labels"):
        attribute_vector(z, labels[:3], 3)
    path = from_tensor(torch.zeros(5, 2))
    ramp = shift(path, v, (0.0, 1.0)).tensor()
    assert torch.allclose(ramp[-1], v) and torch.allclose(ramp[0], torch.zeros(2))
    const = shift(path, v, 2.0).tensor()
    assert torch.allclose(const, (2 * v).expand(5, -1))


def test_latents_arithmetic_and_slicing():
    a = from_tensor(torch.arange(12.0).reshape(6, 2))
    b = from_tensor(torch.ones(6, 2))
    assert torch.equal((a + b).tensor(), a.tensor() + 1)
    assert torch.equal((a - torch.ones(2)).tensor(), a.tensor() - 1)
    assert torch.equal((2 * a).tensor(), a.tensor() * 2)
    assert torch.equal((a / 2).tensor(), a.tensor() / 2)
    assert torch.equal((-a).tensor(), -a.tensor())
    assert torch.equal(a[1:4].tensor(), a.tensor()[1:4])
    assert torch.equal(a[::2].tensor(), a.tensor()[::2])
    assert torch.equal(a[-1], a.tensor()[-1])
    assert torch.equal(a.reverse().tensor(), a.tensor().flip(0))
    pp = a.pingpong()
    assert len(pp) == 10 and pp.loop
    assert torch.equal(concat(a, b).tensor(), torch.cat([a.tensor(), b.tensor()]))
    with pytest.raises(InvalidInputError, match="shapes"):
        a + from_tensor(torch.ones(5, 2))
    with pytest.raises(InvalidInputError, match="divide"):
        a / 0
    with pytest.raises(InvalidInputError, match="empty"):
        a[3:3]


def test_grid_sweep_layout():
    grid = grid_sweep(8, 3, 4, extent=1.0, seed=1)
    z = grid.tensor()
    assert z.shape == (12, 8)
    # raster order: along a row only the first direction changes
    d_row = z[1] - z[0]
    assert torch.allclose(z[2] - z[1], d_row, atol=1e-6)
    snake = grid_sweep(8, 3, 4, extent=1.0, seed=1, order="snake").tensor()
    assert torch.allclose(snake[4], z[7]) and torch.allclose(snake[7], z[4])
    dirs = torch.stack([torch.eye(8)[0], torch.eye(8)[1]])
    g2 = grid_sweep(8, 2, 2, directions=dirs, extent=1.0).tensor()
    assert torch.allclose(g2[0, :2], torch.tensor([-1.0, 1.0]))
    with pytest.raises(InvalidInputError, match="order"):
        grid_sweep(8, 2, 2, order="spiral")
    assert grid_sweep(1, 2, 2).tensor().shape == (4, 1)


def test_class_sweep_labels_and_soft_vectors():
    model = ToyModel(num_classes=10)
    path = class_sweep(model, 25, classes=[0, 1, 2])
    labels = path.condition
    assert labels.tolist() == [0] * 9 + [1] * 8 + [2] * 8
    assert torch.allclose(path.tensor(), path.tensor()[0].expand(25, -1))
    soft = class_sweep(model, 30, blend=0.5, classes=[4, 5], loop=True)
    cond = soft.condition
    assert cond.shape == (30, 10) and torch.allclose(cond.sum(1), torch.ones(30))
    assert cond[0, 4] == 1.0 and 0 < cond[10, 5] < 1
    frames = (soft | model).tensor()
    assert frames.shape == (30, 1, 12, 12)
    with pytest.raises(InvalidInputError, match="class-conditional"):
        class_sweep(ToyModel(), 10)
    with pytest.raises(InvalidInputError, match="out of range"):
        class_sweep(model, 10, classes=[10])
    with pytest.raises(InvalidInputError, match="fewer"):
        class_sweep(model, 5)


# ---------------------------------------------------------------------------------------- images
def test_mnist_digits_shipped():
    images, labels = mnist_digits()
    assert images.shape == (100, 1, 28, 28) and images.dtype == torch.float32
    assert sorted(labels.tolist()) == sorted(list(range(10)) * 10)
    assert 0.0 <= float(images.min()) and float(images.max()) <= 1.0
    # real digits: dark background, bright strokes
    assert float(images[:, :, 0, :].mean()) < 0.05 and float(images.mean()) > 0.05
    imgs, labs = mnist_digits(digits=[3, 1, 4, 1])
    assert labs.tolist() == [3, 1, 4, 1] and not torch.equal(imgs[1], imgs[3])
    assert mnist_digits(12)[1].tolist() == [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1]
    with pytest.raises(InvalidInputError):
        mnist_digits(digits=[10])


def test_mnist_digits_match_the_real_test_set_when_available():
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "shared" / "datasets" / "mnist"
    import gzip

    import numpy as np
    from safetensors.numpy import load_file

    data = load_file(str(Path(ga.latent.images.__file__).with_name("data") / "mnist_test_digits.safetensors"))
    if not (root / "t10k-images-idx3-ubyte.gz").exists():
        # offline: the shipped file is self-consistent (indices increasing within each class)
        idx = data["test_index"]
        assert all(idx[i] < idx[i + 1] for i in range(99) if data["labels"][i] == data["labels"][i + 1])
        return
    raw = gzip.open(root / "t10k-images-idx3-ubyte.gz", "rb").read()
    test = np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(-1, 28, 28)
    assert np.array_equal(test[data["test_index"]], data["images"])


def test_load_images_from_files_and_folders(tmp_path):
    from PIL import Image

    arr = (torch.rand(40, 50, 3) * 255).to(torch.uint8).numpy()
    Image.fromarray(arr).save(tmp_path / "b.png")
    Image.fromarray(arr[..., 0]).save(tmp_path / "a.png")
    (tmp_path / "notes.txt").write_text("not an image")
    out = load_images(tmp_path, shape=(1, 28, 28))
    assert out.shape == (2, 1, 28, 28) and 0 <= float(out.min()) and float(out.max()) <= 1
    rgb = load_images(tmp_path / "b.png", shape=(3, 16, 16), invert=True)
    assert rgb.shape == (1, 3, 16, 16)
    assert load_images(torch.zeros(28, 28, dtype=torch.uint8)).shape == (1, 1, 28, 28)
    with pytest.raises(InvalidInputError, match="does not exist"):
        load_images(tmp_path / "missing.png")
    (tmp_path / "bad.png").write_bytes(b"garbage")
    with pytest.raises(InvalidInputError, match="cannot read image"):
        load_images(tmp_path / "bad.png")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(InvalidInputError, match="no images"):
        load_images(empty)
    with pytest.raises(InvalidInputError, match="NaN"):
        load_images(torch.full((2, 28, 28), float("nan")))


def test_encode_and_morph_through_real_digits():
    model = ToyModel(latent_dim=8, image_shape=(1, 28, 28))
    lat = encode(model, "mnist:3,1,4")
    assert lat.shape == (3, 8)
    path = morph(model, "mnist:3,1,4", 30, hold=0.2)
    assert len(path) == 30 and path.loop
    z = path.tensor()
    assert torch.allclose(z[0], lat.tensor()[0], atol=1e-5)
    frames = (path | model).tensor()
    assert frames.shape == (30, 1, 28, 28)

    class NoEncoder(ToyModel):
        _encode = ToyModel.__mro__[1]._encode  # the base class's: cannot encode

    with pytest.raises(InvalidInputError, match="cannot encode"):
        encode(NoEncoder(image_shape=(1, 28, 28)), "mnist")


def test_ops_are_registered():
    from genart_kit.registry import get_registry

    names = get_registry().names("op")
    for op in ("interpolate", "slerp", "lerp", "noise_loop", "random_walk", "truncate", "attribute_vector", "grid_sweep", "morph", "encode"):
        assert op in names
    assert get_registry().get("op", "slerp").resolve() is slerp
    assert get_registry().get("op", "interpolate").resolve() is ga.latent.interpolate


def test_errors_are_toolkit_errors():
    with pytest.raises(GenartError):
        interpolate(8, 10, method="cubic-spline")
    with pytest.raises(GenartError):
        from_tensor(torch.ones(2, 3, 4))
    with pytest.raises(GenartError):
        from_tensor([])
    lat = from_tensor(torch.ones(4, 2))
    with pytest.raises(InvalidInputError, match="labels"):
        lat.with_condition([1, 2])


@PROPS
@given(st.lists(st.lists(any_float, min_size=2, max_size=2), min_size=1, max_size=5), st.integers(1, 30))
def test_from_tensor_and_interpolate_property(rows, frames):
    t = torch.tensor(rows, dtype=torch.float32)
    assume(t.ndim == 2)
    try:
        z = interpolate(t, frames).tensor()
    except InvalidInputError as exc:
        assert not torch.isfinite(t).all() or t.abs().max() > 1e37, exc
        return
    assert z.shape == (frames, 2) and torch.isfinite(z).all()


def test_interpolate_model_with_explicit_keys():
    model = ToyModel()
    keys = torch.randn(3, 8)
    z = interpolate(model, 5, keys=keys, easing="linear").tensor()
    assert torch.allclose(z[0], keys[0]) and torch.allclose(z[-1], keys[-1])
    with pytest.raises(InvalidInputError, match="dimension 4, expected 8"):
        interpolate(model, 5, keys=torch.randn(3, 4))


def test_readme_positional_forms_and_sketch_easings():
    import importlib.util
    from pathlib import Path

    import genart_kit as ga
    from genart_kit.latent.interpolation import EASINGS

    fb = ga.render.feedback(1.02, 2, 0.9)
    assert (fb.zoom, fb.rotate, fb.decay) == (1.02, 2, 0.9)
    import inspect
    params = inspect.signature(ga.latent.class_sweep).parameters
    assert params["classes"].kind is inspect.Parameter.POSITIONAL_OR_KEYWORD
    spec = importlib.util.spec_from_file_location("lw", Path(__file__).resolve().parents[1] / "sketches" / "latent_walk.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    assert set(mod.PARAMS["easing"].choices) == set(EASINGS)
