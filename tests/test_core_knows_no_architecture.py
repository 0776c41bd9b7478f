"""The core (genart_kit/) knows no architecture: GAN/VAE names and options live in their plugins."""

from __future__ import annotations

import io
import tokenize
from pathlib import Path

CORE = Path(__file__).resolve().parents[1] / "genart_kit"
# ("hidden" and "generator" are left out: hidden traceback frames and loops, torch.Generator)
OPTION_NAMES = {"beta", "binarize", "extra_layers", "ema", "ema_start", "discriminator"}
MODEL_NAMES = {"gan", "vae", "cgan", "cvae", "gan-mnist", "vae-mnist", "cgan-mnist", "cvae-mnist", "genart_gan", "genart_vae"}


def _code_tokens(path: Path):
    """Names and string literals of *path*'s code; docstrings and comments are prose, left out."""
    tokens = list(tokenize.generate_tokens(io.StringIO(path.read_text(encoding="utf-8")).readline))
    prev = tokenize.NEWLINE
    for tok in tokens:
        if tok.type == tokenize.STRING and prev in (tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT):
            prev = tok.type  # a docstring (a string statement on its own)
            continue
        if tok.type not in (tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
            yield tok
        prev = tok.type if tok.type != tokenize.COMMENT else prev


def test_no_architecture_option_or_model_name_in_core_code():
    found = []
    for path in sorted(CORE.rglob("*.py")):
        for tok in _code_tokens(path):
            if tok.type == tokenize.NAME and tok.string in OPTION_NAMES:
                found.append(f"{path.relative_to(CORE)}:{tok.start[0]} name {tok.string}")
            if tok.type == tokenize.STRING:
                text = tok.string.strip("'\"rbfu")
                if text in MODEL_NAMES | OPTION_NAMES:
                    found.append(f"{path.relative_to(CORE)}:{tok.start[0]} string {tok.string}")
    assert not found, found
