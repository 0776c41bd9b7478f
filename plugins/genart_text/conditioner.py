"""The text conditioner: an encoder (``minilm`` or ``tiny``) plus heads, with an embedding cache.

``condition(texts, spec)`` gives what a model's :class:`genart_kit.conditioning.ConditionSpec` asks for:

* ``kind="embedding"`` in the all-MiniLM-L6-v2 space (384-d): the embeddings themselves;
* ``kind="classes"`` with ``label_set="mnist-digits"``: the shipped digit head's soft class vector, trained
  on generated prompts, so "half three, half eight" gives 0.5/0.5 and "a red bicycle" a flat vector;
* ``kind="classes"`` for any other class list: zero-shot, a softmax over cosine similarities between the
  prompt and each class name (as CLIP's zero-shot classifier does, Radford et al. 2021), so a third-party
  class-conditional model with ``class_names`` takes prompts with no training.

Thread-safe: the REPL loads and encodes off the prompt's thread.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any

import torch

from genart_kit.conditioning import ConditionSpec
from genart_kit.errors import InvalidInputError

from .encoders import EMBED_DIM, SPACE, WEIGHTS, MiniLMEncoder

CACHE_SIZE = 4096
ZERO_SHOT_TEMPERATURE = 0.05
HEADS = {"mnist-digits": ("digit-head.safetensors", 10)}


def _check_texts(texts: Any) -> list[str]:
    if not isinstance(texts, (list, tuple)):
        raise InvalidInputError(f"encode takes a list of strings, got {type(texts).__name__}.")
    for t in texts:
        if not isinstance(t, str):
            raise InvalidInputError(f"prompts must be strings, got {type(t).__name__} {t!r}.")
    return list(texts)


class TextConditioner:
    """Prompts -> embeddings ``[N, 384]`` float32 (unit rows) -> whatever a model's spec asks for.

    Args:
        encoder: ``"minilm"`` or ``"tiny"``.

    Attributes:
        name, cond_dim (384), space (``"all-MiniLM-L6-v2"``).
    """

    cond_dim = EMBED_DIM
    space = SPACE

    def __init__(self, encoder: str) -> None:
        self.name = encoder
        self._lock = threading.RLock()
        self._encoder: Any = None
        self._cache: OrderedDict[str, torch.Tensor] = OrderedDict()
        self._heads: dict[str, Any] = {}
        self._prototypes: dict[tuple[str, ...], torch.Tensor] = {}

    # ------------------------------------------------------------------------------------- encoding
    def load(self) -> Any:
        """Load the encoder's weights now (otherwise on the first :meth:`encode`); returns the encoder."""
        return self._load()

    def _load(self) -> Any:
        with self._lock:
            return self._load_locked()

    def _load_locked(self) -> Any:
        if self._encoder is None:
            if self.name == "minilm":
                self._encoder = MiniLMEncoder()
            else:
                from .tiny import load_tiny_encoder

                self._encoder = load_tiny_encoder()
        return self._encoder

    def encode(self, texts: list[str]) -> torch.Tensor:
        """Embed *texts* (each distinct text once, cached): float32 CPU ``[N, 384]``, unit rows.

        Raises:
            InvalidInputError: *texts* is not a list of strings.
        """
        texts = _check_texts(texts)
        with self._lock:
            todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
            if todo:
                emb = self._load().encode(todo).detach().to("cpu", torch.float32)
                for t, e in zip(todo, emb):
                    self._cache[t] = e
            rows = []
            for t in texts:
                self._cache.move_to_end(t)
                rows.append(self._cache[t])
            while len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        if not rows:
            return torch.zeros(0, EMBED_DIM)
        return torch.stack(rows)

    # ---------------------------------------------------------------------------------- conditioning
    def condition(self, texts: list[str], spec: ConditionSpec) -> torch.Tensor:
        """What *spec* asks for, for each of *texts*: ``[N, spec.size]`` float32.

        Raises:
            InvalidInputError: *spec* asks for embeddings of another space or size.
        """
        if spec.kind == "embedding":
            if spec.size != EMBED_DIM or (spec.space not in (None, SPACE)):
                raise InvalidInputError(f"conditioner '{self.name}' produces {SPACE} embeddings ({EMBED_DIM}-d); this model "
                                        f"takes {spec.space or 'unnamed'} embeddings of size {spec.size}.")
            return self.encode(texts)
        emb = self.encode(texts)
        head = self._head(spec)
        if head is not None:
            with torch.no_grad():
                return head.probs(emb)
        protos = self._class_prototypes(spec)
        return torch.softmax(emb @ protos.T / ZERO_SHOT_TEMPERATURE, dim=-1)

    def _head(self, spec: ConditionSpec) -> Any:
        known = HEADS.get(spec.label_set or "")
        if known is None or known[1] != spec.size:
            return None
        with self._lock:
            if spec.label_set not in self._heads:
                from safetensors.torch import load_file

                from .heads import ClassHead

                head = ClassHead(EMBED_DIM, spec.size)
                head.load_state_dict(load_file(str(WEIGHTS / known[0])))
                self._heads[spec.label_set] = head.eval()
            return self._heads[spec.label_set]

    def _class_prototypes(self, spec: ConditionSpec) -> torch.Tensor:
        names = spec.class_names or tuple(str(i) for i in range(spec.size))
        if names not in self._prototypes:
            phrasings = [[n, f"a {n}", f"a picture of {n}"] for n in names]
            emb = self.encode([p for ps in phrasings for p in ps]).view(len(names), 3, -1).mean(1)
            self._prototypes[names] = torch.nn.functional.normalize(emb, dim=-1)
        return self._prototypes[names]


_INSTANCES: dict[str, TextConditioner] = {}
_LOCK = threading.Lock()


def _instance(name: str) -> TextConditioner:
    with _LOCK:
        if name not in _INSTANCES:
            _INSTANCES[name] = TextConditioner(name)
        return _INSTANCES[name]


def load_minilm() -> TextConditioner:
    """Registry loader of ``minilm`` (one instance per process; the encoder loads on first use)."""
    return _instance("minilm")


def load_tiny() -> TextConditioner:
    """Registry loader of ``tiny`` (one instance per process)."""
    return _instance("tiny")
