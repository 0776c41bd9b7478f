"""The contracts as code (genart_kit.contracts): typed runtime-checkable protocols the core checks with
isinstance, met by the first-party parts and by duck-typed third-party objects alike."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import torch

import genart_kit as ga
from genart_kit import contracts, hookimpl, registry
from genart_kit.cli import main
from genart_kit.errors import InvalidInputError, PluginError

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "mnist_small"


def test_contracts_import_no_torch():
    code = "import sys, genart_kit.contracts as c; assert 'torch' not in sys.modules; print(sorted(c.__all__))"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert proc.returncode == 0, proc.stderr
    for name in ("Model", "Renderer", "Op", "Exporter", "Conditioner", "TrainingStep"):
        assert name in proc.stdout


def test_every_protocol_is_runtime_checkable_and_documented():
    for name in contracts.__all__:
        proto = getattr(contracts, name)
        assert getattr(proto, "_is_runtime_protocol", False), name
        assert proto.__doc__ and len(proto.__doc__) > 40, name


def test_first_party_parts_meet_their_contracts():
    vae = ga.model("vae")
    assert isinstance(vae, contracts.Model) and isinstance(vae, contracts.LatentDecoder)
    assert isinstance(vae, contracts.Trainable)
    assert isinstance(vae.training_step(), contracts.TrainingStep)
    cmap = ga.render.colormap("magma")
    assert isinstance(cmap, contracts.Renderer) and isinstance(cmap, contracts.Uint8Renderer)
    assert isinstance(ga.render.gamma(1.5), contracts.Renderer)
    assert not isinstance(ga.render.gamma(1.5), contracts.Uint8Renderer)
    assert isinstance(registry.load("exporter", "gif"), contracts.Exporter)
    assert isinstance(registry.load("op", "slerp"), contracts.Op)
    assert not isinstance(vae, contracts.Exporter) and not isinstance(cmap, contracts.LatentDecoder)


class _Encoder:
    def encode(self, texts):
        return torch.zeros(len(texts), 4)


class _Conditioner(_Encoder):
    def condition(self, texts, spec):
        return torch.zeros(len(texts), spec.size)


def test_conditioner_needs_encode_and_condition():
    assert isinstance(_Encoder(), contracts.TextEncoder)
    assert not isinstance(_Encoder(), contracts.Conditioner)
    assert isinstance(_Conditioner(), contracts.Conditioner)


class _DuckDecoder:
    """Not a GenerativeModel, not an nn.Module: latents [N, 2] -> frames [N, 1, 4, 4]."""

    latent_dim = 2
    image_shape = (1, 4, 4)
    name = "duck"

    def decode(self, z, condition=None):
        return torch.sigmoid(z[:, :1, None, None]).expand(-1, 1, 4, 4).clone()


class _DuckWriter:
    """Not registered: an object with write(), piped into a clip."""

    def __init__(self, path):
        self.path, self.frames = path, 0

    def write(self, path, batches, *, fps, total_frames=None, recipe=None, **options):
        self.frames = sum(b.shape[0] for b in batches)
        return Path(path)


def test_the_pipe_tells_models_and_exporters_by_their_contract(tmp_path):
    duck = _DuckDecoder()
    assert isinstance(duck, contracts.LatentDecoder)
    clip = ga.latent.from_tensor(torch.zeros(3, 2)) | duck
    assert clip.shape == (3, 1, 4, 4) and clip.models() == ["duck"]
    with pytest.raises(InvalidInputError, match="already decoded"):
        clip | duck
    writer = _DuckWriter(tmp_path / "duck.out")
    assert isinstance(writer, contracts.Exporter)
    assert (clip | writer) == tmp_path / "duck.out"  # piping into a writer saves through it
    assert writer.frames == 3


class ClassExporterPlugin:
    """An exporter registered as a class (instantiated on load) and one whose loader is no writer."""

    class Counter:
        def write(self, path, batches, *, fps, total_frames=None, recipe=None, **options):
            Path(path).write_text(str(sum(b.shape[0] for b in batches)))
            return Path(path)

    @hookimpl
    def register_exporters(self, register):
        register("counter", self.Counter, description="counts frames", suffixes=(".count",))
        register("nowriter", lambda: None, description="not a writer", suffixes=(".nowriter",))


def test_clip_save_uses_the_same_load_rule_as_the_registry(tmp_path):
    with registry.isolated(ClassExporterPlugin()) as reg:
        assert not reg.plugins.problems()
        clip = ga.latent.from_tensor(torch.zeros(4, 2)) | _DuckDecoder()
        out = clip.save(tmp_path / "x.count", fps=10)  # a class exporter: instantiated, as Registry.load does
        assert out.read_text() == "4"
        with pytest.raises(PluginError, match="no write"):
            clip.save(tmp_path / "x.nowriter", fps=10)


class _NoStep:
    modules = {}

    def __call__(self, images, labels):
        return {}


def _bad_step_plugin():
    from genart_kit.generative import GenerativeModel
    from genart_kit.options import Option

    class Net(GenerativeModel):
        def __init__(self, image_shape=(1, 28, 28)):
            super().__init__()
            self.latent_dim, self.image_shape, self.name = 2, tuple(image_shape), "badstep"
            self.lin = torch.nn.Linear(2, 2)
            self.config = {"architecture": "badstep", "image_shape": list(self.image_shape)}

        def _decode(self, z, condition):
            return torch.zeros(z.shape[0], *self.image_shape)

        def training_step(self, lr=None):
            return _NoStep()  # no optimizers, no wrap

    class Plugin:
        @hookimpl
        def register_models(self, register):
            register("badstep", lambda checkpoint=None, device=None, **o: Net(**o), latent_dim=2,
                     image_shape=(1, 28, 28), ready=False, trainable=True,
                     options=[Option("image_shape", tuple, (1, 28, 28), "from the data", cli=False)])

    return Plugin()


def test_genart_train_checks_the_training_step_contract(tmp_path, capsys):
    with registry.isolated(_bad_step_plugin()):
        status = main(["train", "badstep", "--data-dir", str(FIXTURE), "--steps", "1", "--batch-size", "8",
                       "--out", str(tmp_path / "run"), "--quiet", "--device", "cpu"])
    err = capsys.readouterr().err
    assert status == 1, err
    assert "training_step() returned _NoStep, which lacks optimizers, wrap" in err
    assert "genart_kit.contracts.TrainingStep" in err
