"""The contract every generative model honours; the rest of the toolkit relies only on this.

Importing this module imports torch: only model implementations import it, never the listing paths.

Conventions (the same for every plugin):

* latents: ``[N, latent_dim]`` float32 on the model's device;
* frames: ``[N, C, H, W]`` float32 in [0, 1] on the model's device;
* conditions: ``None``, an ``int`` label (broadcast), a ``[N]`` int64 label tensor / sequence, or a
  ``[N, cond_dim]`` float conditioning vector.

Decoding always runs in eval mode under ``torch.no_grad()`` so it is batch-independent: one latent renders
the same alone or in a batch, bit for bit. Eval mode makes BatchNorm use its running statistics; and
because matrix products round differently for different batch sizes (BLAS picks other kernels for 1 row
than for 49), :meth:`GenerativeModel.decode` and :meth:`~GenerativeModel.encode` always run the network
on blocks of exactly ``decode_block`` rows (the last one padded by repeating its final row), so every
latent meets the same arithmetic whatever the caller's batch size. Without it, a colour map's index
``floor(256 x)`` can flip for a 1e-7 difference and a clip rendered in batches of 1 would differ from the
same clip rendered in batches of 49.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import torch
from torch import nn

from .errors import InvalidInputError

if TYPE_CHECKING:  # pragma: no cover
    from .conditioning import ConditionSpec

Condition = Any  # None | int | Sequence[int] | torch.Tensor


def seeded_generator(seed: int | None) -> torch.Generator:
    """Return a CPU :class:`torch.Generator` seeded with *seed* (a fresh random seed when ``None``).

    Random numbers are always drawn on the CPU and then moved, so the same seed gives the same latents on
    CPU and CUDA.
    """
    g = torch.Generator(device="cpu")
    if seed is None:
        g.seed()
    else:
        if not isinstance(seed, int) or isinstance(seed, bool):
            raise InvalidInputError(f"seed must be an int, got {seed!r}; pass e.g. seed=0.")
        g.manual_seed(int(seed) % (2**63))
    return g


def in_blocks(fn: Any, x: torch.Tensor, condition: torch.Tensor | None, block: int) -> torch.Tensor:
    """Apply ``fn(x_block, condition_block)`` to consecutive blocks of exactly *block* rows of *x* ``[N, ...]``
    (and of *condition* ``[N, ...]`` when given), padding the last block by repeating its final row, and
    return the concatenated results for the N real rows. ``block <= 0`` calls ``fn`` once on everything.

    Same block shape, same kernels: each row's result no longer depends on how many rows were passed.
    """
    n = x.shape[0]
    if block <= 0 or n == 0:
        return fn(x, condition)
    outs = []
    for start in range(0, n, block):
        xb = x[start:start + block]
        cb = condition[start:start + block] if condition is not None else None
        pad = block - xb.shape[0]
        if pad:
            xb = torch.cat([xb, xb[-1:].expand(pad, *xb.shape[1:])])
            if cb is not None:
                cb = torch.cat([cb, cb[-1:].expand(pad, *cb.shape[1:])])
        out = fn(xb, cb)
        outs.append(out[: block - pad] if pad else out)
    return torch.cat(outs) if len(outs) > 1 else outs[0]


def default_device() -> torch.device:
    """CUDA when available, else CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


class GenerativeModel(nn.Module):
    """Base class for models: latent sampling, decoding to frames, optional encoding, device moves.

    Subclasses set ``latent_dim``, ``image_shape`` ((C, H, W)), optionally ``num_classes`` (class-conditional)
    or ``cond_dim`` (vector-conditional), implement :meth:`_decode` (and :meth:`_encode` if they can encode),
    and keep ``config`` (the architecture hyper-parameters that rebuild them).

    Attributes:
        name: registry name (``"vae-mnist"``) or architecture name (``"vae"``).
        latent_dim: D, the latent dimension.
        image_shape: (C, H, W) of decoded frames.
        num_classes: number of class labels for class-conditional models, else ``None``.
        cond_dim: length of a conditioning vector accepted by :meth:`decode`, else ``None``.
        class_names: a name per class (``("0", ..., "9")``) for class-conditional models, else ``None``
            (prompts are matched against these when no conditioner has a head for ``label_set``).
        label_set: the class list's name (``"mnist-digits"``): a conditioner with a trained head for it uses it.
        embedding_space: for vector-conditional models trained on text embeddings, the embedding space's name
            (``"all-MiniLM-L6-v2"``), so a conditioner knows it can produce them.
        config: JSON-serialisable dict that rebuilds the architecture.
        decode_block: rows per network call in :meth:`decode` / :meth:`encode` (default 16; see the module
            docstring). As fast as one large call for the shipped models (measured: 0.97x the time of one
            256-row call) and a few milliseconds for a single latent; 0 turns blocking off.
    """

    decode_block: int = 16
    name: str = "model"
    latent_dim: int = 0
    image_shape: tuple[int, int, int] = (1, 28, 28)
    num_classes: int | None = None
    cond_dim: int | None = None
    class_names: tuple[str, ...] | None = None
    label_set: str | None = None
    embedding_space: str | None = None

    def __init__(self) -> None:
        super().__init__()
        self.config: dict[str, Any] = {}

    # ----------------------------------------------------------------------------------------- device
    @property
    def device(self) -> torch.device:
        """The device of the model's parameters, else of its buffers (a procedural model's coordinate grids);
        CPU for a model with neither."""
        for p in self.parameters():
            return p.device
        for b in self.buffers():
            return b.device
        return torch.device("cpu")

    @property
    def conditional(self) -> bool:
        """Whether :meth:`decode` takes a condition."""
        return self.num_classes is not None or self.cond_dim is not None

    @property
    def condition_spec(self) -> "ConditionSpec | None":
        """What :meth:`decode` takes as ``condition`` (a :class:`genart_kit.conditioning.ConditionSpec`), or
        ``None`` for an unconditional model; prompts (:func:`genart_kit.conditioning.prompt`) resolve to it."""
        from .conditioning import ConditionSpec

        if self.num_classes is not None:
            names = tuple(self.class_names) if self.class_names else None
            return ConditionSpec("classes", int(self.num_classes), class_names=names, label_set=self.label_set)
        if self.cond_dim is not None:
            return ConditionSpec("embedding", int(self.cond_dim), space=self.embedding_space)
        return None

    # ---------------------------------------------------------------------------------------- latents
    def sample_latents(self, n: int, seed: int | None = None, *, truncation: float | None = None) -> torch.Tensor:
        """Draw *n* latents from the prior N(0, I).

        Args:
            n: number of latents, ``n >= 1``.
            seed: RNG seed; the same seed gives the same latents on any device, and the first k of them do
                not depend on *n* (``sample_latents(1, s)`` is row 0 of ``sample_latents(37, s)``).
            truncation: optional psi in (0, 1]: scale latents towards the prior mean (0).

        Returns:
            float32 tensor ``[n, latent_dim]`` on the model's device.

        Raises:
            InvalidInputError: *n* < 1 or *truncation* outside (0, 1].
        """
        if not isinstance(n, int) or isinstance(n, bool) or n < 1:
            raise InvalidInputError(f"n must be a positive int, got {n!r}.")
        # drawn as a whole number of 16-latent rows: torch's CPU normal sampler transforms values 16 at a time
        # and treats a tensor of fewer than 16 values, or a ragged tail, differently; a multiple of 16 rows
        # makes the first k latents of a seed the same whatever n is (n=1 is the first row of n=37)
        rows = -(-n // 16) * 16
        z = torch.randn(rows, self.latent_dim, generator=seeded_generator(seed), dtype=torch.float32)[:n]
        if truncation is not None:
            if not (0.0 < float(truncation) <= 1.0):
                raise InvalidInputError(f"truncation psi must be in (0, 1], got {truncation!r}.")
            z = z * float(truncation)
        return z.to(self.device)

    # ---------------------------------------------------------------------------------------- decode
    def check_latents(self, latents: torch.Tensor) -> torch.Tensor:
        """Validate latents ``[N, latent_dim]`` (finite floats) and return them as float32 on the device.

        Raises:
            InvalidInputError: wrong type, shape, or non-finite values.
        """
        if not isinstance(latents, torch.Tensor):
            try:
                latents = torch.as_tensor(latents, dtype=torch.float32)
            except Exception as exc:  # reported as the toolkit's error
                raise InvalidInputError(f"latents must be a tensor [N, {self.latent_dim}], got {type(latents).__name__}.") from exc
        if latents.ndim == 1 and latents.shape[0] == self.latent_dim:
            latents = latents.unsqueeze(0)
        if latents.ndim != 2 or latents.shape[1] != self.latent_dim:
            raise InvalidInputError(
                f"latents must have shape [N, {self.latent_dim}] for model '{self.name}', got {list(latents.shape)}."
            )
        if latents.shape[0] == 0:
            raise InvalidInputError("latents are empty (N = 0); ask for at least one frame.")
        if not latents.is_floating_point():
            latents = latents.float()
        if not torch.isfinite(latents).all():
            raise InvalidInputError("latents contain NaN or infinite values; check the op that produced them.")
        return latents.to(device=self.device, dtype=torch.float32)

    def check_condition(self, condition: Condition, n: int) -> torch.Tensor | None:
        """Normalise *condition* for a batch of *n*: ``[n]`` int64 labels or ``[n, cond_dim]`` float32.

        Raises:
            InvalidInputError: a condition for an unconditional model, a label out of range, a wrong shape,
                or a missing condition for a model that needs one.
        """
        from .conditioning import Conditioning

        if isinstance(condition, Conditioning):  # a prompt: resolved against what this model takes
            if not self.conditional:
                raise InvalidInputError(f"model '{self.name}' is not conditional: a prompt cannot steer it; pick a "
                                        "conditional model (genart list models shows them).")
            if condition.length not in (None, 1, n):
                raise InvalidInputError(f"got {condition.length} prompts for {n} latents; pass one prompt or one per latent.")
            condition = condition.resolve(self.condition_spec)
        if condition is None:
            if self.conditional:
                what = f"a class label 0..{self.num_classes - 1}" if self.num_classes else f"a [N, {self.cond_dim}] vector"
                raise InvalidInputError(f"model '{self.name}' is conditional: pass condition= {what}.")
            return None
        if not self.conditional:
            raise InvalidInputError(f"model '{self.name}' is not conditional; drop the condition/label.")
        if isinstance(condition, bool):
            raise InvalidInputError(f"condition must be a label or a vector, got {condition!r}.")
        if isinstance(condition, int):
            condition = torch.full((n,), condition, dtype=torch.long)
        elif not isinstance(condition, torch.Tensor):
            condition = torch.as_tensor(condition)
        if condition.ndim == 1 and not condition.is_floating_point():
            if self.num_classes is None:
                space = f" (text embeddings of the {self.embedding_space} space)" if self.embedding_space else ""
                raise InvalidInputError(f"model '{self.name}' takes [N, {self.cond_dim}] vectors{space}, not labels: "
                                        "pass a prompt (ga.prompt('a red apple'), --prompt) or the vectors.")
            if condition.shape[0] == 1 and n > 1:
                condition = condition.expand(n)
            if condition.shape[0] != n:
                raise InvalidInputError(f"got {condition.shape[0]} labels for {n} latents; pass one label or one per latent.")
            if condition.numel() and (int(condition.min()) < 0 or int(condition.max()) >= self.num_classes):
                raise InvalidInputError(
                    f"label out of range for model '{self.name}': labels must be 0..{self.num_classes - 1}."
                )
            return condition.to(device=self.device, dtype=torch.long)
        # conditioning vectors
        expected = self.cond_dim if self.cond_dim is not None else self.num_classes
        if condition.ndim == 1:
            condition = condition.unsqueeze(0)
        if condition.ndim != 2 or condition.shape[1] != expected:
            raise InvalidInputError(
                f"conditioning vectors for model '{self.name}' must have shape [N, {expected}], got {list(condition.shape)}."
            )
        if condition.shape[0] == 1 and n > 1:
            condition = condition.expand(n, -1)
        if condition.shape[0] != n:
            raise InvalidInputError(f"got {condition.shape[0]} conditioning vectors for {n} latents.")
        condition = condition.to(device=self.device, dtype=torch.float32)
        if not torch.isfinite(condition).all():
            raise InvalidInputError("conditioning vectors contain NaN or infinite values.")
        return condition

    @torch.no_grad()
    def decode(self, latents: torch.Tensor, condition: Condition = None) -> torch.Tensor:
        """Decode latents to frames, batch-independently (eval mode, no grad).

        Args:
            latents: ``[N, latent_dim]`` float tensor (a single ``[latent_dim]`` vector is accepted).
            condition: see the module docstring; required for conditional models.

        Returns:
            float32 frames ``[N, C, H, W]`` in [0, 1] on the model's device.

        Raises:
            InvalidInputError: bad shape, NaN/inf latents, bad or missing condition.
        """
        z = self.check_latents(latents)
        c = self.check_condition(condition, z.shape[0])
        was_training = self.training
        self.eval()
        try:
            out = in_blocks(self._decode, z, c, int(self.decode_block))
        finally:
            if was_training:
                self.train()
        # not in place: a plugin may return a view (expand, broadcast) that cannot be written to
        return out.clamp(0.0, 1.0).to(torch.float32)

    def _decode(self, z: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        """Subclass hook: ``z [N, D]`` float32 -> frames ``[N, C, H, W]`` in [0, 1]. Runs in eval mode."""
        raise NotImplementedError

    # ---------------------------------------------------------------------------------------- encode
    @property
    def can_encode(self) -> bool:
        """Whether :meth:`encode` is supported (VAEs: yes; GANs: no)."""
        return type(self)._encode is not GenerativeModel._encode

    @torch.no_grad()
    def encode(self, images: torch.Tensor, condition: Condition = None) -> torch.Tensor:
        """Encode images to latents (the posterior mean for a VAE).

        Args:
            images: float ``[N, C, H, W]`` in [0, 1] with the model's ``image_shape``.
            condition: as for :meth:`decode` (conditional encoders only).

        Returns:
            float32 latents ``[N, latent_dim]`` on the model's device.

        Raises:
            InvalidInputError: the model cannot encode, or the images have the wrong shape / range.
        """
        if not self.can_encode:
            raise InvalidInputError(f"model '{self.name}' cannot encode images; use a VAE such as 'vae-mnist'.")
        if not isinstance(images, torch.Tensor):
            images = torch.as_tensor(images)
        if images.ndim == 3:
            images = images.unsqueeze(0)
        if images.ndim != 4 or tuple(images.shape[1:]) != tuple(self.image_shape):
            raise InvalidInputError(
                f"images must have shape [N, {', '.join(map(str, self.image_shape))}] for model '{self.name}', got {list(images.shape)}."
            )
        if images.dtype == torch.uint8:
            images = images.float() / 255.0
        images = images.to(device=self.device, dtype=torch.float32)
        if not torch.isfinite(images).all():
            raise InvalidInputError("images contain NaN or infinite values.")
        c = self.check_condition(condition, images.shape[0]) if (condition is not None or self.conditional) else None
        was_training = self.training
        self.eval()
        try:
            return in_blocks(self._encode, images.clamp(0.0, 1.0), c, int(self.decode_block))
        finally:
            if was_training:
                self.train()

    def _encode(self, images: torch.Tensor, condition: torch.Tensor | None) -> torch.Tensor:
        """Subclass hook: images ``[N, C, H, W]`` float32 in [0, 1] -> latents ``[N, D]``."""
        raise NotImplementedError

    def __repr__(self) -> str:
        cond = f", num_classes={self.num_classes}" if self.num_classes else ""
        cond += f", cond_dim={self.cond_dim}" if self.cond_dim else ""
        return f"<{type(self).__name__} '{self.name}' latent_dim={self.latent_dim} image_shape={tuple(self.image_shape)}{cond} device={self.device}>"
