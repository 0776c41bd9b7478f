"""The ``tiny`` text encoder: a small transformer distilled from all-MiniLM-L6-v2, shipped in 4 MB.

Tokens are words (``\\w+`` runs, and every other non-space character on its own, so an emoji is a token),
lower-cased with accents stripped like MiniLM's uncased WordPiece tokenizer. Each word is embedded as the mean
of hashed character n-gram embeddings (n = 1..4 over ``<word>`` plus the whole word), the subword trick of
fastText (Bojanowski et al. 2017, "Enriching Word Vectors with Subword Information"), so typos and unseen
words land near their neighbours and the vocabulary is unbounded. A pre-norm transformer encoder (Vaswani et al.
2017) mixes the words; masked mean pooling and a linear map give a 384-d, L2-normalised vector in MiniLM's
embedding space (trained by distillation, see :mod:`genart_text.distill`), so every head or model trained on
MiniLM embeddings also takes the tiny encoder's.

Importing this module imports torch.
"""

from __future__ import annotations

import re
import unicodedata
import zlib

import torch
from torch import nn

BUCKETS = 16384
MAX_WORDS = 48
MAX_CHARS = 2000  # longer prompts are cut here before tokenising (MiniLM itself reads 256 word pieces)
_WORD = re.compile(r"\w+|[^\w\s]", re.UNICODE)
_NGRAM_SEED = 0x9E3779B1


def normalise(text: str) -> str:
    """Lower-case, NFKD-decompose and drop combining marks and control characters (as BERT's uncased
    tokenizer does), so "Zéro" and "zero" tokenise alike."""
    text = unicodedata.normalize("NFKD", text[:MAX_CHARS].lower())
    return "".join(c for c in text if not unicodedata.combining(c) and (c.isprintable() or c.isspace()))


def word_ngrams(word: str) -> list[int]:
    """Hashed n-gram bucket ids of *word*: its character 1..4-grams over ``<word>`` and the whole word.

    Returns:
        a non-empty list of ints in ``[0, BUCKETS)`` (crc32, stable across runs and platforms).
    """
    w = f"<{word}>"
    grams = {w}
    for n in range(1, 5):
        grams.update(w[i:i + n] for i in range(len(w) - n + 1))
    grams.discard("<")
    grams.discard(">")
    return sorted({zlib.crc32(g.encode("utf-8"), _NGRAM_SEED) % BUCKETS for g in grams})


def tokenise(text: str) -> list[list[int]]:
    """*text* -> one n-gram id list per word (at most :data:`MAX_WORDS` words); ``[]`` for empty text."""
    return [word_ngrams(w) for w in _WORD.findall(normalise(text))[:MAX_WORDS]]


def batch_tokens(texts: list[str]) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Pack *texts* for :class:`TinyTextEncoder`.

    Returns:
        ``(ids, offsets, lengths)``: ``ids`` int64 ``[total n-grams]`` and ``offsets`` int64 ``[N * W]`` in
        :class:`torch.nn.EmbeddingBag` layout for an ``[N, W]`` grid of words (W = the longest text's word
        count, at least 1; padding words are empty bags), and ``lengths`` int64 ``[N]`` word counts.
    """
    toks = [tokenise(t) for t in texts]
    width = max([len(t) for t in toks] + [1])
    ids: list[int] = []
    offsets: list[int] = []
    for t in toks:
        for j in range(width):
            offsets.append(len(ids))
            if j < len(t):
                ids.extend(t[j])
    return (torch.tensor(ids, dtype=torch.int64), torch.tensor(offsets, dtype=torch.int64),
            torch.tensor([len(t) for t in toks], dtype=torch.int64))


class TinyTextEncoder(nn.Module):
    """Hashed-n-gram word embeddings -> transformer encoder -> masked mean pool -> 384-d unit vector.

    Args:
        embed_dim: n-gram embedding width (projected to ``width``).
        width: transformer model width d.
        layers: transformer layers; ``heads`` attention heads; ``ff`` feed-forward width.
        out_dim: output size (384, MiniLM's).

    ``forward(ids, offsets, lengths)`` (see :func:`batch_tokens`) returns float32 ``[N, out_dim]``
    L2-normalised rows; a text with no words maps to the learned ``empty`` vector.
    """

    def __init__(self, embed_dim: int = 64, width: int = 128, layers: int = 4, heads: int = 4, ff: int = 512,
                 out_dim: int = 384) -> None:
        super().__init__()
        self.config = dict(embed_dim=embed_dim, width=width, layers=layers, heads=heads, ff=ff, out_dim=out_dim)
        self.ngrams = nn.EmbeddingBag(BUCKETS, embed_dim, mode="mean")
        self.proj_in = nn.Linear(embed_dim, width)
        self.position = nn.Parameter(torch.zeros(MAX_WORDS, width))
        layer = nn.TransformerEncoderLayer(width, heads, ff, dropout=0.0, activation="gelu", batch_first=True,
                                           norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, layers, enable_nested_tensor=False)
        self.norm = nn.LayerNorm(width)
        self.proj_out = nn.Linear(width, out_dim)
        self.empty = nn.Parameter(torch.randn(out_dim) * 0.05)
        nn.init.normal_(self.ngrams.weight, std=0.1)
        nn.init.normal_(self.position, std=0.02)

    def forward(self, ids: torch.Tensor, offsets: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        n = lengths.shape[0]
        width = offsets.shape[0] // max(n, 1)
        words = self.ngrams(ids, offsets).view(n, width, -1)
        x = self.proj_in(words) + self.position[:width]
        pad = torch.arange(width, device=lengths.device)[None, :] >= lengths[:, None]  # True = padding
        safe = pad.clone()
        safe[:, 0] = False  # an empty text attends to one (padding) word instead of to nothing (NaN)
        x = self.norm(self.encoder(x, src_key_padding_mask=safe))
        keep = (~pad).float().unsqueeze(-1)
        pooled = (x * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        out = self.proj_out(pooled)
        out = torch.where((lengths == 0)[:, None], self.empty.expand_as(out), out)
        return nn.functional.normalize(out, dim=-1)

    def encode(self, texts: list[str]) -> torch.Tensor:
        """Embed *texts*: float32 ``[len(texts), out_dim]`` unit rows, in eval mode without gradients."""
        self.eval()
        with torch.no_grad():
            return self(*batch_tokens(texts))


def load_tiny_encoder(path: str | None = None) -> TinyTextEncoder:
    """The shipped tiny encoder (``weights/tiny-encoder.safetensors``, float16 on disk, float32 in memory).

    Raises:
        GenartError: the weights file is missing (a broken install: reinstall genart-kit).
    """
    import json
    from pathlib import Path

    from safetensors import safe_open
    from safetensors.torch import load_file

    from genart_kit.errors import GenartError

    file = Path(path) if path else Path(__file__).resolve().parent / "weights" / "tiny-encoder.safetensors"
    if not file.is_file():
        raise GenartError(f"the tiny text encoder's weights are missing ({file}); reinstall genart-kit.")
    with safe_open(str(file), "pt") as f:
        config = json.loads(f.metadata()["config"])
    model = TinyTextEncoder(**config)
    model.load_state_dict({k: v.float() for k, v in load_file(str(file)).items()})
    return model.eval()
