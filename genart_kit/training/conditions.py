"""What a model conditioned on text embeddings trains on: the embeddings of a captioned data set's captions.

A model whose :attr:`~genart_kit.generative.GenerativeModel.condition_spec` is ``kind="embedding"`` (it
declares ``cond_dim`` and an ``embedding_space``) is trained on a data set that has one caption per image
(a ``captions`` list, as the ``emoji`` data set has). The captions are embedded once, before the first step,
by the text conditioner that serves the model's space (:func:`genart_kit.conditioning.prompt`), and the
training step receives the batch's embeddings ``[B, K]`` float32 in place of its integer labels. Nothing
here knows an architecture: any plugin's model that declares an embedding condition trains this way.
"""

from __future__ import annotations

import logging
from typing import Any

import torch

from ..errors import InvalidInputError

log = logging.getLogger(__name__)

__all__ = ["training_conditions"]


def training_conditions(model: Any, dataset: Any, *, encoder: str | None = None,
                        batch: int = 256) -> tuple[torch.Tensor, str] | None:
    """The per-image training conditions of *model* on *dataset*, or ``None`` when the labels serve.

    Args:
        model: the model being trained (its ``condition_spec``).
        dataset: the training data set; a ``captions`` attribute (one string per image) is used when the
            model conditions on embeddings.
        encoder: the text conditioner (``genart list conditioners``); default the best installed.
        batch: captions embedded per call.

    Returns:
        ``(table, encoder)``: float32 ``[N, K]`` embeddings on the CPU (N images, K = ``spec.size``) and the
        name of the conditioner that made them; ``None`` for a model that takes labels or no condition.

    Raises:
        InvalidInputError: the model takes embeddings but the data set has no captions, or their number
            differs from the images'.
    """
    spec = getattr(model, "condition_spec", None)
    if spec is None or spec.kind != "embedding":
        return None
    captions = getattr(dataset, "captions", None)
    name = getattr(dataset, "name", "the data set")
    if captions is None:
        raise InvalidInputError(
            f"model '{getattr(model, 'name', '?')}' is conditioned on text embeddings but data set '{name}' has no "
            "captions; train it on a captioned data set (e.g. --data emoji) or use a label-conditional model.")
    if len(captions) != len(dataset):
        raise InvalidInputError(f"data set '{name}' has {len(captions)} captions for {len(dataset)} images.")
    from ..conditioning import conditioner, default_conditioner

    enc = encoder or default_conditioner()
    cond = conditioner(enc)  # an unknown or uninstalled encoder is refused here, before any work
    log.info("embedding %d captions with text encoder '%s'", len(captions), enc)
    out = [cond.condition(list(captions[i:i + batch]), spec).detach().to("cpu", torch.float32)
           for i in range(0, len(captions), batch)]
    table = torch.cat(out)
    if table.shape != (len(captions), spec.size):
        raise InvalidInputError(f"text encoder '{enc}' gave conditions {list(table.shape)} for {len(captions)} "
                                f"captions; the model takes [N, {spec.size}].")
    return table, enc
