"""`genart sample`: PNG grids and .npy arrays, identical bytes for the same seed, labels, checkpoints of
trained architectures, shipped models, and the error paths."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from genart_kit.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "mnist_small"


@pytest.fixture(scope="module")
def tiny_checkpoints(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Tiny gan/cgan/vae/cvae trained for 2 steps on the real-MNIST fixture."""
    import os

    base = tmp_path_factory.mktemp("ckpt")
    old = os.environ.get("GENART_CACHE_DIR")
    os.environ["GENART_CACHE_DIR"] = str(base / "cache")
    try:
        out = {}
        for arch, opts in (("gan", ["--width", "4", "--latent-dim", "8"]), ("cgan", ["--width", "4", "--latent-dim", "8"]),
                           ("vae", ["--width", "4", "--hidden", "8", "--latent-dim", "4"]),
                           ("cvae", ["--width", "4", "--hidden", "8", "--latent-dim", "4"])):
            assert main(["train", arch, "--data-dir", str(FIXTURE), "--steps", "2", "--batch-size", "16", "--quiet",
                         "--out", str(base / arch), *opts]) == 0
            out[arch] = base / arch / "model.safetensors"
    finally:
        if old is None:
            os.environ.pop("GENART_CACHE_DIR", None)
        else:
            os.environ["GENART_CACHE_DIR"] = old
    return out


@pytest.mark.parametrize("arch", ["gan", "vae"])
def test_png_grid_same_seed_same_bytes(tmp_path: Path, tiny_checkpoints: dict[str, Path], arch: str) -> None:
    ck = str(tiny_checkpoints[arch])
    a, b, c = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "c.png"
    assert main(["sample", arch, "--checkpoint", ck, "-n", "9", "--seed", "4", "-o", str(a)]) == 0
    assert main(["sample", arch, "--checkpoint", ck, "-n", "9", "--seed", "4", "-o", str(b)]) == 0
    assert main(["sample", arch, "--checkpoint", ck, "-n", "9", "--seed", "5", "-o", str(c)]) == 0
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()
    with Image.open(a) as im:
        assert im.mode == "L" and im.size == (3 * 30 + 2, 3 * 30 + 2)  # 3x3 grid of 28 px + 2 px padding


def test_npy_array_matches_decode(tmp_path: Path, tiny_checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    from genart_kit.registry import get_registry

    out = tmp_path / "s.npy"
    assert main(["sample", "vae", "--checkpoint", str(tiny_checkpoints["vae"]), "-n", "5", "--seed", "2", "-o", str(out)]) == 0
    arr = np.load(out)
    assert arr.shape == (5, 28, 28) and arr.dtype == np.uint8
    assert f"wrote {out} (uint8 array [5, 28, 28])" in capsys.readouterr().out  # the array's own shape
    assert main(["sample", "vae", "--checkpoint", str(tiny_checkpoints["vae"]), "-n", "5", "-o", str(tmp_path / "s.png")]) == 0
    assert "(grid of 5 images, 1x28x28)" in capsys.readouterr().out
    model = get_registry().load("model", "vae", checkpoint=str(tiny_checkpoints["vae"]), device="cpu")
    frames = model.decode(model.sample_latents(5, seed=2))
    expected = (frames[:, 0] * 255 + 0.5).clamp(0, 255).to(torch.uint8).numpy()
    assert np.array_equal(arr, expected)


def test_rgb_npy_is_nhwc(tmp_path: Path) -> None:
    from genart_kit.commands.sample import write_samples

    frames = torch.rand(3, 3, 32, 32)
    arr = np.load(write_samples(frames, tmp_path / "rgb.npy"))
    assert arr.shape == (3, 32, 32, 3) and arr.dtype == np.uint8
    assert arr[1, 4, 5, 2] == int(frames[1, 2, 4, 5] * 255 + 0.5)
    with Image.open(write_samples(frames, tmp_path / "rgb.png")) as im:
        assert im.mode == "RGB"


@pytest.mark.parametrize("arch", ["cgan", "cvae"])
def test_labels_for_conditional_models(tmp_path: Path, tiny_checkpoints: dict[str, Path], arch: str) -> None:
    ck = str(tiny_checkpoints[arch])
    assert main(["sample", arch, "--checkpoint", ck, "-n", "4", "--label", "7", "-o", str(tmp_path / "7.npy")]) == 0
    assert main(["sample", arch, "--checkpoint", ck, "-n", "4", "--label", "2", "-o", str(tmp_path / "2.npy")]) == 0
    assert not np.array_equal(np.load(tmp_path / "7.npy"), np.load(tmp_path / "2.npy"))
    # without --label the samples cycle through the labels 0, 1, 2, ...
    assert main(["sample", arch, "--checkpoint", ck, "-n", "3", "-o", str(tmp_path / "all.npy")]) == 0
    assert main(["sample", arch, "--checkpoint", ck, "-n", "3", "--label", "2", "-o", str(tmp_path / "two.npy")]) == 0
    assert np.array_equal(np.load(tmp_path / "all.npy")[2], np.load(tmp_path / "two.npy")[2])


def test_error_paths(tmp_path: Path, tiny_checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    def err(*argv: str) -> str:
        assert main(["sample", *argv]) == 1
        text = capsys.readouterr().err
        assert text.startswith("genart: error: ") and "Traceback" not in text
        return text

    assert "not conditional; drop --label" in err("gan", "--checkpoint", str(tiny_checkpoints["gan"]), "--label", "3", "-o", str(tmp_path / "x.png"))
    assert "labels must be 0..9" in err("cgan", "--checkpoint", str(tiny_checkpoints["cgan"]), "--label", "12", "-o", str(tmp_path / "x.png"))
    assert ".png (grid) or .npy" in err("vae", "--checkpoint", str(tiny_checkpoints["vae"]), "-o", str(tmp_path / "x.jpg"))
    assert "architecture 'vae', not 'gan'" in err("gan", "--checkpoint", str(tiny_checkpoints["vae"]), "-o", str(tmp_path / "x.png"))
    assert "does not exist" in err("vae", "--checkpoint", str(tmp_path / "none.safetensors"), "-o", str(tmp_path / "x.png"))
    assert "unknown model 'vea-mnist'" in err("vea-mnist", "-o", str(tmp_path / "x.png"))
    assert "-n must be >= 1" in err("vae", "-n", "0", "-o", str(tmp_path / "x.png"))
    assert not (tmp_path / "x.png").exists() and not (tmp_path / "x.jpg").exists()


@pytest.mark.parametrize("name", ["gan-mnist", "cgan-mnist", "vae-mnist", "cvae-mnist"])
def test_shipped_models_sample_reproducibly(tmp_path: Path, name: str) -> None:
    a, b = tmp_path / "a.npy", tmp_path / "b.npy"
    extra = ["--label", "4"] if name.startswith("c") else []
    assert main(["sample", name, "-n", "16", "--seed", "11", *extra, "-o", str(a)]) == 0
    assert main(["sample", name, "-n", "16", "--seed", "11", *extra, "-o", str(b)]) == 0
    assert a.read_bytes() == b.read_bytes()
    arr = np.load(a)
    assert arr.shape == (16, 28, 28) and arr.dtype == np.uint8
    assert 5 < arr.mean() < 90  # digits on a dark background


# ------------------------------------------------------------------ QA: bad input gets a clear error
@pytest.mark.parametrize("argv, needle", [
    (["vae-mnist", "-n", "100000000", "-o", "a.png"], "too large"),
    (["vae-mnist", "-n", "5000", "-o", "a.png"], "use .npy"),
    (["vae-mnist", "-n", "4", "--nrow", "-3", "-o", "a.png"], "--nrow"),
    (["vae-mnist", "-n", "4", "--nrow", "0", "-o", "a.png"], "--nrow"),
    (["vae-mnist", "-n", "4", "--device", "meta", "-o", "a.png"], "available here"),
    (["vae-mnist", "-n", "4", "--device", "mps", "-o", "a.png"], "available here"),
    (["vae-mnist", "-n", "4", "--device", "garbage!", "-o", "a.png"], "available here"),
    (["vae-mnist", "-n", "4", "--device", "cuda:99", "-o", "a.png"], "cuda"),
    (["vae", "-n", "4", "-o", "a.png"], "--checkpoint"),
])
def test_sample_bad_input_is_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture[str], argv: list[str], needle: str,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["sample", *argv]) == 1
    err = capsys.readouterr().err
    assert err.startswith("genart: error:") and needle in err and "Traceback" not in err
    assert not list(tmp_path.iterdir())


def test_sample_npy_is_written_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from genart_kit.commands import sample

    monkeypatch.setattr(sample, "CHUNK", 3)
    assert main(["sample", "vae-mnist", "-n", "7", "--seed", "1", "-o", str(tmp_path / "a.npy")]) == 0
    monkeypatch.setattr(sample, "CHUNK", 1024)
    assert main(["sample", "vae-mnist", "-n", "7", "--seed", "1", "-o", str(tmp_path / "b.npy")]) == 0
    a = np.load(tmp_path / "a.npy")
    assert a.shape == (7, 28, 28) and a.dtype == np.uint8
    assert (tmp_path / "a.npy").read_bytes() == (tmp_path / "b.npy").read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.npy", "b.npy"]


def test_sample_nan_weights_is_an_error(tmp_path: Path, tiny_checkpoints: dict[str, Path], capsys: pytest.CaptureFixture[str]) -> None:
    from genart_kit.checkpoint import load_checkpoint, save_checkpoint

    tensors, config = load_checkpoint(tiny_checkpoints["vae"])
    name = sorted(tensors)[0]
    tensors[name] = torch.full_like(tensors[name], float("nan"))
    bad = save_checkpoint(tmp_path / "nan.safetensors", tensors, config)
    assert main(["sample", "vae", "--checkpoint", str(bad), "-n", "4", "-o", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert "non-finite" in err and name in err
    assert not (tmp_path / "x.png").exists()


def test_cvae_label_sampling_uses_the_standard_normal_prior(tmp_path: Path) -> None:
    from genart_kit.registry import get_registry

    model = get_registry().load("model", "cvae-mnist", device="cpu")
    z = model.sample_latents(16, seed=3)
    assert z.shape == (16, model.latent_dim) and abs(float(z.std()) - 1.0) < 0.35  # p(z|y) = N(0, I), no truncation
    expected = (model.decode(z, torch.full((16,), 7, dtype=torch.long)) * 255 + 0.5).clamp(0, 255).to(torch.uint8)
    assert main(["sample", "cvae-mnist", "--label", "7", "-n", "16", "--seed", "3", "-o", str(tmp_path / "s.npy")]) == 0
    assert np.array_equal(np.load(tmp_path / "s.npy"), expected[:, 0].numpy())


def test_a_ready_model_without_weights_samples_and_an_unready_one_needs_a_checkpoint(tmp_path, capsys, monkeypatch):
    """`ready` is what a model is, whatever its kind: a procedural model with no weights samples; the older
    `pretrained=False` still means 'needs a checkpoint'."""
    import importlib.metadata as md
    import textwrap

    from genart_kit import registry
    from genart_kit.cli import main
    from genart_kit.plugins import PluginManager

    (tmp_path / "genart_proc.py").write_text(textwrap.dedent('''
        import torch
        from genart_kit import hookimpl
        from genart_kit.generative import GenerativeModel

        class Stripes(GenerativeModel):
            latent_dim, image_shape, name = 2, (1, 8, 8), "stripes"
            def _decode(self, z, condition):
                x = torch.linspace(0, 1, 8)
                return (torch.sin(z[:, :1, None, None] * 6 + x[None, None, None, :] * 9) * 0.5 + 0.5).expand(-1, 1, 8, 8)

        def load(checkpoint=None, device=None):
            return Stripes()

        @hookimpl
        def register_models(register):
            register("stripes", load, latent_dim=2, image_shape=(1, 8, 8), ready=True)
            register("old-arch", load, latent_dim=2, image_shape=(1, 8, 8), pretrained=False)
    '''), encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    ep = md.EntryPoint(name="proc", value="genart_proc", group="genart_kit")
    monkeypatch.setattr(registry, "_registry", registry.Registry(PluginManager(entry_points=[ep])))
    assert main(["sample", "stripes", "-n", "4", "-o", str(tmp_path / "s.npy")]) == 0
    import numpy as np

    arr = np.load(tmp_path / "s.npy")
    assert arr.shape == (4, 8, 8) and arr.std() > 10
    capsys.readouterr()
    assert main(["sample", "old-arch", "-n", "4", "-o", str(tmp_path / "o.npy")]) == 1
    assert "needs a checkpoint" in capsys.readouterr().err
    assert main(["list", "models"]) == 0
    out = capsys.readouterr().out
    assert "stripes" in out and "ready" in out and "needs checkpoint" in out
