"""`genart train`: runs on the real-MNIST fixture and on image folders, writes grids/curves/checkpoints,
is deterministic, resumes exactly, saves on Ctrl-C, runs under torchrun with 2 DDP processes, and fails
clearly without data."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from genart_kit.checkpoint import load_checkpoint, model_state
from genart_kit.cli import main
from genart_kit.errors import DatasetError

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "fixtures" / "mnist_small"
TINY_VAE = ["--width", "4", "--hidden", "16", "--latent-dim", "4"]
TINY_GAN = ["--width", "4", "--latent-dim", "8"]


@pytest.fixture(autouse=True)
def _cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path_factory.getbasetemp() / "cache"))
    monkeypatch.delenv("GENART_DATA_DIR", raising=False)


def train(*args: str) -> int:
    return main(["train", *args, "--quiet"])


def weights(path: Path) -> dict[str, torch.Tensor]:
    return model_state(load_checkpoint(path)[0])


def test_vae_training_writes_the_run_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    assert train("vae", "--data", "mnist", "--data-dir", str(FIXTURE), "--epochs", "2", "--batch-size", "32",
                 "--binarize", "--seed", "3", "--out", str(out), *TINY_VAE) == 0
    assert "done: 12 steps, 2 epochs" in capsys.readouterr().out  # 200 images // 32 = 6 steps per epoch
    names = {p.name for p in out.iterdir()}
    assert {"checkpoint.safetensors", "model.safetensors", "samples_epoch001.png", "samples_epoch002.png",
            "losses.png", "train.json"} <= names
    assert not [n for n in names if n.endswith(".tmp")]
    tensors, config = load_checkpoint(out / "checkpoint.safetensors")
    assert config["architecture"] == "vae" and config["model_config"]["binarize"] is True
    assert config["command"] == ("genart train vae --data-dir " + str(FIXTURE) + " --epochs 2 --batch-size 32 --seed 3 "
                                 "--out " + str(out) + " --latent-dim 4 --width 4 --hidden 16 --binarize")
    assert config["invocations"] == [config["command"]]
    assert config["training"]["dataset"] == "mnist" and config["training"]["seed"] == 3
    assert config["state"]["step"] == 12 and len(tensors["history.loss"]) == 12
    assert "optim.vae.0.exp_avg" in tensors and "rng.torch.0" in tensors
    hist = tensors["history.loss"]
    assert hist[-3:].mean() < hist[:3].mean()  # it learns
    _, mconfig = load_checkpoint(out / "model.safetensors")
    assert mconfig["command"] == config["command"] and "state" not in mconfig
    summary = json.loads((out / "train.json").read_text())
    assert summary["step"] == 12 and summary["images_per_second"] > 0
    from PIL import Image

    with Image.open(out / "samples_epoch002.png") as im:
        assert im.mode == "L" and im.size == (8 * 30 + 2, 8 * 30 + 2)


def test_same_seed_same_weights_other_seed_other_weights(tmp_path: Path) -> None:
    common = ["cgan", "--data", "mnist", "--data-dir", str(FIXTURE), "--steps", "4", "--batch-size", "16", *TINY_GAN]
    assert train(*common, "--seed", "5", "--out", str(tmp_path / "a")) == 0
    assert train(*common, "--seed", "5", "--out", str(tmp_path / "b")) == 0
    assert train(*common, "--seed", "6", "--out", str(tmp_path / "c")) == 0
    a, b, c = (weights(tmp_path / x / "model.safetensors") for x in "abc")
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert any(not torch.equal(a[k], c[k]) for k in a)
    assert (tmp_path / "a" / "samples_epoch001.png").read_bytes() == (tmp_path / "b" / "samples_epoch001.png").read_bytes()


@pytest.mark.parametrize("arch,tiny", [("gan", TINY_GAN), ("vae", TINY_VAE)])
def test_resume_continues_exactly(tmp_path: Path, arch: str, tiny: list[str]) -> None:
    """8 steps in one go == 3 steps, stop, --resume to 8 (across an epoch boundary: 6 steps per epoch)."""
    common = [arch, "--data", "mnist", "--data-dir", str(FIXTURE), "--epochs", "2", "--batch-size", "32", "--seed", "1", *tiny]
    assert train(*common, "--steps", "8", "--out", str(tmp_path / "full")) == 0
    assert train(*common, "--steps", "3", "--out", str(tmp_path / "part")) == 0
    assert load_checkpoint(tmp_path / "part" / "checkpoint.safetensors")[1]["state"]["step"] == 3
    assert train(*common, "--steps", "8", "--out", str(tmp_path / "part"), "--resume") == 0
    full, part = load_checkpoint(tmp_path / "full" / "checkpoint.safetensors"), load_checkpoint(tmp_path / "part" / "checkpoint.safetensors")
    assert part[1]["state"]["step"] == 8
    # the recorded command reproduces the weights from scratch; the actual invocations are kept too
    assert part[1]["command"] == full[1]["command"].replace(str(tmp_path / "full"), str(tmp_path / "part"))
    assert [c.split(" --steps ")[1].split(" ")[0] for c in part[1]["invocations"]] == ["3", "8"]
    assert part[1]["invocations"][1].endswith("--resume") and part[1]["training"]["resume"] is True
    for k, v in full[0].items():
        assert torch.equal(v, part[0][k]), k  # weights, optimizer moments, RNG state and loss history


def test_resume_adds_generator_averaging_exactly(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """3 steps without --ema, then --resume --ema --ema-start 3 to 8 == 8 steps from scratch with the same
    options; the recorded command reproduces it; averaging cannot start in the past or be dropped."""
    common = ["gan", "--data-dir", str(FIXTURE), "--epochs", "2", "--batch-size", "32", "--seed", "1", *TINY_GAN]
    ema = ["--ema", "0.9", "--ema-start", "3"]
    assert train(*common, *ema, "--steps", "8", "--out", str(tmp_path / "full")) == 0
    assert train(*common, "--steps", "3", "--out", str(tmp_path / "part")) == 0
    assert train(*common, "--ema", "0.9", "--ema-start", "2", "--steps", "8", "--out", str(tmp_path / "part"), "--resume") == 1
    assert "pass --ema 0.9 --ema-start 3" in capsys.readouterr().err
    assert train(*common, *ema, "--steps", "8", "--out", str(tmp_path / "part"), "--resume") == 0
    full, part = load_checkpoint(tmp_path / "full" / "checkpoint.safetensors"), load_checkpoint(tmp_path / "part" / "checkpoint.safetensors")
    assert part[1]["model_config"]["ema"] == 0.9 and part[1]["model_config"]["ema_start"] == 3
    assert part[1]["command"] == full[1]["command"].replace(str(tmp_path / "full"), str(tmp_path / "part"))
    assert part[1]["command"].endswith(" --ema 0.9 --ema-start 3")
    assert int(part[0]["generator_steps"]) == 8 and int(part[0]["ema_updates"]) == 5
    for k, v in full[0].items():
        assert torch.equal(v, part[0][k]), k
    capsys.readouterr()
    assert train(*common, "--steps", "9", "--out", str(tmp_path / "part"), "--resume") == 1  # --ema forgotten
    err = capsys.readouterr().err
    assert "other options (--ema 0.9 -> default, --ema-start 3 -> 0)" in err
    assert "Resume with the run's own options: genart train gan " in err and " --ema 0.9 --ema-start 3" in err
    assert train(*common, "--ema-start", "3", "--steps", "9", "--out", str(tmp_path / "x")) == 1
    assert "--ema-start needs --ema" in capsys.readouterr().err


def test_resume_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r"
    assert train("vae", "--data-dir", str(FIXTURE), "--steps", "1", "--batch-size", "32", "--out", str(out), "--resume") == 1
    assert "no checkpoint" in capsys.readouterr().err
    assert train("vae", "--data-dir", str(FIXTURE), "--steps", "1", "--batch-size", "32", "--out", str(out), *TINY_VAE) == 0
    assert train("gan", "--data-dir", str(FIXTURE), "--steps", "2", "--batch-size", "32", "--out", str(out), "--resume") == 1
    assert "'vae' run, not 'gan'" in capsys.readouterr().err
    assert train("vae", "--data-dir", str(FIXTURE), "--steps", "2", "--batch-size", "32", "--out", str(out), "--resume",
                 "--width", "4", "--hidden", "16", "--latent-dim", "5") == 1
    assert "other options (--latent-dim 4 -> 5);" in capsys.readouterr().err  # only what differs


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stop_signal_saves_a_checkpoint_between_steps_and_resume_is_exact(tmp_path: Path, signum: int) -> None:
    """A real Ctrl-C / SIGTERM to a running `genart train`: exit 128 + signal, checkpoint saved at an
    iteration boundary (resuming it gives exactly the weights of an uninterrupted run)."""
    out = tmp_path / "run"
    opts = ["--data-dir", str(FIXTURE), "--batch-size", "8", "--epochs", "1000", "--seed", "4", *TINY_VAE]
    cmd = [sys.executable, "-m", "genart_kit", "train", "vae", *opts, "--checkpoint-every", "5", "--out", str(out), "--quiet"]
    # the same thread count as the in-process runs below: float reductions (and so the weights) depend on it
    env = dict(os.environ, OMP_NUM_THREADS=str(torch.get_num_threads()))
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # as in a terminal
    try:
        while not (out / "checkpoint.safetensors").exists():  # training has really started
            assert proc.poll() is None, proc.communicate()
            time.sleep(0.2)
        proc.send_signal(signum)
        stdout, stderr = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + signum, stderr
    assert "interrupted, checkpoint saved" in stdout
    assert "Traceback" not in stderr
    _, config = load_checkpoint(out / "checkpoint.safetensors")
    stopped = config["state"]["step"]
    assert stopped >= 5 and config["state"]["pos"] == stopped % 25  # 200 images // 8 = 25 steps per epoch
    assert train("vae", *opts, "--out", str(out), "--steps", str(stopped + 3), "--resume") == 0
    assert train("vae", *opts, "--out", str(tmp_path / "straight"), "--steps", str(stopped + 3)) == 0
    resumed, straight = load_checkpoint(out / "checkpoint.safetensors"), load_checkpoint(tmp_path / "straight" / "checkpoint.safetensors")
    assert resumed[1]["state"]["step"] == stopped + 3
    for k, v in straight[0].items():
        assert torch.equal(v, resumed[0][k]), k


def test_graceful_stop_sets_a_flag_and_a_second_ctrl_c_raises() -> None:
    seen: list[int] = []
    outer = signal.signal(signal.SIGINT, signal.default_int_handler)  # as in a terminal, even under a background job
    before = signal.getsignal(signal.SIGINT)
    try:
        _graceful_stop_checks(seen, before)
    finally:
        signal.signal(signal.SIGINT, outer)


def _graceful_stop_checks(seen: list[int], before: object) -> None:
    from genart_kit.training.stop import GracefulStop

    with GracefulStop(on_first=seen.append) as stop:
        assert not stop.requested
        os.kill(os.getpid(), signal.SIGTERM)
        assert stop.requested and stop.signum == signal.SIGTERM and seen == [signal.SIGTERM]
        with pytest.raises(KeyboardInterrupt):
            os.kill(os.getpid(), signal.SIGINT)
    assert signal.getsignal(signal.SIGINT) is before  # handlers restored

    old_hup = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # as under nohup
    try:
        with GracefulStop() as stop:
            os.kill(os.getpid(), signal.SIGHUP)
            assert not stop.requested  # still ignored: nohup keeps protecting the run
    finally:
        signal.signal(signal.SIGHUP, old_hup)


def test_ddp_two_cpu_processes_with_torchrun(tmp_path: Path) -> None:
    """torchrun --nproc_per_node=2: gloo DDP, sharded data, rank 0 writes; GAN (two nets) and VAE."""
    torchrun = Path(sys.executable).with_name("torchrun")
    env = dict(os.environ, OMP_NUM_THREADS="1", GENART_CACHE_DIR=os.environ["GENART_CACHE_DIR"])
    for arch, tiny in (("cgan", TINY_GAN), ("vae", TINY_VAE)):
        out = tmp_path / arch
        cmd = [str(torchrun), "--standalone", "--nproc_per_node=2", "-m", "genart_kit", "train", arch,
               "--data-dir", str(FIXTURE), "--batch-size", "16", "--steps", "4", "--seed", "2", "--out", str(out),
               "--quiet", *tiny]
        res = subprocess.run(cmd, capture_output=True, text=True, env=env)
        assert res.returncode == 0, res.stderr[-3000:]
        assert res.stdout.count("done: 4 steps") == 1  # only rank 0 reports
        tensors, config = load_checkpoint(out / "checkpoint.safetensors")
        assert config["training"]["world_size"] == 2
        assert config["training"]["steps_per_epoch"] == 200 // (16 * 2)
        assert "rng.torch.0" in tensors and "rng.torch.1" in tensors
        assert not torch.equal(tensors["rng.torch.0"], tensors["rng.torch.1"])  # ranks draw different noise
        assert (out / "model.safetensors").exists() and (out / "losses.png").exists()
        assert not any(k.startswith("module.") or ".module." in k for k in tensors)


def test_image_folder_rgb_and_grayscale(tmp_path: Path) -> None:
    from PIL import Image

    from genart_kit.training.data import load_image_folder

    rgb = tmp_path / "rgb"
    for cls in ("cats", "dogs"):
        (rgb / cls).mkdir(parents=True)
        for i in range(3):
            Image.new("RGB", (40 + 10 * i, 30), (200, 10 * i, 50)).save(rgb / cls / f"{i}.png")
    (rgb / "notes.txt").write_text("not an image")
    ds = load_image_folder(rgb, image_size=32)
    assert len(ds) == 6 and ds.image_shape == (3, 32, 32) and ds.num_classes == 2
    assert ds.labels.tolist() == [0, 0, 0, 1, 1, 1] and ds.classes == ["cats", "dogs"]
    x, y = ds[0]
    assert x.dtype == torch.float32 and 0 <= float(x.min()) and float(x.max()) <= 1
    assert abs(float(x[0].mean()) - 200 / 255) < 0.01  # resized+cropped, colours kept
    gray = tmp_path / "gray"
    gray.mkdir()
    for i in range(2):
        Image.new("L", (64, 80), 100 + i).save(gray / f"{i}.jpg")
    g = load_image_folder(gray, image_size=28)
    assert g.image_shape == (1, 28, 28) and g.num_classes is None
    assert load_image_folder(gray, image_size=28, channels=3).image_shape == (3, 28, 28)
    # training a GAN on a folder path works end to end
    out = tmp_path / "run"
    assert train("gan", "--data", str(rgb), "--image-size", "32", "--batch-size", "2", "--steps", "2", "--out", str(out), *TINY_GAN) == 0
    from genart_kit.registry import get_registry

    model = get_registry().load("model", "gan", checkpoint=str(out / "model.safetensors"), device="cpu")
    assert tuple(model.image_shape) == (3, 32, 32)


def test_dataset_errors(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from genart_kit.training import data

    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match="no images"):
        data.load_image_folder(empty)
    with pytest.raises(DatasetError, match="does not exist"):
        data.load_image_folder(tmp_path / "missing")
    (empty / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DatasetError, match="cannot read image"):
        data.load_image_folder(empty)
    # an explicit --data-dir without the files
    with pytest.raises(DatasetError, match="no MNIST files in"):
        data.load_mnist(data_dir=tmp_path)
    # unknown dataset name
    assert train("vae", "--data", "fashion", "--steps", "1") == 1
    assert "unknown dataset 'fashion'" in capsys.readouterr().err
    # a path that is not a folder of images
    assert train("vae", "--data", str(tmp_path / "typo"), "--steps", "1", "--out", str(tmp_path / "o1")) == 1
    assert "does not exist; pass a folder of images" in capsys.readouterr().err
    (tmp_path / "one.png").write_bytes(b"x")
    assert train("vae", "--data", str(tmp_path / "one.png"), "--steps", "1", "--out", str(tmp_path / "o2")) == 1
    assert "is a file, not a folder" in capsys.readouterr().err


def test_offline_mnist_without_files_says_where_to_put_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                            capsys: pytest.CaptureFixture[str]) -> None:
    from urllib.error import URLError

    from torchvision.datasets import MNIST

    from genart_kit.training import data

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(data, "PROJECT_ROOT", tmp_path)  # no ../shared/datasets/mnist next to the project
    monkeypatch.setenv("GENART_CACHE_DIR", str(tmp_path / "cache"))
    assert data.find_mnist_dir() is None

    def offline(self):
        raise URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(MNIST, "download", offline)
    with pytest.raises(DatasetError) as info:
        data.load_mnist()
    msg = str(info.value)
    assert "train-images-idx3-ubyte.gz" in msg and "--data-dir" in msg and "GENART_DATA_DIR" in msg
    assert "offline" in msg
    assert train("vae", "--data", "mnist", "--no-download", "--steps", "1") == 1
    err = capsys.readouterr().err
    assert err.startswith("genart: error: MNIST not found locally") and "GENART_DATA_DIR" in err
    assert "Traceback" not in err
    # and the environment variable is honoured
    monkeypatch.setenv("GENART_DATA_DIR", str(FIXTURE))
    assert len(data.load_mnist(download=False)) == 200


def test_not_trainable_and_bad_options(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert train("vae-mnist", "--data-dir", str(FIXTURE), "--steps", "1") == 1
    assert "not a trainable architecture" in capsys.readouterr().err
    assert train("vae", "--data-dir", str(FIXTURE), "--batch-size", "500", "--out", str(tmp_path)) == 1
    assert "fewer than one batch" in capsys.readouterr().err
    assert train("vae", "--data-dir", str(FIXTURE), "--epochs", "0", "--out", str(tmp_path)) == 1
    assert "--epochs must be >= 1" in capsys.readouterr().err


@pytest.mark.parametrize("opts, needle", [
    (["--lr", "nan"], "--lr"), (["--lr", "-1"], "--lr"), (["--lr", "0"], "--lr"), (["--image-size", "0"], "--image-size"),
    (["--limit", "0"], "--limit"), (["--sample-every", "-1"], "--sample-every"), (["--num-classes", "0"], "--num-classes"),
    (["--device", "meta"], "available here"), (["--device", "mps"], "available here"), (["--device", "nonsense"], "available here"),
])
def test_bad_train_options_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str], opts: list[str], needle: str) -> None:
    assert train("cvae", "--data-dir", str(FIXTURE), "--steps", "1", "--out", str(tmp_path / "r"), *opts) == 1
    err = capsys.readouterr().err
    assert err.startswith("genart: error:") and needle in err and "Traceback" not in err
    assert not (tmp_path / "r").exists()


def test_out_folder_safety(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    afile = tmp_path / "afile"
    afile.write_text("keep me")
    common = ["vae", "--data-dir", str(FIXTURE), "--steps", "1", "--batch-size", "32", *TINY_VAE]
    assert train(*common, "--out", str(afile)) == 1
    assert "existing file" in capsys.readouterr().err and afile.read_text() == "keep me"
    out = tmp_path / "run"
    assert train(*common, "--out", str(out)) == 0
    before = (out / "checkpoint.safetensors").read_bytes()
    assert train(*common, "--seed", "9", "--out", str(out)) == 1
    err = capsys.readouterr().err
    assert "already holds a run" in err and "--resume" in err
    assert (out / "checkpoint.safetensors").read_bytes() == before
    (out / "samples_epoch007.png").write_bytes(b"stale grid of the old run")
    # a replacement run that fails at once leaves the old run as it was
    assert train(*common, "--lr", "1e30", "--steps", "4", "--out", str(out), "--overwrite") == 1
    assert "diverged" in capsys.readouterr().err
    assert (out / "checkpoint.safetensors").read_bytes() == before and (out / "samples_epoch007.png").exists()
    assert train(*common, "--seed", "9", "--out", str(out), "--overwrite") == 0
    assert (out / "checkpoint.safetensors").read_bytes() != before
    assert not (out / "samples_epoch007.png").exists()  # nothing of the old run is left to mislead
    assert (out / "samples_epoch001.png").exists()
    assert train(*common, "--out", str(out), "--overwrite", "--resume") == 1
    assert "contradict" in capsys.readouterr().err
    # a weights-only model export under the checkpoint name is not resumable
    (out / "checkpoint.safetensors").write_bytes((out / "model.safetensors").read_bytes())
    assert train(*common, "--steps", "2", "--out", str(out), "--resume") == 1
    assert "model export" in capsys.readouterr().err


def test_python_train_api_refuses_to_replace_a_run(tmp_path: Path) -> None:
    from genart_kit.errors import InvalidInputError
    from genart_kit.training.loop import TrainConfig, train as train_api

    out = tmp_path / "run"
    cfg = dict(model="vae", data_options={"data_dir": str(FIXTURE)}, steps=1, batch_size=32, out=str(out), progress=False,
               model_options={"width": 4, "hidden": 16, "latent_dim": 4})
    train_api(TrainConfig(**cfg))
    before = (out / "checkpoint.safetensors").read_bytes()
    with pytest.raises(InvalidInputError, match="already holds a run"):
        train_api(TrainConfig(**cfg, seed=5))
    assert (out / "checkpoint.safetensors").read_bytes() == before
    train_api(TrainConfig(**cfg, seed=5, overwrite=True))
    assert (out / "checkpoint.safetensors").read_bytes() != before


def test_disk_full_during_checkpoint_is_a_checkpoint_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import errno

    from genart_kit import checkpoint
    from genart_kit.errors import CheckpointError

    def full(path, data):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(checkpoint, "atomic_write_bytes", full)
    with pytest.raises(CheckpointError, match="no space left") as info:
        checkpoint.save_checkpoint(tmp_path / "c.safetensors", {"w": torch.zeros(2)}, {"architecture": "vae"})
    assert "c.safetensors" in str(info.value)


def test_resume_refuses_other_training_options_and_nothing_to_do(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A resumed run must keep lr, seed, batch size and data, and must go beyond the steps already done."""
    out = tmp_path / "r"
    common = ["gan", "--data-dir", str(FIXTURE), "--batch-size", "16", *TINY_GAN, "--out", str(out)]
    assert train(*common, "--steps", "3") == 0
    before = (out / "checkpoint.safetensors").read_bytes()
    for extra, shown in ((["--lr", "0.01"], "(--lr 0.0002 -> 0.01)"), (["--seed", "7"], "(--seed 0 -> 7)"),
                         (["--limit", "100"], "(--limit default -> 100)"), (["--lr", "0.01", "--width", "5"], "(--width 4 -> 5, --lr 0.0002 -> 0.01)")):
        assert train(*common, "--steps", "6", "--resume", *extra) == 1
        err = capsys.readouterr().err
        assert "other options" in err and shown in err, err
    assert train(*[a if a != "16" else "8" for a in common], "--steps", "6", "--resume") == 1
    assert "--batch-size 16 -> 8" in capsys.readouterr().err
    assert train(*common, "--steps", "3", "--resume") == 1
    assert "already at step 3" in capsys.readouterr().err
    assert (out / "checkpoint.safetensors").read_bytes() == before  # nothing rewritten by the refusals
    assert train(*common, "--steps", "6", "--resume", "--lr", "2e-4") == 0  # the default, given explicitly
    assert train(*common, "--steps", "6", "--resume") == 1
    assert "which --steps 6 does not go beyond" in capsys.readouterr().err
    assert train(*common, "--steps", "8", "--resume", "--checkpoint-every", "1", "--sample-every", "0") == 0


def test_bad_out_folders_and_options_of_other_models_are_one_line_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    common = ["--data-dir", str(FIXTURE), "--steps", "1", "--batch-size", "16", *TINY_GAN]
    (tmp_path / "afile").write_text("keep me")
    cases = [
        (["gan", *common, "--out", str(tmp_path / "afile" / "run")], "cannot create the run folder"),
        (["gan", *common, "--out", ""], "--out must name a folder"),
        (["gan", *common, "--hidden", "16", "--out", str(tmp_path / "a")], "model 'gan' has no option 'hidden'"),
        (["vae", *common, "--ema", "0.9", "--out", str(tmp_path / "b")], "model 'vae' has no option 'ema'"),
        (["vae", *common, "--extra-layers", "1", "--out", str(tmp_path / "b2")], "model 'vae' has no option 'extra_layers'"),
        (["gan", *common, "--extra-layers", "-1", "--out", str(tmp_path / "b3")], "extra_layers=-1 (expected 0..16)"),
        (["gan", *common, "--num-classes", "10", "--out", str(tmp_path / "c")], "model 'gan' has no option 'num_classes'"),
        (["gan", *common, "--image-size", "64", "--out", str(tmp_path / "d")], "--image-size applies to image folders"),
        (["gan", *common, "--seed", str(2**64), "--out", str(tmp_path / "e")], "--seed must be in 0..2**62"),
        (["gan", *common, "--ema", "0.9", "--ema-start", str(2**70), "--out", str(tmp_path / "f")], f"ema_start={2**70}"),
        (["gan", *common, "--width", "abc", "--out", str(tmp_path / "h")], "invalid int value: 'abc'"),
        (["gan", "--data-dir", str(tmp_path / "none"), "--no-download", "--steps", "1", "--out", str(tmp_path / "g")], "no MNIST files"),
    ]
    for args, message in cases:
        assert train(*args) == 1, args
        err = capsys.readouterr().err
        assert message in err and "Traceback" not in err and err.count("\n") == 1, err
    assert (tmp_path / "afile").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile"]  # failed runs leave no empty run folders


def test_resume_compares_extra_layers_with_absent_meaning_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from genart_kit.checkpoint import save_checkpoint

    common = ["gan", "--data-dir", str(FIXTURE), "--batch-size", "16", *TINY_GAN, "--out", str(tmp_path / "run")]
    assert train(*common, "--steps", "2", "--extra-layers", "2") == 0
    assert train(*common, "--steps", "3", "--extra-layers", "0", "--resume") == 1
    assert "--extra-layers 2 -> 0" in capsys.readouterr().err
    # a checkpoint written by another tool with an explicit 0 resumes like one that leaves it out
    plain = tmp_path / "plain"
    assert train(*common[:-1], str(plain), "--steps", "2") == 0
    tensors, config = load_checkpoint(plain / "checkpoint.safetensors")
    config["model_config"]["extra_layers"] = 0
    save_checkpoint(plain / "checkpoint.safetensors", tensors, config)
    capsys.readouterr()
    assert train(*common[:-1], str(plain), "--steps", "3", "--resume") == 0, capsys.readouterr().err


def test_two_trainings_never_share_a_run_folder(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from filelock import FileLock

    out = tmp_path / "run"
    out.mkdir()
    with FileLock(str(out / ".genart-train.lock")):  # as held by a running genart train
        assert train("gan", "--data-dir", str(FIXTURE), "--steps", "1", "--batch-size", "16", *TINY_GAN, "--out", str(out)) == 1
        assert "in use by another running genart train" in capsys.readouterr().err
    assert train("gan", "--data-dir", str(FIXTURE), "--steps", "1", "--batch-size", "16", *TINY_GAN, "--out", str(out)) == 0
    # the lock file stays (deleting it could unlock a run that just took it); left by a finished or killed
    # run it blocks nothing
    assert (out / ".genart-train.lock").exists()
    assert train("gan", "--data-dir", str(FIXTURE), "--steps", "2", "--batch-size", "16", *TINY_GAN, "--out", str(out), "--resume") == 0


def test_damaged_or_replaced_mnist_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import gzip
    import shutil

    from genart_kit.training.data import cache_dir

    data = tmp_path / "mnist"
    shutil.copytree(FIXTURE, data)
    common = ["gan", "--data-dir", str(data), "--no-download", "--steps", "1", "--batch-size", "16", *TINY_GAN]
    assert train(*common, "--out", str(tmp_path / "a")) == 0
    # the files are replaced by a truncated copy: not served from the cache, a clear error instead
    path = data / "train-images-idx3-ubyte.gz"
    path.write_bytes(path.read_bytes()[:500])
    assert train(*common, "--out", str(tmp_path / "b")) == 1
    err = capsys.readouterr().err
    assert "truncated or damaged" in err and str(path) in err and "Traceback" not in err
    assert not list(cache_dir().rglob("*.extracting*")) and not list(cache_dir().rglob("*.tmp"))  # no half-extracted leftovers
    # a complete gzip of a file that is not MNIST
    path.write_bytes(gzip.compress(b"not an idx file" * 10))
    assert train(*common, "--out", str(tmp_path / "c")) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.count("\n") == 1, err


def test_a_grid_that_cannot_be_written_does_not_stop_training(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              caplog: pytest.LogCaptureFixture) -> None:
    import errno

    from genart_kit.training import loop

    def too_large(path, *a, **k):
        raise OSError(errno.EFBIG, "File too large")

    monkeypatch.setattr(loop, "save_grid", too_large)
    out = tmp_path / "run"
    assert train("gan", "--data-dir", str(FIXTURE), "--epochs", "2", "--batch-size", "50", *TINY_GAN, "--out", str(out)) == 0
    assert "could not write" in caplog.text and "File too large" in caplog.text
    assert load_checkpoint(out / "checkpoint.safetensors")[1]["state"]["step"] == 8  # 200 // 50 * 2 epochs
    assert (out / "losses.png").exists() and not list(out.glob("samples_epoch*.png"))


def test_python_api_validates_like_the_cli(tmp_path: Path) -> None:
    from genart_kit.errors import InvalidInputError
    from genart_kit.training.loop import TrainConfig, train as train_api

    base = dict(model="gan", data_options={"data_dir": str(FIXTURE)}, batch_size=16, out=str(tmp_path / "r"),
                progress=False, model_options={"width": 4, "latent_dim": 8})
    for bad, message in (({"lr": -1.0}, "--lr"), ({"lr": float("nan")}, "--lr"), ({"lr": "1e-3"}, "--lr"),
                         ({"seed": 2**70}, "--seed"), ({"seed": -5}, "--seed"), ({"steps": "3"}, "--steps"),
                         ({"epochs": 1.5}, "--epochs"), ({"checkpoint_every": -1}, "--checkpoint-every"),
                         ({"sample_every": -1}, "--sample-every"), ({"out": ""}, "--out"),
                         ({"data_options": {"data_dir": str(FIXTURE), "limit": -3}}, "--limit")):
        with pytest.raises(InvalidInputError, match=message):
            train_api(TrainConfig(**{**base, "steps": 1, **bad}))
    assert not (tmp_path / "r").exists()


def test_sample_every_zero_still_leaves_a_final_grid(tmp_path: Path) -> None:
    out = tmp_path / "run"
    assert train("gan", "--data-dir", str(FIXTURE), "--epochs", "2", "--batch-size", "50", *TINY_GAN,
                 "--sample-every", "0", "--out", str(out)) == 0
    assert sorted(p.name for p in out.glob("samples_epoch*.png")) == ["samples_epoch002.png"]
    assert (out / "losses.png").exists()


TRAINABLE_PLUGIN = """
import torch
from torch import nn

from genart_kit import hookimpl
from genart_kit.generative import GenerativeModel
from genart_kit.options import Option


class Step:
    default_lr = 1e-2

    def __init__(self, model, lr=None):
        self.model = model
        self.modules = {"net": model}
        self.optimizers = {"net": torch.optim.SGD(model.parameters(), lr=lr or self.default_lr)}
        self.run = dict(self.modules)

    def wrap(self, fn):
        self.run = {k: fn(m) for k, m in self.modules.items()}

    def __call__(self, images, labels):
        out = self.run["net"].net(torch.zeros(images.shape[0], self.model.latent_dim))
        loss = ((out.view_as(images) - images) ** 2).mean()
        self.optimizers["net"].zero_grad()
        loss.backward()
        self.optimizers["net"].step()
        return {"mse": float(loss.detach())}


class TestNet(GenerativeModel):
    def __init__(self, depth=1, image_shape=(1, 28, 28), latent_dim=3):
        super().__init__()
        self.latent_dim, self.image_shape, self.name = latent_dim, tuple(image_shape), "testnet"
        c, h, w = self.image_shape
        layers = [nn.Linear(latent_dim, 8)] + [nn.Linear(8, 8) for _ in range(depth - 1)] + [nn.Linear(8, c * h * w)]
        self.net = nn.Sequential(*layers)
        self.config = {"architecture": "testnet", "depth": depth, "image_shape": list(self.image_shape),
                       "latent_dim": latent_dim}

    def _decode(self, z, condition):
        return torch.sigmoid(self.net(z)).view(-1, *self.image_shape)

    def training_step(self, lr=None):
        return Step(self, lr)


def load(checkpoint=None, device=None, **options):
    from genart_kit.checkpoint import build_model
    return build_model(TestNet, "testnet", checkpoint=checkpoint, device=device, options=options, declared=OPTIONS)


OPTIONS = [Option("depth", int, 1, "hidden layers", min=1, max=4),
           Option("image_shape", tuple, (1, 28, 28), "from the data", cli=False)]


@hookimpl
def register_models(register):
    register("testnet", load, latent_dim=3, image_shape=(1, 28, 28), ready=False, trainable=True, options=OPTIONS)
"""


def test_genart_train_trains_a_third_party_model_with_its_own_options(tmp_path, capsys, monkeypatch):
    """A plugin's trainable model gets its declared options as genart train flags, recorded and checked on
    resume, exactly like the first-party architectures."""
    from genart_kit import registry

    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "genart_testnet.py").write_text(TRAINABLE_PLUGIN, encoding="utf-8")
    registry.configure([str(plugins)])
    try:
        out = tmp_path / "run"
        base = ["testnet", "--data-dir", str(FIXTURE), "--batch-size", "16", "--out", str(out)]
        assert main(["train", "testnet", "--help"]) == 0
        assert "--depth DEPTH" in capsys.readouterr().out
        assert train(*base, "--steps", "2", "--depth", "3") == 0, capsys.readouterr().err
        _, config = load_checkpoint(out / "checkpoint.safetensors")
        assert config["model_config"]["depth"] == 3 and "--depth 3" in config["command"]
        capsys.readouterr()
        assert train(*base, "--steps", "3", "--depth", "2", "--resume") == 1
        assert "--depth 3 -> 2" in capsys.readouterr().err
        assert train(*base, "--steps", "3", "--depth", "3", "--resume") == 0
        assert train(*base, "--steps", "1", "--deph", "3", "--overwrite") == 1
        assert "Did you mean '--depth'" in capsys.readouterr().err
        assert train(*base, "--steps", "1", "--depth", "9", "--overwrite") == 1
        assert "depth=9 (expected 1..4)" in capsys.readouterr().err
    finally:
        registry.configure([])
