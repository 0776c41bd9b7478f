"""Training and decoding speed: the toolkit's loop (``genart_kit.training.loop.train``) against a plain
reference loop of the same architecture written here, and decode throughput of the shipped models.

Both loops train on the same preloaded MNIST tensors, same batch size, same architecture, same optimizer, on
the CPU; the reference loop is the textbook PyTorch code (no checkpoints, no progress bar, no history).
The toolkit's loop also writes its per-epoch checkpoint, sample grid and loss curve: its throughput is
reported for the iterations alone and for the wall time including those writes.

Usage::

    OMP_NUM_THREADS=2 python benchmarks/train_speed.py [--steps 150] [--batch-size 128] [--repeats 2]

Writes ``benchmarks/results/train_speed.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


def reference_gan(ds, steps: int, batch: int, width: int, latent_dim: int, extra_layers: int = 0, seed: int = 0) -> float:
    """Plain DCGAN loop (D step on real + fake, G step, BCE, Adam 2e-4/0.5); returns images per second."""
    from genart_gan.model import DCGANDiscriminator, DCGANGenerator, dcgan_init

    torch.manual_seed(seed)
    G = DCGANGenerator(latent_dim, (1, 28, 28), width, extra_layers=extra_layers)
    D = DCGANDiscriminator((1, 28, 28), width, extra_layers=extra_layers)
    dcgan_init(G)
    dcgan_init(D)
    og = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999))
    od = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
    perm = torch.randperm(len(ds))
    t0 = time.perf_counter()
    for i in range(steps):
        idx = perm[(i * batch) % (len(ds) - batch):][:batch]
        x = ds.images[idx].float() / 127.5 - 1
        z = torch.randn(batch, latent_dim)
        fake = G(z)
        od.zero_grad()
        lr_ = F.binary_cross_entropy_with_logits(D(x), torch.ones(batch))
        lr_.backward()
        lf = F.binary_cross_entropy_with_logits(D(fake.detach()), torch.zeros(batch))
        lf.backward()
        od.step()
        og.zero_grad()
        lg = F.binary_cross_entropy_with_logits(D(fake), torch.ones(batch))
        lg.backward()
        og.step()
        float(lg.detach())
    return steps * batch / (time.perf_counter() - t0)


def reference_vae(ds, steps: int, batch: int, seed: int = 0, **cfg) -> float:
    """Plain VAE loop (binarize, reparameterise, BCE + KL, Adam 1e-3); returns images per second."""
    from genart_vae.model import VAE

    torch.manual_seed(seed)
    vae = VAE(**cfg)
    opt = torch.optim.Adam(vae.parameters(), 1e-3)
    perm = torch.randperm(len(ds))
    t0 = time.perf_counter()
    for i in range(steps):
        idx = perm[(i * batch) % (len(ds) - batch):][:batch]
        x = torch.bernoulli(ds.images[idx].float() / 255)
        mu, logvar = vae.posterior(x)
        z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
        rec = F.binary_cross_entropy_with_logits(vae.decoder_logits(z), x, reduction="sum") / batch
        kl = -0.5 * (1 + logvar - mu**2 - logvar.exp()).sum() / batch
        loss = rec + kl
        opt.zero_grad()
        loss.backward()
        opt.step()
        float(loss.detach())
    return steps * batch / (time.perf_counter() - t0)


def toolkit(model: str, data_dir, steps: int, batch: int, opts: dict, limit: int) -> float:
    """The toolkit's loop on the first *limit* training images, one epoch of *steps* steps (checkpoint and
    sample grid at the end of the epoch included); images per second from the loop's own timer."""
    from genart_kit.training.loop import TrainConfig, train

    with tempfile.TemporaryDirectory() as tmp:
        cfg = TrainConfig(model=model, data="mnist", epochs=1, steps=steps, batch_size=batch, seed=0, device="cpu",
                          out=tmp, data_options={"data_dir": data_dir, "download": False, "limit": limit},
                          model_options=opts, progress=False)
        res = train(cfg)
        return res.images_per_second, res.wall_images_per_second


@torch.no_grad()
def decode_speed(name: str, n: int = 2048, batch: int = 256) -> dict:
    """Decode throughput of a shipped model: images per second for batches of *batch*, and for single latents,
    each also with ``decode_block = 0`` (one network call per decode, no fixed 16-row blocks) as the baseline."""
    from genart_kit.registry import get_registry

    m = get_registry().load("model", name, device="cpu")
    z = m.sample_latents(n, seed=0)
    c = 3 if m.conditional else None
    out = {"batch": batch}
    for key, block in (("", m.decode_block), ("unblocked_", 0)):
        m.decode_block = block
        m.decode(z[:batch], c)  # warm-up
        t0 = time.perf_counter()
        for i in range(0, n, batch):
            m.decode(z[i:i + batch], c)
        out[f"{key}batched_images_per_s"] = n / (time.perf_counter() - t0)
        t0 = time.perf_counter()
        for i in range(200):
            m.decode(z[i:i + 1], c)
        out[f"{key}single_images_per_s"] = 200 / (time.perf_counter() - t0)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--steps", type=int, default=150)
    ap.add_argument("--batch-size", type=int, default=128)
    ap.add_argument("--repeats", type=int, default=2, help="alternate toolkit/reference runs; the best of each is kept")
    ap.add_argument("--out", default=str(RESULTS / "train_speed.json"))
    ap.add_argument("--cases", default="gan,vae", help="which training comparisons to run (results of the others are kept)")
    ap.add_argument("--markdown-only", action="store_true", help="only rewrite the .md table from the existing --out JSON")
    args = ap.parse_args(argv)
    if args.markdown_only:
        res = json.loads(Path(args.out).read_text())
        Path(args.out).with_suffix(".md").write_text(markdown(res))
        print(markdown(res))
        return 0
    from genart_kit.training.data import load_mnist

    ds = load_mnist(args.data_dir, train=True, download=False)
    limit = args.steps * args.batch_size  # exactly one epoch of `steps` steps
    rows = []
    cases = [
        ("gan", {"width": 32, "extra_layers": 2, "latent_dim": 64},  # gan-mnist's architecture
         lambda: reference_gan(ds, args.steps, args.batch_size, 32, 64, extra_layers=2)),
        ("vae", {"latent_dim": 16, "width": 32, "hidden": 128, "binarize": True},
         lambda: reference_vae(ds, args.steps, args.batch_size, latent_dim=16, width=32, hidden=128, binarize=True)),
    ]
    wanted = args.cases.split(",")
    if Path(args.out).exists():
        rows = [r for r in json.loads(Path(args.out).read_text()).get("train", []) if r["model"] not in wanted]
    for model, opts, ref in cases:
        if model not in wanted:
            continue
        tk, wall, rf = [], [], []
        for _ in range(args.repeats):
            a, b = toolkit(model, args.data_dir, args.steps, args.batch_size, opts, limit)
            tk.append(a)
            wall.append(b)
            rf.append(ref())
        rows.append({"model": model, "options": opts, "steps": args.steps, "toolkit_images_per_s": max(tk), "reference_images_per_s": max(rf),
                     "toolkit_wall_images_per_s": max(wall), "ratio": max(tk) / max(rf), "runs_toolkit": tk,
                     "runs_toolkit_wall": wall, "runs_reference": rf})
        print(rows[-1], file=sys.stderr)
    decode = {name: decode_speed(name) for name in ("gan-mnist", "cgan-mnist", "vae-mnist", "cvae-mnist")}
    rows.sort(key=lambda r: r["model"])
    for r in rows:
        r.setdefault("steps", args.steps)
    res = {"train": rows, "decode": decode, "batch_size": args.batch_size,
           "threads": torch.get_num_threads(), "torch": torch.__version__, "machine": platform.machine(),
           "cpu": platform.processor() or platform.machine()}
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(res))
    print(markdown(res))
    return 0


def markdown(res: dict) -> str:
    """The README tables: best-of-N throughputs, the ratio of the bests and the ratio of the medians (the
    median is less sensitive to one lucky or disturbed run on shared cores)."""
    import statistics

    rows = res["train"]
    repeats = max(len(r.get("runs_toolkit", [])) for r in rows) if rows else 0
    md = ["| training (batch %d, %d threads, best of %d) | toolkit loop, iterations | toolkit, incl. checkpoint + grid writes "
          "| plain reference loop | ratio (best) | ratio (median) |" % (res["batch_size"], res["threads"], repeats),
          "|---|---|---|---|---|---|"]
    for r in rows:
        opts = ", ".join(f"{k}={v}" for k, v in r["options"].items())
        median = statistics.median(r["runs_toolkit"]) / statistics.median(r["runs_reference"])
        md.append(f"| {r['model']} ({opts}) | {r['toolkit_images_per_s']:.0f} img/s | {r['toolkit_wall_images_per_s']:.0f} img/s "
                  f"| {r['reference_images_per_s']:.0f} img/s | {r['ratio']:.2f} | {median:.2f} |")
    md += ["", "| decode (blocks of 16 rows vs one call) | batched (256) | ratio | one latent at a time | ratio |", "|---|---|---|---|---|"]
    for name, d in res["decode"].items():
        md.append(f"| {name} | {d['batched_images_per_s']:.0f} img/s | {d['batched_images_per_s'] / d['unblocked_batched_images_per_s']:.2f} "
                  f"| {d['single_images_per_s']:.0f} img/s | {d['single_images_per_s'] / d['unblocked_single_images_per_s']:.2f} |")
    return "\n".join(md) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
