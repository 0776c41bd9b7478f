"""``gan-emoji``: do prompts it was never trained on give the kind of emoji asked for, varied, not copied?

1. **A judge.** The benchmark trains its own classifier of the 9 emoji groups (Smileys & Emotion, People &
   Body, Animals & Nature, Food & Drink, Travel & Places, Activities, Objects, Symbols, Flags) on the real
   64 px renders of the ``emoji`` data set, a small CNN on a stratified 80 % split, and reports its accuracy
   on the held-out 20 %.
2. **Prompt fidelity.** 45 prompts written here, 5 per group, in words that are not the captions the model
   was trained on ("a cute kitten", "the Japanese flag"); 16 images each (seeds 0..15) per text encoder
   (``minilm``, ``tiny``); the share the judge puts in the intended group. Target: at least 80 %.
3. **Diversity and copying.** 64 samples of one prompt: their mean pairwise distance against that of the
   real images of the group, and each sample's distance to its nearest training image against the real
   images' own nearest-neighbour distance (leave one out). Distances are RMS pixel differences in [0, 1].
4. **Speed.** Training images per second of ``genart train``'s step against a plain PyTorch loop over the
   same networks and losses (no augmentation, no EMA), and decode frames per second at 64 px of
   ``model.decode`` against a bare ``G(z, e)`` under ``torch.inference_mode``, interleaved in one run.

Usage::

    python benchmarks/emoji_quality.py [--skip-speed]

Needs the Debian packages fonts-noto-color-emoji and unicode-data (the real data set). Writes
``benchmarks/results/emoji_quality.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"

GROUPS = ["Smileys & Emotion", "People & Body", "Animals & Nature", "Food & Drink", "Travel & Places",
          "Activities", "Objects", "Symbols", "Flags"]
PROMPTS = {
    "Smileys & Emotion": ["a face laughing so hard it cries", "a sad face with a tear", "a furious red face",
                          "a face blowing a kiss", "a cool face wearing sunglasses"],
    "People & Body": ["a hand waving hello", "thumbs up, well done", "a woman dancing", "a police officer",
                      "a sleeping baby"],
    "Animals & Nature": ["a spotted cow in a field", "a little puppy", "a tall green tree", "a yellow sunflower",
                         "a tropical fish"],
    "Food & Drink": ["a slice of pizza with cheese", "a juicy red apple", "a hot cup of coffee",
                     "a birthday cake with candles", "a bunch of purple grapes"],
    "Travel & Places": ["a rocket flying to space", "a fast red car", "a little house with a garden",
                        "a passenger airplane", "a city skyline at night"],
    "Activities": ["a football for soccer", "a golden trophy cup", "fireworks in the sky",
                   "a present wrapped with a ribbon", "a controller for video games"],
    "Objects": ["a smartphone", "a pair of reading glasses", "a glowing light bulb", "a hammer for nails",
                "a closed book"],
    "Symbols": ["a big red heart", "a sign that says no entry", "the recycling symbol", "a warning sign",
                "a blue square button with a number"],
    "Flags": ["the flag of France", "the Japanese flag", "a black pirate flag", "the flag of Brazil",
              "a chequered flag for racing"],
}
SEEDS = 16


class Judge(nn.Module):
    """A small CNN: RGB ``[N, 3, 64, 64]`` in [0, 1] -> logits ``[N, 9]`` over the emoji groups."""

    def __init__(self) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        ch = 3
        for out in (32, 64, 128, 128):
            layers += [nn.Conv2d(ch, out, 3, padding=1), nn.BatchNorm2d(out), nn.ReLU(True), nn.MaxPool2d(2)]
            ch = out
        self.features = nn.Sequential(*layers)
        self.head = nn.Linear(ch, len(GROUPS))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.features(x).mean(dim=(2, 3)))


def _split(labels: torch.Tensor, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """A stratified 80/20 split of indices."""
    g = torch.Generator().manual_seed(seed)
    train, test = [], []
    for c in labels.unique():
        idx = torch.nonzero(labels == c).view(-1)
        idx = idx[torch.randperm(len(idx), generator=g)]
        k = max(1, int(round(0.2 * len(idx))))
        test.append(idx[:k])
        train.append(idx[k:])
    return torch.cat(train), torch.cat(test)


def train_judge(images: torch.Tensor, labels: torch.Tensor, epochs: int = 25) -> tuple[Judge, float]:
    """Train the judge on 80 % (random shifts and brightness as augmentation); accuracy on the other 20 %."""
    torch.manual_seed(0)
    train_idx, test_idx = _split(labels)
    judge = Judge()
    opt = torch.optim.AdamW(judge.parameters(), lr=2e-3, weight_decay=1e-4)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=3e-3, total_steps=epochs * ((len(train_idx) + 63) // 64))
    for _ in range(epochs):
        judge.train()
        perm = train_idx[torch.randperm(len(train_idx))]
        for i in range(0, len(perm), 64):
            b = perm[i:i + 64]
            x = images[b]
            dx, dy = torch.randint(-6, 7, (2,)).tolist()
            x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))
            x = (x * (0.8 + 0.4 * torch.rand(len(b), 1, 1, 1))).clamp(0, 1)
            loss = F.cross_entropy(judge(x), labels[b], label_smoothing=0.05)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    judge.eval()
    with torch.inference_mode():
        acc = (judge(images[test_idx]).argmax(1) == labels[test_idx]).float().mean().item()
    return judge, acc


def _pairwise_rms(a: torch.Tensor, b: torch.Tensor | None = None) -> torch.Tensor:
    """RMS pixel distances ``[len(a), len(b)]`` between image sets ``[N, C, H, W]`` in [0, 1]."""
    fa = a.flatten(1)
    fb = fa if b is None else b.flatten(1)
    return (torch.cdist(fa, fb) / fa.shape[1] ** 0.5)


def fidelity(model, judge: Judge, encoder: str) -> dict:
    """Share of images the judge puts in the prompt's group, overall and per group."""
    import genart_kit as ga

    per_group, per_prompt = {}, {}
    z = model.sample_latents(SEEDS, seed=0)
    with torch.inference_mode():
        for group, prompts in PROMPTS.items():
            hits = 0
            for text in prompts:
                frames = model.decode(z, ga.prompt(text, encoder=encoder))
                pred = judge(frames).argmax(1)
                ok = int((pred == GROUPS.index(group)).sum())
                per_prompt[text] = {"group": group, "right": ok / SEEDS,
                                    "read_as": GROUPS[int(pred.mode().values)]}
                hits += ok
            per_group[group] = hits / (SEEDS * len(prompts))
    overall = sum(per_group.values()) / len(per_group)
    return {"overall": overall, "per_group": per_group, "per_prompt": per_prompt}


def diversity(model, images: torch.Tensor, labels: torch.Tensor, text: str, group: str, encoder: str) -> dict:
    """Pairwise spread of 64 samples of *text* against the real group's, and distance to the nearest training
    image against the real images' own leave-one-out nearest-neighbour distance."""
    import genart_kit as ga

    with torch.inference_mode():
        fake = model.decode(model.sample_latents(64, seed=100), ga.prompt(text, encoder=encoder))
    real = images[labels == GROUPS.index(group)]
    off = ~torch.eye(64, dtype=torch.bool)
    fake_spread = _pairwise_rms(fake)[off].mean().item()
    r = _pairwise_rms(real)
    real_spread = r[~torch.eye(len(real), dtype=torch.bool)].mean().item()
    nearest_fake = _pairwise_rms(fake, images).min(dim=1).values.mean().item()
    r.fill_diagonal_(float("inf"))
    nearest_real = r.min(dim=1).values.mean().item()
    return {"prompt": text, "group": group, "sample_spread": fake_spread, "real_spread": real_spread,
            "spread_ratio": fake_spread / real_spread, "nearest_training_image": nearest_fake,
            "real_nearest_neighbour": nearest_real, "copy_ratio": nearest_fake / nearest_real}


def speed(model, images: torch.Tensor, conds: torch.Tensor, steps: int = 20, batch: int = 32) -> dict:
    """Training images/s (genart's step vs a plain loop of the same networks) and decode frames/s at 64 px."""
    from genart_gan.textgan import TextGAN

    def trainer_step():
        m = TextGAN(**{k: v for k, v in model.config.items() if k not in ("architecture", "decoder_only")})
        m.train()
        step = m.training_step()
        return lambda x, e: step(x, e)

    def plain_step():
        m = TextGAN(**{k: v for k, v in model.config.items() if k not in ("architecture", "decoder_only")})
        m.train()
        G, D = m.generator, m.discriminator
        og = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        od = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))

        def run(x, e):
            x = x * 2 - 1
            fake = G(torch.randn(x.shape[0], m.latent_dim), e)
            od.zero_grad()
            (F.relu(1 - D(x, e)).mean() + F.relu(1 + D(fake.detach(), e)).mean()).backward()
            od.step()
            og.zero_grad()
            (-D(fake, e).mean()).backward()
            og.step()
        return run

    timings = {"genart_step": [], "plain_loop": []}
    fns = {"genart_step": trainer_step(), "plain_loop": plain_step()}
    g = torch.Generator().manual_seed(0)
    for rep in range(steps + 2):
        idx = torch.randint(0, len(images), (batch,), generator=g)
        for name, fn in fns.items():
            t0 = time.perf_counter()
            fn(images[idx], conds[idx])
            if rep >= 2:
                timings[name].append(time.perf_counter() - t0)
    train_ips = {k: batch * len(v) / sum(v) for k, v in timings.items()}
    # decode at 64 px, batch 64
    z = model.sample_latents(64, seed=0)
    e = conds[:64]
    G = model.generator_ema if model.ema else model.generator
    dec = {"decode": [], "bare_generator": []}
    with torch.inference_mode():
        for rep in range(12):
            t0 = time.perf_counter()
            model.decode(z, e)
            t1 = time.perf_counter()
            (G(z, e) + 1) * 0.5
            t2 = time.perf_counter()
            if rep >= 2:
                dec["decode"].append(t1 - t0)
                dec["bare_generator"].append(t2 - t1)
    decode_fps = {k: 64 * len(v) / sum(v) for k, v in dec.items()}
    return {"train_images_per_s": train_ips, "train_ratio": train_ips["genart_step"] / train_ips["plain_loop"],
            "decode_frames_per_s": decode_fps, "decode_ratio": decode_fps["decode"] / decode_fps["bare_generator"],
            "threads": torch.get_num_threads()}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", default="gan-emoji")
    ap.add_argument("--checkpoint", default=None, help="another tgan checkpoint to measure instead")
    ap.add_argument("--skip-speed", action="store_true")
    args = ap.parse_args()
    import genart_kit as ga
    from genart_emoji.dataset import load_emoji

    ds = load_emoji(image_size=64)
    images = ds.images.float() / 255.0
    labels = torch.tensor([GROUPS.index(g) for g in ds.groups])
    t0 = time.perf_counter()
    judge, judge_acc = train_judge(images, labels)
    print(f"judge: held-out accuracy {judge_acc:.3f} ({time.perf_counter() - t0:.0f} s)", flush=True)
    model = ga.model(args.model, **({"checkpoint": args.checkpoint} if args.checkpoint else {}))
    result = {"model": args.model, "checkpoint": args.checkpoint, "judge_heldout_accuracy": judge_acc,
              "prompts": sum(len(v) for v in PROMPTS.values()), "seeds": SEEDS, "fidelity": {}, "diversity": {}}
    from genart_kit.conditioning import conditioner

    for encoder in ("minilm", "tiny"):
        try:
            conditioner(encoder)
        except Exception as exc:  # noqa: BLE001 - an encoder that is not installed is reported, not fatal
            result["fidelity"][encoder] = {"error": str(exc)}
            continue
        result["fidelity"][encoder] = fidelity(model, judge, encoder)
        print(f"{encoder}: prompt fidelity {result['fidelity'][encoder]['overall']:.3f}", flush=True)
        result["diversity"][encoder] = [diversity(model, images, labels, t, g, encoder)
                                        for t, g in (("a tropical fish", "Animals & Nature"),
                                                     ("a big red heart", "Symbols"),
                                                     ("a face laughing so hard it cries", "Smileys & Emotion"))]
    if not args.skip_speed:
        conds = ga.prompt(list(ds.captions), encoder="tiny").resolve(model.condition_spec).cpu()
        result["speed"] = speed(model, images, conds)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "emoji_quality.json").write_text(json.dumps(result, indent=2))
    (RESULTS / "emoji_quality.md").write_text(render_md(result))
    print(render_md(result))
    return 0


def render_md(r: dict) -> str:
    """The results as the Markdown table quoted in docs/benchmarks.md."""
    lines = [f"# {r['model']}: prompt fidelity, diversity, speed", "",
             f"Judge (a CNN of the 9 emoji groups, trained here on 80 % of the real renders): held-out accuracy "
             f"**{r['judge_heldout_accuracy']:.1%}**. {r['prompts']} paraphrased prompts x {r['seeds']} seeds.", "",
             "| encoder | prompt fidelity | " + " | ".join(g.split(" ")[0] for g in GROUPS) + " |",
             "|---|---|" + "---|" * len(GROUPS)]
    for enc, f in r["fidelity"].items():
        if "error" in f:
            lines.append(f"| {enc} | not installed | " + " | " * (len(GROUPS) - 1) + " |")
            continue
        lines.append(f"| {enc} | **{f['overall']:.1%}** | " + " | ".join(f"{f['per_group'][g]:.0%}" for g in GROUPS) + " |")
    lines += ["", "| encoder | prompt | spread of 64 samples / real group's | nearest training image / real nearest neighbour |",
              "|---|---|---|---|"]
    for enc, rows in r["diversity"].items():
        for d in rows:
            lines.append(f"| {enc} | {d['prompt']} | {d['spread_ratio']:.2f} ({d['sample_spread']:.3f} / {d['real_spread']:.3f}) "
                         f"| {d['copy_ratio']:.2f} ({d['nearest_training_image']:.3f} / {d['real_nearest_neighbour']:.3f}) |")
    if "speed" in r:
        s = r["speed"]
        lines += ["", f"Training: genart's step {s['train_images_per_s']['genart_step']:.0f} img/s, a plain loop over the "
                      f"same networks {s['train_images_per_s']['plain_loop']:.0f} img/s (ratio **{s['train_ratio']:.2f}**; "
                      "the step adds DiffAugment on three D passes and the EMA update). Decode at 64 px, batch 64: "
                      f"{s['decode_frames_per_s']['decode']:.0f} frames/s, bare G {s['decode_frames_per_s']['bare_generator']:.0f} "
                      f"frames/s (ratio **{s['decode_ratio']:.2f}**); {s['threads']} threads."]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    sys.exit(main())
