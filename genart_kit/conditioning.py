"""Conditioning contracts: what a model accepts, what a conditioner produces, and lazy prompts between them.

Knows no architecture and no encoder. Three pieces meet here:

* a conditional model describes what it takes with a :class:`ConditionSpec` (its ``condition_spec``
  property): class vectors over named classes (``kind="classes"``, e.g. the ten MNIST digits, with a
  ``label_set`` name such as ``"mnist-digits"``), or embeddings of a given size in a named embedding space
  (``kind="embedding"``, ``space="all-MiniLM-L6-v2"``);
* a conditioner (``register_conditioners``) turns texts into what a spec asks for:
  ``conditioner.condition(texts, spec) -> Tensor [N, spec.size]``;
* a :class:`Conditioning` (``ga.prompt("a seven")``, ``ga.prompt_morph([...], frames=96)``) is a lazy,
  per-frame condition that any model resolves against its own spec when it decodes, so the same prompt
  drives a class-conditional GAN, a VAE or a text-embedding model without the caller knowing which.

Importing this module does not import torch; resolving a prompt does.
"""

from __future__ import annotations

import warnings
import weakref
from dataclasses import dataclass, field
from typing import Any, Sequence

from .errors import InvalidInputError, UnknownNameError

#: below this top-class probability a prompt is reported as naming no class clearly
LOW_CONFIDENCE = 0.5
MAX_PROMPT_CHARS = 10_000


class PromptWarning(UserWarning):
    """A prompt resolved to a vague condition (no class clearly named); the message gives the nearest."""


@dataclass(frozen=True)
class ConditionSpec:
    """What a conditional model's ``decode(z, condition=...)`` takes.

    Attributes:
        kind: ``"classes"`` (``[N]`` int64 labels or ``[N, size]`` float32 class vectors whose rows sum to 1)
            or ``"embedding"`` (``[N, size]`` float32 vectors in *space*).
        size: the number of classes or the embedding length.
        class_names: ``kind="classes"``: a name per class (``("0", ..., "9")``), else ``None``.
        label_set: ``kind="classes"``: a name for the class list (``"mnist-digits"``) a conditioner may have a
            trained head for; ``None`` means "zero-shot from the class names".
        space: ``kind="embedding"``: the embedding space's name (``"all-MiniLM-L6-v2"``), ``None`` if unknown.
    """

    kind: str
    size: int
    class_names: tuple[str, ...] | None = None
    label_set: str | None = None
    space: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in ("classes", "embedding"):
            raise InvalidInputError(f"ConditionSpec kind must be 'classes' or 'embedding', got {self.kind!r}.")
        if isinstance(self.size, bool) or not isinstance(self.size, int) or self.size < 1:
            raise InvalidInputError(f"ConditionSpec size must be a positive int, got {self.size!r}.")
        if self.class_names is not None and len(self.class_names) != self.size:
            raise InvalidInputError(f"ConditionSpec has {len(self.class_names)} class names for {self.size} classes.")

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready form (``genart list models --json``)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.__dict__.items() if v is not None}


class Conditioning:
    """A lazy per-frame condition, resolved by the model that decodes it (see the module docstring).

    Subclasses implement :meth:`resolve` and :meth:`take`; ``length`` is the number of frames it covers, or
    ``None`` for one condition that broadcasts to every frame.
    """

    length: int | None = None

    def resolve(self, spec: ConditionSpec) -> Any:
        """The tensor for *spec*: float32 ``[length or 1, spec.size]``.

        Raises:
            InvalidInputError: nothing registered can produce *spec* from this conditioning.
        """
        raise NotImplementedError

    def take(self, indices: Sequence[int]) -> "Conditioning":
        """The frames *indices* (a per-frame conditioning) or ``self`` (a broadcast one)."""
        raise NotImplementedError

    def __len__(self) -> int:
        return 1 if self.length is None else self.length


def _check_texts(texts: Any) -> tuple[str, ...]:
    if isinstance(texts, str):
        texts = [texts]
    if not isinstance(texts, (list, tuple)) or not texts:
        raise InvalidInputError(f"a prompt must be a string or a non-empty list of strings, got {type(texts).__name__}.")
    bad = [t for t in texts if not isinstance(t, str)]
    if bad:
        raise InvalidInputError(f"prompts must be strings, got {type(bad[0]).__name__} {bad[0]!r}.")
    return tuple(t[:MAX_PROMPT_CHARS] for t in texts)


def default_conditioner(registry: Any = None) -> str:
    """The name of the conditioner used when none is named: the available one with the highest meta
    ``priority`` (meta ``available`` false means its extra is not installed).

    Raises:
        UnknownNameError: no conditioner is registered or none is available.
    """
    if registry is None:
        from .registry import get_registry

        registry = get_registry()
    entries = [e for e in registry.entries("conditioner") if e.meta.get("available", True)]
    if not entries:
        names = [e.name for e in registry.entries("conditioner")]
        raise UnknownNameError("no text conditioner is available" + (f" (registered: {', '.join(names)}, not "
                               "installed)" if names else "") + "; see `genart list conditioners`.")
    return max(entries, key=lambda e: (int(e.meta.get("priority", 0)), e.name)).name


def conditioner(name: str | None = None) -> Any:
    """The conditioner object *name* (``None``: :func:`default_conditioner`), loaded once per process.

    Raises:
        UnknownNameError: no such conditioner; GenartError: its extra is missing.
    """
    from .registry import get_registry

    reg = get_registry()
    name = name or default_conditioner(reg)
    entry = reg.get("conditioner", name)
    if entry.meta.get("available", True) is False:
        need = entry.meta.get("install", "its optional dependencies")
        raise InvalidInputError(f"conditioner '{name}' is not installed: {need}. Installed ones: "
                                f"{', '.join(e.name for e in reg.entries('conditioner') if e.meta.get('available', True)) or 'none'}.")
    cache = _LOADED.setdefault(reg, {})
    if name not in cache:
        from .context import report_stage

        report_stage(f"loading text encoder '{name}'")  # the REPL's spinner says why the first prompt waits
        cache[name] = reg.load("conditioner", name)
        warm = getattr(cache[name], "load", None)
        if callable(warm):
            warm()  # load the encoder's weights now, under that label, not inside the first render
    return cache[name]


_LOADED: "weakref.WeakKeyDictionary[Any, dict[str, Any]]" = weakref.WeakKeyDictionary()  # per registry


def nearest_classes(vectors: Any, spec: ConditionSpec, k: int = 3) -> list[list[tuple[str, float]]]:
    """The *k* most probable classes of each class vector ``[N, size]``: ``[[(name, prob), ...], ...]``."""
    names = spec.class_names or tuple(str(i) for i in range(spec.size))
    out = []
    for row in vectors.detach().cpu().tolist():
        order = sorted(range(len(row)), key=lambda i: -row[i])[:k]
        out.append([(names[i], float(row[i])) for i in order])
    return out


def describe_nearest(text: str, nearest: list[tuple[str, float]]) -> str:
    """``'a red bicycle' -> 3 (0.14), 8 (0.12), 5 (0.11)`` for messages."""
    short = text if len(text) <= 60 else text[:57] + "..."
    return f"{short!r} -> " + ", ".join(f"{n} ({p:.2f})" for n, p in nearest)


@dataclass
class Prompt(Conditioning):
    """One prompt for every frame, or one prompt per frame (``ga.prompt(["zero", "one", ...])``).

    Attributes:
        texts: the prompts (each cut to 10,000 characters).
        encoder: the conditioner's name, ``None`` for the default.
        per_frame: whether *texts* holds one prompt per frame (a list was given) or one for all.
    """

    texts: tuple[str, ...]
    encoder: str | None = None
    per_frame: bool = False
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def length(self) -> int | None:  # type: ignore[override]
        return len(self.texts) if self.per_frame and len(self.texts) > 1 else None

    def resolve(self, spec: ConditionSpec) -> Any:
        """Encode the prompts for *spec* (each distinct text once); warns :class:`PromptWarning` for class
        vectors whose top class has probability below 0.5 (the prompt names no class clearly)."""
        key = spec
        if key not in self._cache:
            unique = list(dict.fromkeys(self.texts))
            cond = conditioner(self.encoder).condition(unique, spec)
            _check_resolved(cond, len(unique), spec, self.encoder)
            if spec.kind == "classes":
                for text, near in zip(unique, nearest_classes(cond, spec)):
                    if near[0][1] < LOW_CONFIDENCE:
                        warnings.warn(PromptWarning(f"prompt names no class clearly: {describe_nearest(text, near)}"),
                                      stacklevel=3)
            index = {t: i for i, t in enumerate(unique)}
            self._cache[key] = cond[[index[t] for t in self.texts]]
        return self._cache[key]

    def take(self, indices: Sequence[int]) -> "Prompt":
        if self.length is None:
            return self
        return Prompt(tuple(self.texts[i] for i in indices), self.encoder, True)

    def explain(self, spec: ConditionSpec, k: int = 3) -> list[tuple[str, list[tuple[str, float]]]]:
        """``[(text, [(class name, probability), ...]), ...]`` for a class spec (what the CLI prints)."""
        if spec.kind != "classes":
            return []
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", PromptWarning)
            unique = list(dict.fromkeys(self.texts))
            cond = Prompt(tuple(unique), self.encoder, True).resolve(spec)
        return list(zip(unique, nearest_classes(cond, spec, k)))


def _check_resolved(cond: Any, n: int, spec: ConditionSpec, encoder: str | None) -> None:
    import torch

    if not isinstance(cond, torch.Tensor) or tuple(cond.shape) != (n, spec.size) or not torch.isfinite(cond).all():
        got = list(cond.shape) if isinstance(cond, torch.Tensor) else type(cond).__name__
        raise InvalidInputError(f"conditioner '{encoder or 'default'}' returned {got} for {n} prompts; expected "
                                f"finite [{n}, {spec.size}] (a bug in the conditioner plugin).")


@dataclass
class PromptMorph(Conditioning):
    """Per-frame blends of a few prompts: frame t's condition is ``weights(t) @ condition(prompts)``
    (class vectors blend linearly; embeddings are blended then renormalised, normalised linear interpolation,
    which stays on the unit sphere like slerp does). Weights are computed for the frames asked for, so a long
    clip costs no memory up front.

    Attributes:
        prompts: the P prompts; frames: the clip length T; hold, loop: see :func:`prompt_morph`;
        encoder: as :class:`Prompt`; indices: the frames this object covers (``None``: all T).
    """

    prompts: tuple[str, ...]
    frames: int
    hold: float = 0.25
    loop: bool = False
    encoder: str | None = None
    indices: Any = None

    @property
    def length(self) -> int | None:  # type: ignore[override]
        return self.frames if self.indices is None else len(self.indices)

    def weights(self, indices: Sequence[int] | None = None) -> Any:
        """Blend weights float64 ``[len(indices), P]`` (rows sum to 1) for positions *indices* of this
        object (default all of them)."""
        import torch

        frames = self.indices if self.indices is not None else range(self.frames)
        if indices is not None:
            frames = [frames[i] for i in indices]
        t = torch.as_tensor(list(frames), dtype=torch.float64)
        p, n = len(self.prompts), self.frames
        pos = t * (p if self.loop else max(p - 1, 1)) / (n if self.loop else max(n - 1, 1))
        seg = pos.floor().clamp(max=p - 1).long()
        w = ((pos - seg - self.hold) / (1 - self.hold)).clamp(0, 1)
        w = 0.5 - 0.5 * torch.cos(torch.pi * w)
        nxt = (seg + 1) % p if self.loop else (seg + 1).clamp(max=p - 1)
        out = torch.zeros(len(t), p, dtype=torch.float64)
        rows = torch.arange(len(t))
        out[rows, seg] += 1 - w
        out[rows, nxt] += w
        return out

    def strongest(self, index: int) -> int:
        """Which prompt dominates position *index* (for captions)."""
        return int(self.weights([index])[0].argmax())

    def resolve(self, spec: ConditionSpec) -> Any:
        import torch

        base = Prompt(self.prompts, self.encoder, True).resolve(spec)
        out = self.weights().to(torch.float32) @ base
        if spec.kind == "embedding":
            out = torch.nn.functional.normalize(out, dim=-1)
        return out

    def take(self, indices: Sequence[int]) -> "PromptMorph":
        mine = self.indices if self.indices is not None else range(self.frames)
        if isinstance(indices, range) and isinstance(mine, range):
            picked: Any = mine[indices.start:indices.stop:indices.step]
        else:
            picked = [mine[i] for i in indices]
        return PromptMorph(self.prompts, self.frames, self.hold, self.loop, self.encoder, picked)


@dataclass
class PromptMix(Conditioning):
    """Per-frame mixes of a few prompts with given weights: frame t's condition is ``weights[t] @
    condition(prompts)`` (class vectors blend linearly; embeddings are blended, then renormalised as in
    :class:`PromptMorph`). Built by :func:`prompt_mix` (weights from anything: chroma, an envelope) and
    :func:`prompt_timeline` (prompts that change at given times, e.g. on the beat).

    Attributes:
        prompts: the P prompts; weights: float32 ``[T, P]`` tensor, rows summing to 1; encoder: as
            :class:`Prompt`.
    """

    prompts: tuple[str, ...]
    weights: Any
    encoder: str | None = None

    @property
    def length(self) -> int | None:  # type: ignore[override]
        return int(self.weights.shape[0])

    def strongest(self, index: int) -> int:
        """Which prompt dominates frame *index* (for captions)."""
        return int(self.weights[index].argmax())

    def resolve(self, spec: ConditionSpec) -> Any:
        import torch

        base = Prompt(self.prompts, self.encoder, True).resolve(spec)
        out = self.weights.to(torch.float32) @ base
        if spec.kind == "embedding":
            out = torch.nn.functional.normalize(out, dim=-1)
        return out

    def take(self, indices: Sequence[int]) -> "PromptMix":
        idx = indices if isinstance(indices, range) else list(indices)
        return PromptMix(self.prompts, self.weights[idx], self.encoder)


def _check_encoder(encoder: Any) -> None:
    if encoder is not None and (not isinstance(encoder, str) or not encoder.strip()):
        raise InvalidInputError(f"encoder must be a conditioner name (genart list conditioners) or None, got {encoder!r}.")


def prompt_mix(prompts: Sequence[str], weights: Any, *, encoder: str | None = None) -> PromptMix:
    """A per-frame conditioning that mixes *prompts* with per-frame *weights* (e.g. from chroma:
    ``ga.audio.chroma_weights(feats.chroma, ["A", "F", "G"])``).

    Args:
        prompts: P strings.
        weights: ``[T, P]`` non-negative numbers (numpy, torch or nested lists); each row is normalised to
            sum to 1 (an all-zero row takes equal weights).
        encoder: a conditioner name; default the best installed.

    Raises:
        InvalidInputError: bad prompts, weights not ``[T, P]``, negative, NaN or infinite weights.
    """
    import torch

    texts = _check_texts(list(prompts) if not isinstance(prompts, str) else [prompts])
    _check_encoder(encoder)
    try:
        w = torch.as_tensor(weights.copy() if hasattr(weights, "copy") and not isinstance(weights, torch.Tensor) else weights)
    except Exception as exc:  # ragged lists, strings
        raise InvalidInputError(f"weights must be numbers [T, {len(texts)}], got {type(weights).__name__}.") from exc
    if w.dtype == torch.bool or w.is_complex() or w.ndim != 2 or w.shape[1] != len(texts) or w.shape[0] < 1:
        raise InvalidInputError(f"weights must be real numbers [T, {len(texts)}] (one column per prompt), got "
                                f"{list(w.shape)} {w.dtype}.")
    w = w.detach().to("cpu", torch.float32)
    if not torch.isfinite(w).all() or (w < 0).any():
        raise InvalidInputError("weights must be finite and >= 0.")
    total = w.sum(dim=1, keepdim=True)
    w = torch.where(total > 0, w / total.clamp(min=1e-30), torch.full_like(w, 1.0 / len(texts)))
    return PromptMix(texts, w, encoder)


def prompt_timeline(timeline: Any, frames: int, *, fps: float = 24.0, fade: int = 2, loop: bool = False,
                    encoder: str | None = None) -> PromptMix:
    """A per-frame conditioning whose prompt changes at given times: ``{"0:00": "a cat", "0:08": "a rocket"}``.

    Each prompt starts on the frame that shows its time (``floor(t * fps)``; beat frames use the same rule,
    so a timeline built from beats changes on the beat: ``ga.audio.beat_timeline``) and is reached after
    *fade* frames of blend from the previous one.

    Args:
        timeline: ``{time: prompt}`` or ``[(time, prompt), ...]``; times in seconds or ``"m:ss(.f)"``
            (:func:`genart_kit.timeline.parse_time`). Frames before the first time hold the first prompt.
        frames: the clip's length T (>= 1).
        fps: frames per second.
        fade: frames of blend at each change (0 = a hard cut).
        loop: the first prompt fades in from the last one.
        encoder: a conditioner name; default the best installed.

    Returns:
        a :class:`PromptMix` of length *frames*.

    Raises:
        InvalidInputError: a bad timeline (times, texts, all entries past the end), frames, fade or encoder.
    """
    from .timeline import segment_weights, timeline_starts

    if isinstance(frames, bool) or not isinstance(frames, int) or frames < 1:
        raise InvalidInputError(f"frames must be a whole number >= 1, got {frames!r}.")
    if not isinstance(loop, bool):
        raise InvalidInputError(f"loop must be True or False, got {loop!r}.")
    _check_encoder(encoder)
    texts, w = segment_weights(timeline_starts(timeline, frames, fps), frames, fade=fade, loop=loop)
    return PromptMix(_check_texts(texts), w, encoder)


def prompt(texts: str | Sequence[str], *, encoder: str | None = None) -> Prompt:
    """A prompt as a condition: ``model.decode(z, condition=ga.prompt("a handwritten seven"))``,
    ``path.with_condition(ga.prompt(...))``. A list gives one prompt per frame (or per latent).

    Args:
        texts: a string (every frame) or a list of strings (one per frame / latent).
        encoder: a conditioner name (``genart list conditioners``); default: the best one installed.

    Raises:
        InvalidInputError: not a string or a list of strings, or an empty list.
    """
    per_frame = not isinstance(texts, str)
    return Prompt(_check_texts(texts), encoder, per_frame)


def prompt_morph(prompts: Sequence[str], frames: int, *, hold: float = 0.25, loop: bool = False,
                 encoder: str | None = None) -> PromptMorph:
    """A per-frame conditioning that morphs from each prompt to the next over *frames* frames.

    Each prompt gets an equal segment; it is held pure for the first *hold* fraction of its segment, then
    cross-fades to the next with a cosine ease (``loop=True`` fades the last prompt back into the first).

    Args:
        prompts: two or more strings (one alone is held for every frame).
        frames: clip length T (int >= number of prompts).
        hold: fraction of each segment held unblended, in [0, 1).
        loop: whether the clip ends where it starts.

    Returns:
        a :class:`PromptMorph` of length *frames*.

    Raises:
        InvalidInputError: bad prompts, frames or hold.
    """
    texts = _check_texts(list(prompts) if not isinstance(prompts, str) else prompts)
    if isinstance(frames, bool) or not isinstance(frames, int) or frames < len(texts):
        raise InvalidInputError(f"frames must be an int >= the {len(texts)} prompts, got {frames!r}.")
    if isinstance(hold, bool) or not isinstance(hold, (int, float)) or not 0 <= hold < 1:
        raise InvalidInputError(f"hold must be in [0, 1), got {hold!r}.")
    if not isinstance(loop, bool):
        raise InvalidInputError(f"loop must be True or False, got {loop!r}.")
    _check_encoder(encoder)
    return PromptMorph(texts, frames, float(hold), loop, encoder)


@dataclass
class FixedConditioning(Conditioning):
    """A ready condition (``[T]`` int64 labels or ``[T, C]`` float32 vectors) in a conditioning sequence, so a
    prompt path can be concatenated with a labelled one; labels become one-hot class vectors."""

    tensor: Any

    @property
    def length(self) -> int | None:  # type: ignore[override]
        return int(self.tensor.shape[0])

    def resolve(self, spec: ConditionSpec) -> Any:
        import torch

        t = self.tensor
        if t.ndim == 1:
            if spec.kind != "classes":
                raise InvalidInputError("class labels cannot condition a model that takes embeddings.")
            return torch.nn.functional.one_hot(t.long(), spec.size).float()
        return t.float()

    def take(self, indices: Sequence[int]) -> "FixedConditioning":
        return FixedConditioning(self.tensor[list(indices)])


@dataclass
class ConcatConditioning(Conditioning):
    """Conditionings played one after the other (``ga.latent.concat`` of paths); *lengths* are the frames of
    each part (a broadcast part is repeated over its frames)."""

    parts: tuple[Conditioning, ...]
    lengths: tuple[int, ...]

    @property
    def length(self) -> int | None:  # type: ignore[override]
        return sum(self.lengths)

    def resolve(self, spec: ConditionSpec) -> Any:
        import torch

        out = []
        for part, n in zip(self.parts, self.lengths):
            r = part.resolve(spec)
            out.append(r.expand(n, -1) if r.shape[0] == 1 else r)
        return torch.cat(out)

    def take(self, indices: Sequence[int]) -> Conditioning:
        return IndexedConditioning(self, tuple(indices))


@dataclass
class IndexedConditioning(Conditioning):
    """Frames *indices* of another per-frame conditioning."""

    base: Conditioning
    indices: tuple[int, ...]

    @property
    def length(self) -> int | None:  # type: ignore[override]
        return len(self.indices)

    def resolve(self, spec: ConditionSpec) -> Any:
        return self.base.resolve(spec)[list(self.indices)]

    def take(self, indices: Sequence[int]) -> Conditioning:
        return IndexedConditioning(self.base, tuple(self.indices[i] for i in indices))


def concat_conditions(conds: Sequence[Any], lengths: Sequence[int]) -> ConcatConditioning:
    """Concatenate per-path conditions (tensors or :class:`Conditioning`) into one lazy sequence."""
    parts = tuple(c if isinstance(c, Conditioning) else FixedConditioning(c) for c in conds)
    return ConcatConditioning(parts, tuple(int(n) for n in lengths))
