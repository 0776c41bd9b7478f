"""Text prompts -> images: are the digits the prompts ask for, for each encoder and each conditional model?

Prompts are written here by hand, in phrasings the training corpus (``genart_text.corpus``) does not produce:
other sentence shapes, other languages, typos, shouting. For each prompt, encoder (``minilm``, ``tiny``) and
model (``cgan-mnist``, ``cvae-mnist``), 32 images (seeds 0..31) are decoded and read by the benchmark's own
MNIST classifier (``benchmarks/models_quality.py``: a CNN trained on the 60k training images, 99 % test
accuracy). A single-digit prompt is right when the classifier reads that digit; a two-digit mixture prompt
when it reads either digit, and we also report the share of the second one.

Latency per prompt for each encoder, measured in fresh processes: cold (the first call: import, weights,
encode) and cached (the same prompt again), beside a bare ``import torch`` in the same run.

Usage::

    python benchmarks/prompt_accuracy.py [--data-dir ../shared/datasets/mnist]

Writes ``benchmarks/results/prompt_accuracy.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import warnings
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
sys.path.insert(0, str(ROOT / "benchmarks"))

SINGLE = [
    ("a hand-written zero, round like an egg", 0), ("zero drawn in white chalk", 0), ("the numeral 0", 0),
    ("one vertical stroke: the number one", 1), ("a lonely little 1", 1), ("write the digit one quickly", 1),
    ("a curvy two", 2), ("the number two on a blackboard", 2), ("2 scribbled by a child", 2),
    ("three, drawn carefully", 3), ("a wobbly numeral three", 3), ("3 in thick marker", 3),
    ("the digit four with an open top", 4), ("a sharp 4", 4), ("number four in pencil", 4),
    ("a five with a flat hat", 5), ("the digit 5, slightly slanted", 5), ("five written fast", 5),
    ("a six with a big loop", 6), ("digit six in black ink", 6), ("6, neatly written", 6),
    ("a seven with a crossbar", 7), ("the lucky number seven", 7), ("7 drawn with a brush", 7),
    ("an eight like a snowman", 8), ("the number eight, bold strokes", 8), ("8 in ballpoint pen", 8),
    ("a nine with a long tail", 9), ("number nine, handwritten in a notebook", 9), ("9 written by a doctor", 9),
    ("le chiffre sept", 7), ("die Zahl drei", 3), ("el número cinco", 5), ("il numero otto", 8),
    ("a handwriten sevn", 7), ("nmber four", 4), ("eihgt", 8), ("DRAW A TWO", 2), ("Nine!!!", 9),
    ("could you draw me a six?", 6), ("the digit that comes after four", 5), ("zero, but messy", 0),
]
MIXED = [
    ("something halfway between a 1 and a 7", (1, 7)), ("a cross of four and nine", (4, 9)),
    ("either a zero or a six", (0, 6)), ("part three, part eight", (3, 8)),
]
OFF_TOPIC = ["a red bicycle", "🚲", "", "lorem ipsum", "a portrait of my grandmother in oil paint"]
SEEDS = 32


def images_for(model, cond) -> torch.Tensor:
    z = model.sample_latents(SEEDS, seed=0)
    return model.decode(z, cond)


def run_accuracy(encoders: list[str], models: list[str], clf) -> dict:
    """Per encoder and model: per-prompt classifier reads and the overall accuracy."""
    import genart_kit as ga
    from models_quality import class_probs

    out: dict = {}
    for enc in encoders:
        for name in models:
            model = ga.model(name)
            rows = []
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                for text, digit in SINGLE:
                    p = class_probs(clf, images_for(model, ga.prompt(text, encoder=enc)))
                    reads = p.argmax(1)
                    rows.append({"prompt": text, "want": digit, "right": float((reads == digit).float().mean()),
                                 "read": int(reads.mode().values)})
                mixed = []
                for text, (a, b) in MIXED:
                    reads = class_probs(clf, images_for(model, ga.prompt(text, encoder=enc))).argmax(1)
                    either = float(((reads == a) | (reads == b)).float().mean())
                    mixed.append({"prompt": text, "want": [a, b], "either": either,
                                  "share_second": float((reads == b).float().mean())})
                spec = model.condition_spec
                off = [{"prompt": t, "nearest": near} for t, near in ga.prompt(OFF_TOPIC, encoder=enc).explain(spec)]
            acc = statistics.mean(r["right"] for r in rows)
            out[f"{enc}/{name}"] = {"accuracy": acc, "mixed_either": statistics.mean(m["either"] for m in mixed),
                                    "prompts": rows, "mixed": mixed, "off_topic": off}
            print(f"{enc}/{name}: {100 * acc:.1f} % right; mixtures {100 * out[f'{enc}/{name}']['mixed_either']:.1f} %",
                  file=sys.stderr)
    return out


LATENCY = """
import time, warnings
t0 = time.perf_counter()
import genart_kit as ga
warnings.simplefilter("ignore")
m = ga.model("cgan-mnist")
t1 = time.perf_counter()
c = ga.conditioning.conditioner("{enc}")
c.condition(["a handwritten seven"], m.condition_spec)
t2 = time.perf_counter()
c.condition(["a handwritten seven"], m.condition_spec)
t3 = time.perf_counter()
c.condition(["a different prompt, never seen"], m.condition_spec)
t4 = time.perf_counter()
print(t2 - t1, t3 - t2, t4 - t3)
"""


def run_latency(encoders: list[str], repeats: int) -> dict:
    """Cold / cached / new-prompt seconds per encoder (median of *repeats* fresh processes), and import torch."""
    res: dict = {}
    torch_times = []
    for _ in range(repeats):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import torch"], check=True)
        torch_times.append(time.perf_counter() - t)
    res["import_torch_process_s"] = statistics.median(torch_times)
    for enc in encoders:
        cold, cached, new = [], [], []
        for _ in range(repeats):
            out = subprocess.run([sys.executable, "-c", LATENCY.replace("{enc}", enc)], check=True,
                                 capture_output=True, text=True).stdout.split()
            cold.append(float(out[0]))
            cached.append(float(out[1]))
            new.append(float(out[2]))
        res[enc] = {"cold_s": statistics.median(cold), "cached_s": statistics.median(cached),
                    "new_prompt_s": statistics.median(new)}
        print(f"{enc}: cold {res[enc]['cold_s']:.2f} s, cached {1e3 * res[enc]['cached_s']:.2f} ms, "
              f"new prompt {1e3 * res[enc]['new_prompt_s']:.1f} ms", file=sys.stderr)
    return res


def distillation_closeness() -> dict:
    """Cosine between the tiny encoder's and MiniLM's embeddings of this file's prompts (none of them in the
    distillation corpus): how well the tiny encoder reproduces MiniLM's space."""
    import genart_kit as ga

    texts = [t for t, _ in SINGLE] + [t for t, _ in MIXED] + OFF_TOPIC
    cos = (ga.conditioning.conditioner("tiny").encode(texts) * ga.conditioning.conditioner("minilm").encode(texts)).sum(1)
    return {"mean": float(cos.mean()), "min": float(cos.min()), "median": float(cos.median()), "prompts": len(texts)}


def markdown(r: dict) -> str:
    """The results as the Markdown quoted in docs/text.md."""
    d = r.get("distillation")
    lines = ([f"Tiny encoder vs MiniLM on these {d['prompts']} prompts: cosine mean {d['mean']:.3f}, median "
              f"{d['median']:.3f}, min {d['min']:.3f}.", ""] if d else []) + ["| encoder / model | single-digit prompts right | mixtures read as one of the two |", "|---|---|---|"]
    for key, v in r["accuracy"].items():
        lines.append(f"| {key} | {100 * v['accuracy']:.1f} % | {100 * v['mixed_either']:.1f} % |")
    lat = r["latency"]
    lines += ["", "| encoder | first prompt in a fresh process (import + load + encode; the model already loaded) | cached prompt | new prompt |",
              "|---|---|---|---|"]
    for enc in r["encoders"]:
        v = lat[enc]
        lines.append(f"| {enc} | {v['cold_s']:.2f} s ({v['cold_s'] / lat['import_torch_process_s']:.2f}x `import torch`) "
                     f"| {1e3 * v['cached_s']:.2f} ms | {1e3 * v['new_prompt_s']:.1f} ms |")
    lines.append(f"| (reference) a process running `import torch` | {lat['import_torch_process_s']:.2f} s | | |")
    lines += ["", "Per prompt (share of 32 images read as the wanted digit):", "",
              "| prompt | want | " + " | ".join(r["accuracy"]) + " |", "|---|---|" + "---|" * len(r["accuracy"])]
    keys = list(r["accuracy"])
    for i, (text, digit) in enumerate(SINGLE):
        cells = [f"{100 * r['accuracy'][k]['prompts'][i]['right']:.0f} %" for k in keys]
        lines.append(f"| {text} | {digit} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", default=str(ROOT.parent / "shared" / "datasets" / "mnist"))
    ap.add_argument("--encoders", default="minilm,tiny")
    ap.add_argument("--models", default="cgan-mnist,cvae-mnist")
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args(argv)
    from models_quality import train_classifier

    from genart_kit.training.data import load_mnist

    clf, acc = train_classifier(load_mnist(args.data_dir, train=True, download=False),
                                load_mnist(args.data_dir, train=False, download=False))
    encoders = args.encoders.split(",")
    results = {"classifier_test_accuracy": acc, "encoders": encoders,
               "accuracy": run_accuracy(encoders, args.models.split(","), clf),
               "latency": run_latency(encoders, args.repeats)}
    if "minilm" in encoders and "tiny" in encoders:
        results["distillation"] = distillation_closeness()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "prompt_accuracy.json").write_text(json.dumps(results, indent=1, ensure_ascii=False))
    (RESULTS / "prompt_accuracy.md").write_text(markdown(results))
    print(markdown(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
