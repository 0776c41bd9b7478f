"""`genart train --resume` refuses a checkpoint missing any part of its training state, naming the part, and
never resumes silently from a damaged file (issue 15): optimizer moments, RNG state, counters, param groups,
history."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from safetensors.torch import load_file, save_file

from genart_kit.checkpoint import META_KEY
from genart_kit.cli import main

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "mnist_small"
TINY_VAE = ["--width", "4", "--hidden", "16", "--latent-dim", "4"]


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))


def train(out: Path, *extra: str) -> int:
    return main(["train", "vae", "--data-dir", str(FIXTURE), "--steps", "4", "--batch-size", "32", "--seed", "1",
                 "--out", str(out), *TINY_VAE, "--quiet", *extra])


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("run") / "r"
    assert main(["train", "vae", "--data-dir", str(FIXTURE), "--steps", "2", "--batch-size", "32", "--seed", "1",
                 "--out", str(out), *TINY_VAE, "--quiet"]) == 0
    return out


def damage(src: Path, dst: Path, tensors_fn=None, config_fn=None) -> Path:
    from safetensors import safe_open

    with safe_open(str(src / "checkpoint.safetensors"), "pt") as f:
        meta = f.metadata()
    tensors = load_file(str(src / "checkpoint.safetensors"))
    config = json.loads(meta[META_KEY])
    if tensors_fn:
        tensors = tensors_fn(tensors)
    if config_fn:
        config_fn(config)
    dst.mkdir(parents=True)
    for p in src.iterdir():
        if p.name not in ("checkpoint.safetensors", ".genart-train.lock"):
            (dst / p.name).write_bytes(p.read_bytes())
    save_file(tensors, str(dst / "checkpoint.safetensors"), metadata={**meta, META_KEY: json.dumps(config)})
    return dst


def _drop(prefix):
    return lambda t: {k: v for k, v in t.items() if not k.startswith(prefix)}


def _set_state(key, value):
    def fn(config):
        config["state"][key] = value
    return fn


CASES = {
    "no optimizer moments": (_drop("optim."), None, "optimizer 'vae'"),
    "one moment missing": (lambda t: {k: v for k, v in t.items() if k != "optim.vae.0.exp_avg_sq"}, None, "optim.vae.0.exp_avg_sq"),
    "no RNG": (_drop("rng."), None, "RNG state"),
    "short RNG": (lambda t: {**t, "rng.torch.0": t["rng.torch.0"][:100]}, None, "RNG state"),
    "epoch not a number": (None, _set_state("epoch", "x"), "state.epoch"),
    "negative step": (None, _set_state("step", -3), "state.step"),
    "state not an object": (None, lambda c: c.__setitem__("state", [1]), "state"),
    "param_groups not a list": (None, lambda c: c["state"]["optimizers"]["vae"].__setitem__("param_groups", "x"), "param_groups"),
    "2-D history": (lambda t: {**t, "history.loss": t["history.loss"].view(1, -1)}, None, "history.loss"),
}


@pytest.mark.parametrize("case", list(CASES))
def test_damaged_checkpoint_is_refused_naming_the_part(run: Path, tmp_path: Path, capsys, case):
    tensors_fn, config_fn, named = CASES[case]
    out = damage(run, tmp_path / "d", tensors_fn, config_fn)
    before = (out / "checkpoint.safetensors").read_bytes()
    assert train(out, "--resume") == 1
    err = capsys.readouterr().err
    assert named in err and "Traceback" not in err, err
    assert (out / "checkpoint.safetensors").read_bytes() == before  # nothing overwritten


def test_intact_checkpoint_still_resumes(run: Path, tmp_path: Path):
    out = damage(run, tmp_path / "ok")
    assert train(out, "--resume") == 0


def test_fifo_checkpoint_is_refused_not_waited_on(tmp_path: Path, capsys):
    fifo = tmp_path / "pipe.safetensors"
    os.mkfifo(fifo)
    assert main(["sample", "vae", "--checkpoint", str(fifo), "-n", "1", "-o", str(tmp_path / "x.png")]) == 1
    err = capsys.readouterr().err
    assert "not a regular file" in err
