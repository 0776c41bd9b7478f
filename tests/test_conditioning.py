"""The core's conditioning contract: specs, lazy prompts in paths, prompt morphs, default conditioner choice.

Uses a fake conditioner registered through the public hook (no text plugin needed), so these test the core
rules alone; tests/test_text_conditioner.py tests the shipped encoders.
"""

from __future__ import annotations

import warnings

import pytest
import torch

import genart_kit as ga
from genart_kit import hookimpl, registry
from genart_kit.conditioning import (ConditionSpec, PromptWarning, default_conditioner, nearest_classes, prompt,
                                     prompt_morph)
from genart_kit.errors import InvalidInputError, UnknownNameError
from genart_kit.generative import GenerativeModel


class CountingConditioner:
    """Class vectors from the first digit in the text (uniform when none); embeddings from a text hash."""

    def __init__(self):
        self.calls: list[list[str]] = []

    def encode(self, texts):
        self.calls.append(list(texts))
        g = [torch.Generator().manual_seed(sum(map(ord, t)) + 1) for t in texts]
        return torch.nn.functional.normalize(torch.stack([torch.randn(8, generator=x) for x in g]), dim=-1)

    def condition(self, texts, spec):
        if spec.kind == "embedding":
            return self.encode(texts)
        self.calls.append(list(texts))
        out = torch.full((len(texts), spec.size), 1.0 / spec.size)
        for i, t in enumerate(texts):
            digits = [c for c in t if c.isdigit()]
            if digits and int(digits[0]) < spec.size:
                out[i] = 0.0
                out[i, int(digits[0])] = 1.0
        return out


FAKE = CountingConditioner()


class Plugin:
    @hookimpl
    def register_conditioners(register):
        register("fake", lambda: FAKE, cond_dim=8, available=True, priority=5)
        register("absent", lambda: FAKE, cond_dim=8, available=False, priority=99, install="pip install absent")


class ToyConditional(GenerativeModel):
    """Decodes the argmax-weighted class vector into a flat image whose value is sum(k * p_k) / 10."""

    def __init__(self, num_classes=None, cond_dim=None):
        super().__init__()
        self.latent_dim, self.image_shape, self.name = 2, (1, 2, 2), "toy"
        self.num_classes, self.cond_dim = num_classes, cond_dim
        self.w = torch.nn.Parameter(torch.zeros(1))

    def _decode(self, z, condition):
        if condition.ndim == 1:
            condition = torch.nn.functional.one_hot(condition, self.num_classes).float()
        value = (condition * torch.arange(condition.shape[1])).sum(1) / condition.shape[1]
        return value.view(-1, 1, 1, 1).expand(-1, 1, 2, 2).clamp(0, 1) + 0 * self.w


@pytest.fixture
def reg():
    with registry.isolated(Plugin) as r:
        FAKE.calls.clear()
        yield r


def test_spec_validates():
    with pytest.raises(InvalidInputError, match="kind"):
        ConditionSpec("pixels", 3)
    with pytest.raises(InvalidInputError, match="size"):
        ConditionSpec("classes", 0)
    with pytest.raises(InvalidInputError, match="class names"):
        ConditionSpec("classes", 3, class_names=("a", "b"))
    assert ConditionSpec("embedding", 4, space="s").as_dict() == {"kind": "embedding", "size": 4, "space": "s"}


def test_model_condition_spec():
    m = ToyConditional(num_classes=10)
    m.class_names, m.label_set = tuple("abcdefghij"), "letters"
    assert m.condition_spec == ConditionSpec("classes", 10, class_names=tuple("abcdefghij"), label_set="letters")
    assert ToyConditional(cond_dim=8).condition_spec.kind == "embedding"
    assert ToyConditional().condition_spec is None


@pytest.mark.parametrize("bad", [None, 3, [], [1], ["ok", None]])
def test_prompt_rejects_non_text(bad):
    with pytest.raises(InvalidInputError, match="prompt"):
        prompt(bad)


def test_default_conditioner_is_the_available_one_with_top_priority(reg):
    assert default_conditioner(reg) == "fake"  # 'absent' has priority 99 but is not installed
    with pytest.raises(InvalidInputError, match="pip install absent"):
        ga.conditioning.conditioner("absent")


def test_no_conditioner_available():
    with registry.isolated(builtins=True) as r:
        with pytest.raises(UnknownNameError, match="no text conditioner"):
            default_conditioner(r)


def test_decode_resolves_a_prompt_against_the_model_spec(reg):
    m = ToyConditional(num_classes=10)
    out = m.decode(torch.zeros(3, 2), ga.prompt("draw a 7"))
    assert torch.allclose(out, torch.full_like(out, 0.7))
    per_latent = m.decode(torch.zeros(2, 2), ga.prompt(["a 2", "a 9"]))
    assert per_latent[:, 0, 0, 0].tolist() == pytest.approx([0.2, 0.9])
    with pytest.raises(InvalidInputError, match="3 prompts for 2 latents"):
        m.decode(torch.zeros(2, 2), ga.prompt(["1", "2", "3"]))


def test_prompt_on_unconditional_model_is_a_clear_error(reg):
    m = ToyConditional()
    with pytest.raises(InvalidInputError, match="not conditional"):
        m.decode(torch.zeros(1, 2), ga.prompt("a 7"))


def test_vague_prompt_warns_with_nearest_classes(reg):
    m = ToyConditional(num_classes=4)
    with pytest.warns(PromptWarning, match="names no class clearly: 'a red bicycle' -> "):
        m.decode(torch.zeros(1, 2), ga.prompt("a red bicycle"))


def test_repeated_prompts_are_encoded_once(reg):
    m = ToyConditional(num_classes=10)
    p = ga.prompt(["a 1", "a 1", "a 3", "a 1"])
    m.decode(torch.zeros(4, 2), p)
    m.decode(torch.zeros(4, 2), p)
    assert FAKE.calls == [["a 1", "a 3"]]


def test_prompt_morph_weights():
    w = prompt_morph(["a", "b", "c"], 21, hold=0.5).weights()
    assert w.shape == (21, 3)
    assert torch.allclose(w.sum(1), torch.ones(21, dtype=w.dtype))
    assert w[0].tolist() == [1, 0, 0] and w[-1].tolist() == [0, 0, 1]
    assert w[:, 1].max() == 1  # the middle prompt is reached exactly
    assert (w[1:, 0] <= w[:-1, 0] + 1e-12).all()  # the first prompt only fades out
    looped = prompt_morph(["a", "b"], 20, loop=True).weights()
    assert looped[-1, 0] > 0.5  # fading back into the first prompt
    with pytest.raises(InvalidInputError, match="frames"):
        prompt_morph(["a", "b", "c"], 2)
    with pytest.raises(InvalidInputError, match="hold"):
        prompt_morph(["a", "b"], 10, hold=1.0)
    with pytest.raises(InvalidInputError, match="hold"):
        prompt_morph(["a", "b"], 10, hold=float("nan"))


def test_prompt_morph_costs_no_memory_up_front():
    """A billion-frame morph is a description; only the frames asked for are computed."""
    long = prompt_morph(["a", "b"], 10**9)
    assert len(long) == 10**9
    chunk = long.take(range(10**9 - 3, 10**9))
    assert chunk.weights().shape == (3, 2) and chunk.weights()[-1].tolist() == [0, 1]
    assert torch.equal(prompt_morph(["a", "b", "c"], 50).take([7, 3]).weights(),
                       prompt_morph(["a", "b", "c"], 50).weights()[[7, 3]])


def test_prompt_path_through_a_pipeline_slices_reverses_and_concats(reg):
    m = ToyConditional(num_classes=10)
    path = ga.latent.prompt_morph(m, ["a 0", "a 9"], frames=10, hold=0.0)
    values = (path | m).tensor()[:, 0, 0, 0]
    assert values[0] == pytest.approx(0.0) and values[-1] == pytest.approx(0.9)
    assert (values[1:] >= values[:-1] - 1e-6).all()
    rev = (path.reverse() | m).tensor()[:, 0, 0, 0]
    assert torch.allclose(rev, values.flip(0))
    part = (path[2:5] | m).tensor()[:, 0, 0, 0]
    assert torch.allclose(part, values[2:5])
    labelled = ga.latent.from_tensor(torch.zeros(3, 2)).with_condition(4)
    both = (ga.latent.concat(path, labelled) | m).tensor()[:, 0, 0, 0]
    assert torch.allclose(both[:10], values) and both[10:].tolist() == pytest.approx([0.4] * 3)


def test_prompt_morph_needs_a_conditional_model(reg):
    with pytest.raises(InvalidInputError, match="conditional"):
        ga.latent.prompt_morph(ToyConditional(), ["a", "b"], frames=4)
    with pytest.raises(InvalidInputError, match="2 prompts for 5 frames"):
        ga.latent.from_tensor(torch.zeros(5, 2)).with_condition(ga.prompt(["a", "b"]))


def test_prompt_morph_refuses_what_it_would_otherwise_misread(reg):
    m = ToyConditional(num_classes=10)
    with pytest.raises(InvalidInputError, match="loop must be True or False"):
        ga.latent.prompt_morph(m, ["a", "b"], frames=4, loop="no")
    with pytest.raises(InvalidInputError, match="got 4 rows"):  # not silently frozen on row 0
        ga.latent.prompt_morph(m, ["a", "b"], frames=6, latents=torch.zeros(4, 2))
    for bad in (None, 5):
        with pytest.raises(InvalidInputError, match="prompts must be a string or a list"):
            ga.latent.prompt_morph(m, bad, frames=4)
    with pytest.raises(InvalidInputError, match="encoder must be a conditioner name"):
        ga.latent.prompt_morph(m, ["a", "b"], frames=4, encoder="")
    assert len(ga.latent.prompt_morph(m, ["a", "b"], frames=6, latents=torch.zeros(2))) == 6  # one [D] latent


def test_embedding_models_get_embeddings(reg):
    m = ToyConditional(cond_dim=8)
    seen = {}
    m._decode = lambda z, c: (seen.setdefault("c", c), torch.zeros(z.shape[0], 1, 2, 2))[1]
    m.decode(torch.zeros(1, 2), ga.prompt("hello"))
    assert seen["c"].shape[1] == 8 and torch.allclose(seen["c"].norm(dim=1), torch.ones(seen["c"].shape[0]))


def test_nearest_classes_orders_by_probability():
    spec = ConditionSpec("classes", 3, class_names=("cat", "dog", "owl"))
    assert nearest_classes(torch.tensor([[0.2, 0.7, 0.1]]), spec, k=2) == [[("dog", 0.699999988079071), ("cat", 0.20000000298023224)]]


def test_explain_does_not_warn(reg):
    p = ga.prompt("nothing here")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        (text, near), = p.explain(ConditionSpec("classes", 4))
    assert text == "nothing here" and near[0][1] == pytest.approx(0.25)
