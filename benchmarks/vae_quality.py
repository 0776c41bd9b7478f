"""How good the shipped VAEs are, as likelihood models and as what an artist sees, on the real MNIST test set.

Likelihood (nats per image, lower is better), on the 10,000 test images stochastically binarized once
(x_bin ~ Bernoulli(intensity), seed 0: the "dynamically binarized MNIST" test set of Burda et al. 2015, the
one the literature's ~86.5 nats for a plain conv VAE refers to; not Larochelle's fixed binarization):

* the single-sample negative ELBO (Kingma & Welling 2013) on all 10,000;
* the importance-weighted bound on -log p(x) (Burda et al. 2015) with K samples on the first
  ``--iw-images`` test images (and the ELBO on the same images, so the two compare).

What an artist sees, judged by a separate MNIST classifier the benchmark trains itself (conv32-conv64-fc128,
5 epochs on the 60,000 training images; ``benchmarks/models_quality.py``'s, cached; its test accuracy is
reported):

* reconstructions ``decode(encode(x))`` of ``--real`` real test digits (the grey images, as the morph sketch
  encodes them): the share classified as another digit than the true label;
* ``--pairs`` pairs of encoded test digits of two different classes: the classifier's mean confidence
  (max softmax probability) on the decoded midpoint (lerp, t = 0.5) and along the slerp path (t = 1/8 ... 7/8),
  against the same on real digits and on plain pixel cross-fades of the two digits (the "double exposure");
* grey share: the fraction of pixels in (0.2, 0.8), a crude blur measure (real digits about 0.1);
* the main job's walk (``sketches/latent_walk.py`` at its defaults: 4 prior keys, slerp, cosine easing,
  loop) for seeds 0..``--walk-seeds``-1 through every shipped MNIST model: mean confidence, grey share and
  distinct digits visited, to pick the main job's default model;
* ``--strip``: the main job's 8-frame strip with the current ``vae-mnist`` (``docs/images/vae_walk_<label>.png``).

Usage (from the project root)::

    python benchmarks/vae_quality.py --label after --strip            # the shipped models
    python benchmarks/vae_quality.py --checkpoint vae=runs/x/model.safetensors --label x --iw 200 --iw-images 200

Writes ``benchmarks/results/vae_quality_<label>.json`` and ``.md``. Deterministic (fixed seeds, CPU).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "scripts"))

from _timing import write_result  # noqa: E402
from models_quality import class_probs, train_classifier  # noqa: E402  (the shared MNIST judge)

GREY = (0.2, 0.8)
SLERP_T = tuple(i / 8 for i in range(1, 8))


def grey_share(images: torch.Tensor) -> float:
    """Fraction of pixels strictly between 0.2 and 0.8 in ``[N, 1, H, W]`` float images in [0, 1]."""
    return float(((images > GREY[0]) & (images < GREY[1])).float().mean())


def confidence(clf, images: torch.Tensor) -> tuple[float, torch.Tensor]:
    """Mean max-softmax probability of the classifier on *images* and the predicted labels ``[N]``."""
    p = class_probs(clf, images)
    return float(p.max(1).values.mean()), p.argmax(1)


def clear_share(clf, images: torch.Tensor) -> float:
    """Share of *images* the classifier reads with more than 90 % confidence (a clear digit)."""
    return float((class_probs(clf, images).max(1).values > 0.9).float().mean())


def pick_pairs(labels: torch.Tensor, n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """*n* index pairs (a, b) of test images with different labels, seeded: a runs through a permutation,
    b is the next image of the permutation after it with another label."""
    g = torch.Generator().manual_seed(seed)
    perm = torch.randperm(len(labels), generator=g)
    a, b = perm[:n], []
    pool = perm[n:].tolist()
    j = 0
    for i in a.tolist():
        while int(labels[pool[j % len(pool)]]) == int(labels[i]):
            j += 1
        b.append(pool[j % len(pool)])
        j += 1
    return a, torch.tensor(b)


@torch.no_grad()
def likelihood(model, test_x: torch.Tensor, test_y: torch.Tensor, iw: int, iw_images: int, batch: int = 500) -> dict:
    """Negative ELBO on all of *test_x* (binary ``[N, 1, 28, 28]``) and the IWAE bound with K = *iw* on the
    first *iw_images*, nats per image, and the active latent units. The CVAE is given the true label (a bound
    on -log p(x | y))."""
    cond = test_y if model.num_classes else None
    g = torch.Generator().manual_seed(0)
    parts = [model.negative_elbo(test_x[i:i + batch], None if cond is None else cond[i:i + batch], generator=g)
             for i in range(0, len(test_x), batch)]
    loss, rec, kl = (torch.cat([p[j] for p in parts]) for j in range(3))
    mu = torch.cat([model.posterior(test_x[i:i + batch], None if cond is None else
                                    model.condition_vector(cond[i:i + batch]))[0] for i in range(0, len(test_x), batch)])
    out = {"neg_elbo_nats": float(loss.mean()), "recon_nats": float(rec.mean()), "kl_nats": float(kl.mean()),
           "test_images": len(test_x),
           # Burda et al. 2015: a latent dimension is active when Cov_x(E_q[z_j | x]) > 0.01
           "active_units": int((mu.var(0) > 0.01).sum())}
    if iw > 1 and iw_images > 0:
        t0 = time.perf_counter()
        g = torch.Generator().manual_seed(1)
        sub = slice(0, iw_images)
        bound = torch.cat([model.iwae_bound(test_x[sub][i:i + 100], None if cond is None else cond[sub][i:i + 100],
                                            samples=iw, generator=g) for i in range(0, iw_images, 100)])
        out.update({"iwae_k": iw, "iwae_images": iw_images, "iwae_nats": float(bound.mean()),
                    "neg_elbo_same_images_nats": float(loss[sub].mean()), "iwae_seconds": time.perf_counter() - t0})
    return out


@torch.no_grad()
def what_artists_see(model, clf, images: torch.Tensor, labels: torch.Tensor, n_real: int, n_pairs: int) -> dict:
    """Reconstruction class keeping, midpoint and slerp-path confidence and grey shares (see the module doc)."""
    import genart_kit as ga

    x, y = images[:n_real], labels[:n_real]
    cond = y if model.num_classes else None
    rec = model.decode(model.encode(x, cond), cond)
    real_conf, real_pred = confidence(clf, x)
    rec_conf, rec_pred = confidence(clf, rec)
    out = {"real_images": n_real,
           "reconstructions_other_digit": float((rec_pred != y).float().mean()),
           "reconstructions_other_than_classifier_on_original": float((rec_pred != real_pred).float().mean()),
           "real_misread_by_classifier": float((real_pred != y).float().mean()),
           "confidence_real": real_conf, "confidence_reconstructions": rec_conf,
           "grey_share_real": grey_share(x), "grey_share_reconstructions": grey_share(rec)}
    if model.conditional:
        return out  # a CVAE's midpoint between two classes needs a blended condition: not comparable
    a, b = pick_pairs(labels, n_pairs)
    za, zb = model.encode(images[a]), model.encode(images[b])
    mid = model.decode(ga.latent.lerp(za, zb, 0.5))
    fade = 0.5 * (images[a] + images[b])
    path = torch.cat([model.decode(ga.latent.slerp(za, zb, t)) for t in SLERP_T])
    fades = torch.cat([(1 - t) * images[a] + t * images[b] for t in SLERP_T])
    mid_conf, mid_pred = confidence(clf, mid)
    out.update({"pairs": n_pairs, "slerp_t": list(SLERP_T),
                "confidence_midpoints": mid_conf,
                "midpoints_read_as_an_endpoint": float(((mid_pred == labels[a]) | (mid_pred == labels[b])).float().mean()),
                "clear_midpoints": clear_share(clf, mid), "clear_pixel_average": clear_share(clf, fade),
                "clear_real": clear_share(clf, x),
                "confidence_pixel_average": confidence(clf, fade)[0],
                "confidence_slerp_path": confidence(clf, path)[0],
                "confidence_pixel_crossfade_path": confidence(clf, fades)[0],
                "grey_share_midpoints": grey_share(mid), "grey_share_pixel_average": grey_share(fade),
                "grey_share_slerp_path": grey_share(path)})
    return out


@torch.no_grad()
def walk_scores(model, clf, seeds: int) -> dict:
    """The main job's latent walk (48 frames, 4 prior keys, slerp, cosine, loop; a conditional model keeps
    the digit ``seed % 10``) for seeds 0..seeds-1: classifier confidence, grey share, digits visited."""
    import genart_kit as ga

    conf, grey, visited = [], [], []
    for seed in range(seeds):
        path = ga.latent.interpolate(model, 48, keys=4, seed=seed, method="slerp", easing="cosine", loop=True)
        frames = model.decode(path.tensor(), seed % model.num_classes if model.num_classes else None)
        c, pred = confidence(clf, frames)
        conf.append(c)
        grey.append(grey_share(frames))
        visited.append(len(set(pred.tolist())))
    return {"walk_seeds": seeds, "walk_confidence": sum(conf) / seeds, "walk_grey_share": sum(grey) / seeds,
            "walk_digits_visited": sum(visited) / seeds}


def load_models(args) -> dict:
    """name -> model: the registered models of ``--models`` and the ``ARCH=PATH`` checkpoints."""
    from genart_kit.registry import get_registry

    reg = get_registry()
    models = {name: reg.load("model", name, device="cpu") for name in args.models.split(",") if name}
    for spec in args.checkpoint:
        arch, path = spec.split("=", 1)
        models[f"{arch}@{path}"] = reg.load("model", arch, checkpoint=path, device="cpu")
    return models


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--models", default="vae-mnist,cvae-mnist", help="registered VAEs to measure")
    ap.add_argument("--checkpoint", action="append", default=[], help="ARCH=PATH: also measure a trained checkpoint")
    ap.add_argument("--iw", type=int, default=5000, help="K, importance samples of the IWAE bound (1 = skip)")
    ap.add_argument("--iw-images", type=int, default=500, help="test images the IWAE bound is computed on")
    ap.add_argument("--real", type=int, default=1000, help="real test digits reconstructed")
    ap.add_argument("--pairs", type=int, default=1000, help="pairs of test digits for midpoints and slerp paths")
    ap.add_argument("--walk-models", default="vae-mnist,cvae-mnist,gan-mnist,cgan-mnist",
                    help="models whose main-job walk is scored ('' = none)")
    ap.add_argument("--walk-seeds", type=int, default=10)
    ap.add_argument("--strip", action="store_true", help="write docs/images/vae_walk_<label>.png (the main job, vae-mnist)")
    ap.add_argument("--label", default="shipped", help="results go to benchmarks/results/vae_quality_<label>.json")
    args = ap.parse_args(argv)
    from genart_kit.checkpoint import load_checkpoint
    from genart_kit.registry import get_registry
    from genart_kit.training.data import load_mnist

    t0 = time.perf_counter()
    train_ds = load_mnist(args.data_dir, train=True, download=False)
    test_ds = load_mnist(args.data_dir, train=False, download=False)
    clf, acc = train_classifier(train_ds, test_ds)
    grey = test_ds.images.float() / 255
    test_x = torch.bernoulli(grey, generator=torch.Generator().manual_seed(0))
    results: dict = {"classifier": {"test_accuracy": acc, "architecture": "conv32-conv64-fc128 (dropout 0.25), 5 epochs "
                                    "Adam 1e-3, batch 128, on the 60k training set (benchmarks/models_quality.py)"},
                     "test_set": "10,000 MNIST test images, binarized once: x ~ Bernoulli(intensity), seed 0",
                     "models": {}, "walks": {}, "settings": vars(args)}
    print(f"classifier test accuracy {acc:.4f}", file=sys.stderr)
    for name, model in load_models(args).items():
        res: dict = {"latent_dim": model.latent_dim, "config": model.config,
                     "parameters": sum(p.numel() for p in model.parameters())}
        path = name.split("@", 1)[1] if "@" in name else None
        if path is None:
            entry = get_registry().get("model", name)
            mod = sys.modules[entry.resolve().__module__]
            path = str(Path(mod.__file__).with_name("weights") / f"{name}.safetensors")
        res["weights_bytes"] = Path(path).stat().st_size
        res["command"] = load_checkpoint(path)[1].get("command")
        res.update(likelihood(model, test_x, test_ds.labels, args.iw, args.iw_images))
        res.update(what_artists_see(model, clf, grey, test_ds.labels, args.real, args.pairs))
        if not model.conditional:
            res.update(walk_scores(model, clf, args.walk_seeds))
        results["models"][name] = res
        print(name, json.dumps({k: v for k, v in res.items() if k not in ("config", "command")}), file=sys.stderr)
    for name in [m for m in args.walk_models.split(",") if m]:
        model = get_registry().load("model", name, device="cpu")
        results["walks"][name] = walk_scores(model, clf, args.walk_seeds)
        print("walk", name, results["walks"][name], file=sys.stderr)
    if args.strip:
        from make_readme_images import strip

        out = strip("latent_walk.py", ROOT / "docs" / "images" / f"vae_walk_{args.label}.png", model="vae-mnist")
        results["strip"] = str(out.relative_to(ROOT))
    results["seconds"] = time.perf_counter() - t0
    table = markdown(results)
    write_result(f"vae_quality_{args.label}", results).with_suffix(".md").write_text(table)
    print(table)
    return 0


def markdown(r: dict) -> str:
    """The README/docs tables: likelihood and what artists see per model, and the main-job walks."""
    pct = lambda v: f"{100 * v:.1f} %"  # noqa: E731
    lines = ["| model | z (active) | params | -ELBO, 10k test | IWAE bound (-ELBO on the same images) | reconstructions read as "
             "another digit | midpoint confidence (clear > 0.9) | slerp-path confidence | grey share of midpoints |",
             "|---|---|---|---|---|---|---|---|---|"]
    ref = None
    for name, m in r["models"].items():
        iwae = f"{m['iwae_nats']:.1f} nats, K={m['iwae_k']}, first {m['iwae_images']} ({m['neg_elbo_same_images_nats']:.1f})" \
            if "iwae_nats" in m else ""
        mid = f"{m['confidence_midpoints']:.2f} ({pct(m['clear_midpoints'])})" if "confidence_midpoints" in m else "n/a (conditional)"
        path = f"{m['confidence_slerp_path']:.2f}" if "confidence_slerp_path" in m else ""
        grey = f"{m['grey_share_midpoints']:.3f}" if "grey_share_midpoints" in m else ""
        lines.append(f"| {name} | {m['latent_dim']} ({m['active_units']}) | {m['parameters']:,} | {m['neg_elbo_nats']:.1f} nats | {iwae} | "
                     f"{pct(m['reconstructions_other_digit'])} | {mid} | {path} | {grey} |")
        if "confidence_pixel_average" in m:
            ref = m
    if ref:
        lines.append(f"| real test digits | | | | | {pct(ref['real_misread_by_classifier'])} (the classifier's own errors) | "
                     f"{ref['confidence_real']:.2f} ({pct(ref['clear_real'])}) | | {ref['grey_share_real']:.3f} |")
        lines.append(f"| pixel cross-fade of the two digits | | | | | | {ref['confidence_pixel_average']:.2f} "
                     f"({pct(ref['clear_pixel_average'])}) | {ref['confidence_pixel_crossfade_path']:.2f} | "
                     f"{ref['grey_share_pixel_average']:.3f} |")
    lines.append(f"\nClassifier test accuracy {100 * r['classifier']['test_accuracy']:.2f} %. The literature's anchor: "
                 "86.5 nats (-ELBO of a plain conv VAE with z = 50 on dynamically binarized MNIST).\n")
    walks = {**{k: v for k, v in r["models"].items() if "walk_confidence" in v}, **r.get("walks", {})}
    if walks:
        seeds = next(iter(walks.values()))["walk_seeds"]
        lines += [f"| main-job walk (48 frames, seeds 0-{seeds - 1}) | classifier confidence | grey share | digits visited |",
                  "|---|---|---|---|"]
        for name, w in walks.items():
            lines.append(f"| {name} | {w['walk_confidence']:.2f} | {w['walk_grey_share']:.3f} | {w['walk_digits_visited']:.1f} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
