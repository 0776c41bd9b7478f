"""Quality of the shipped MNIST models, measured on the real MNIST test set.

* ``vae-mnist`` / ``cvae-mnist``: negative ELBO in nats per image on the 10,000 test images, stochastically
  binarized once with a fixed seed (x_bin ~ Bernoulli(x)), single-sample ELBO (Kingma & Welling 2013), plus
  the tighter importance-weighted bound with K samples (Burda et al. 2015) as an estimate of -log p(x).
* ``gan-mnist``: a small CNN classifier trained here on the 60,000 training images scores 10,000 samples:
  "inception score" exp(E_x KL(p(y|x) || p(y))) (Salimans et al. 2016) with class probabilities instead of
  Inception-v3 (max 10; real test images score about 9.9), the class histogram, the score of two more sample
  seeds and the share of samples classified with more than 90 % confidence.
* ``cgan-mnist`` / ``cvae-mnist``: fraction of samples for label k that the classifier assigns to k.

Usage::

    python benchmarks/models_quality.py [--data-dir ../shared/datasets/mnist] [--samples 10000] [--iw 100]

Writes ``benchmarks/results/models_quality.json`` and ``.md``. Deterministic (fixed seeds, CPU).
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"


class Classifier(nn.Module):
    """Small MNIST CNN: conv32-conv64 (3x3, max-pool) -> fc128 -> 10 logits; input [N, 1, 28, 28] in [0, 1]."""

    def __init__(self) -> None:
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
            nn.Flatten(), nn.Dropout(0.25), nn.Linear(64 * 49, 128), nn.ReLU(), nn.Dropout(0.25), nn.Linear(128, 10),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net((x - 0.1307) / 0.3081)


def train_classifier(train_ds, test_ds, epochs: int = 5, seed: int = 0) -> tuple[Classifier, float]:
    """Train the classifier on the training set (Adam 1e-3, batch 128, 5 epochs); return it
    in eval mode with its test accuracy. Cached in ``~/.cache/genart-kit/mnist_classifier.safetensors``."""
    from safetensors.torch import load_file, save_file

    from genart_kit.training.data import cache_dir

    cache = cache_dir() / f"mnist_classifier_e{epochs}_s{seed}.safetensors"
    clf = Classifier()
    if cache.exists():
        clf.load_state_dict(load_file(str(cache)))
    else:
        torch.manual_seed(seed)
        clf = Classifier()
        opt = torch.optim.Adam(clf.parameters(), lr=1e-3)
        g = torch.Generator().manual_seed(seed)
        n = len(train_ds)
        for _ in range(epochs):
            clf.train()
            perm = torch.randperm(n, generator=g)
            for i in range(0, n - 127, 128):
                x, y = train_ds.get_batch(perm[i:i + 128])
                loss = F.cross_entropy(clf(x), y)
                opt.zero_grad()
                loss.backward()
                opt.step()
        cache.parent.mkdir(parents=True, exist_ok=True)
        save_file(clf.state_dict(), str(cache))
    clf.eval()
    probs = class_probs(clf, test_ds.images.float() / 255)
    acc = float((probs.argmax(1) == test_ds.labels).float().mean())
    return clf, acc


@torch.no_grad()
def class_probs(clf: Classifier, images: torch.Tensor, batch: int = 1000) -> torch.Tensor:
    """p(y|x) ``[N, 10]`` for images ``[N, 1, 28, 28]`` float in [0, 1]."""
    return torch.cat([F.softmax(clf(images[i:i + batch]), 1) for i in range(0, len(images), batch)])


def inception_score(p: torch.Tensor, splits: int = 10) -> tuple[float, float]:
    """exp(E_x KL(p(y|x) || p(y))) over all rows, and the std over *splits* equal splits."""
    def score(q: torch.Tensor) -> float:
        py = q.mean(0, keepdim=True)
        kl = (q * (torch.log(q + 1e-12) - torch.log(py + 1e-12))).sum(1).mean()
        return float(torch.exp(kl))

    parts = [score(c) for c in p.chunk(splits)]
    return score(p), float(torch.tensor(parts).std())


@torch.no_grad()
def sample(model, n: int, seed: int, label: int | None = None, batch: int = 1000) -> torch.Tensor:
    """n decoded samples (float [n, 1, 28, 28]); latents from ``model.sample_latents(n, seed)``."""
    z = model.sample_latents(n, seed=seed)
    return torch.cat([model.decode(z[i:i + batch], label) for i in range(0, n, batch)])


@torch.no_grad()
def vae_bounds(model, test_ds, iw: int, seed: int = 0, batch: int = 500) -> dict[str, float]:
    """Mean negative ELBO and (iw > 1) the importance-weighted bound, in nats per image, on the binarized test set."""
    from genart_vae.model import negative_elbo

    g = torch.Generator().manual_seed(seed)
    x_all = torch.bernoulli(test_ds.images.float() / 255, generator=g)
    labels_all = test_ds.labels
    elbo_sum, iw_sum, rec_sum, kl_sum = 0.0, 0.0, 0.0, 0.0
    n = len(x_all)
    torch.manual_seed(seed)
    for i in range(0, n, batch):
        x = x_all[i:i + batch]
        c = model.condition_vector(labels_all[i:i + batch]) if model.num_classes else None
        mu, logvar = model.posterior(x, c)
        eps = torch.randn_like(mu)
        z = mu + torch.exp(0.5 * logvar) * eps
        loss, rec, kl = negative_elbo(model.decoder_logits(z, c), x, mu, logvar)
        elbo_sum += float(loss.sum())
        rec_sum += float(rec.sum())
        kl_sum += float(kl.sum())
        if iw > 1:
            std = torch.exp(0.5 * logvar)
            logws = []
            for _ in range(iw):
                z = mu + std * torch.randn_like(mu)
                log_px = -F.binary_cross_entropy_with_logits(model.decoder_logits(z, c), x, reduction="none").flatten(1).sum(1)
                log_pz = -0.5 * (z**2 + math.log(2 * math.pi)).sum(1)
                log_qz = -0.5 * (((z - mu) / std) ** 2 + logvar + math.log(2 * math.pi)).sum(1)
                logws.append(log_px + log_pz - log_qz)
            lw = torch.stack(logws, 0)
            iw_sum += float(-(torch.logsumexp(lw, 0) - math.log(iw)).sum())
    out = {"neg_elbo_nats": elbo_sum / n, "recon_nats": rec_sum / n, "kl_nats": kl_sum / n}
    if iw > 1:
        out[f"neg_log_likelihood_iw{iw}_nats"] = iw_sum / n
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--samples", type=int, default=10000, help="GAN samples for the score/histogram")
    ap.add_argument("--per-label", type=int, default=1000, help="conditional samples per label")
    ap.add_argument("--iw", type=int, default=100, help="importance samples for the IWAE bound (1 = skip)")
    ap.add_argument("--models", default="gan-mnist,cgan-mnist,vae-mnist,cvae-mnist")
    ap.add_argument("--out", default=str(RESULTS / "models_quality.json"))
    ap.add_argument("--merge", action="store_true", help="keep the other models' results already in --out")
    args = ap.parse_args(argv)
    torch.set_num_threads(max(1, torch.get_num_threads()))
    from genart_kit.registry import get_registry
    from genart_kit.training.data import load_mnist

    reg = get_registry()
    t0 = time.perf_counter()
    train_ds = load_mnist(args.data_dir, train=True, download=False)
    test_ds = load_mnist(args.data_dir, train=False, download=False)
    clf, acc = train_classifier(train_ds, test_ds)
    real_is, real_std = inception_score(class_probs(clf, test_ds.images.float() / 255))
    results: dict = {"classifier": {"test_accuracy": acc, "real_test_score": real_is, "real_test_score_std": real_std,
                                    "architecture": "conv32-conv64-fc128 (dropout 0.25), 5 epochs Adam 1e-3, batch 128, on the 60k training set"},
                     "models": {}, "settings": vars(args)}
    if args.merge and Path(args.out).exists():
        results["models"] = json.loads(Path(args.out).read_text()).get("models", {})
    print(f"classifier test accuracy {acc:.4f}; real test images score {real_is:.3f}", file=sys.stderr)
    for name in [m for m in args.models.split(",") if m]:
        model = reg.load("model", name, device="cpu")
        res: dict = {"latent_dim": model.latent_dim, "config": model.config}
        from genart_kit.checkpoint import load_checkpoint

        weights = Path(sys.modules[type(model).__module__].__file__).with_name("weights") / f"{name}.safetensors"
        _, cfg = load_checkpoint(weights)
        res["command"] = cfg.get("command")
        res["weights_bytes"] = weights.stat().st_size
        if model.num_classes:
            per = {}
            for k in range(model.num_classes):
                p = class_probs(clf, sample(model, args.per_label, seed=1000 + k, label=k))
                per[str(k)] = float((p.argmax(1) == k).float().mean())
            res["label_accuracy_per_class"] = per
            res["label_accuracy"] = sum(per.values()) / len(per)
            res["label_accuracy_min"] = min(per.values())
        else:
            p = class_probs(clf, sample(model, args.samples, seed=0))
            score, std = inception_score(p)
            hist = torch.bincount(p.argmax(1), minlength=10).float() / len(p)
            res.update({"score": score, "score_std": std, "class_fraction": [round(float(h), 4) for h in hist],
                        "class_fraction_min": float(hist.min()), "class_fraction_max": float(hist.max()),
                        "confident_fraction": float((p.max(1).values > 0.9).float().mean()),
                        "score_other_seeds": {str(s): inception_score(class_probs(clf, sample(model, args.samples, seed=s)))[0]
                                              for s in (1, 2)}})
        if hasattr(model, "posterior"):
            res.update(vae_bounds(model, test_ds, iw=args.iw))
        results["models"][name] = res
        print(name, json.dumps({k: v for k, v in res.items() if k not in ("config", "command")}), file=sys.stderr)
    results["seconds"] = time.perf_counter() - t0
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    out.with_suffix(".md").write_text(markdown(results))
    print(markdown(results))
    return 0


def markdown(r: dict) -> str:
    """The README table."""
    c = r["classifier"]
    lines = ["| model | metric | value | target |", "|---|---|---|---|"]
    for name, m in r["models"].items():
        gan = "gan" in name
        if "score" in m:
            lines.append(f"| {name} | class-probability score (10k samples) | {m['score']:.2f} ± {m['score_std']:.2f} | {'>= 8.5' if gan else '(for reference)'} |")
            lines.append(f"| {name} | digit share min / max | {100 * m['class_fraction_min']:.1f} % / {100 * m['class_fraction_max']:.1f} % | {'5-15 %' if gan else '(for reference)'} |")
            if "score_other_seeds" in m:
                others = " / ".join(f"{v:.2f}" for v in m["score_other_seeds"].values())
                lines.append(f"| {name} | score with sample seeds {' / '.join(m['score_other_seeds'])} | {others} | |")
                lines.append(f"| {name} | samples classified with > 90 % confidence | {100 * m['confident_fraction']:.1f} % | |")
        if "label_accuracy" in m:
            lines.append(f"| {name} | samples for label k classified as k (mean / worst label) | {100 * m['label_accuracy']:.1f} % / {100 * m['label_accuracy_min']:.1f} % | >= 95 % |")
        if "neg_elbo_nats" in m:
            cond = ", given the label" if "label_accuracy" in m else ""
            lines.append(f"| {name} | negative ELBO, binarized test set (z={m['latent_dim']}{cond}) | {m['neg_elbo_nats']:.1f} nats | ~86 for z=50 in the literature |")
            iw = [k for k in m if k.startswith("neg_log_likelihood_iw")]
            if iw:
                lines.append(f"| {name} | -log p(x) IWAE bound, K={iw[0][21:-5]} | {m[iw[0]]:.1f} nats | |")
    lines.append(f"| (reference) real test images | class-probability score | {c['real_test_score']:.2f} | ~9.9 |")
    lines.append(f"| (reference) classifier | test accuracy | {100 * c['test_accuracy']:.2f} % | |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
