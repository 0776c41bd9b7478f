"""Generated prompt text: what the tiny encoder is distilled on and what the digit head learns from.

Torch-free and deterministic for a given seed. Two corpora:

* :func:`digit_prompts` — ``(text, target)`` pairs where *target* is a soft class vector over the ten MNIST
  digits (``list[float]`` of length 10, summing to 1): one digit (numerals, number words in English, French,
  German, Spanish and Italian, small sums such as "two plus five", typos, casing), mixtures ("half three, half
  eight" -> 0.5/0.5, "mostly a 2 with a bit of 7" -> 0.75/0.25), and off-topic text ("a red bicycle", emoji
  names, "") whose target is uniform, so the head says "no digit here" instead of guessing confidently.
* :func:`distillation_corpus` — plain strings for the tiny encoder to imitate the MiniLM sentence encoder on:
  the digit prompts plus general captions (emoji names and groups from ``emoji-test.txt`` when the
  ``unicode-data`` package is installed, Unicode character names, composed scenes), so the tiny encoder's
  embedding space serves any model conditioned on MiniLM embeddings, not only the digit head.

The phrasings here are the *training* phrasings; ``benchmarks/prompt_accuracy.py`` scores hand-written
prompts that are deliberately not produced by these templates.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Iterator

NUM_WORDS = {
    "en": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"],
    "fr": ["zéro", "un", "deux", "trois", "quatre", "cinq", "six", "sept", "huit", "neuf"],
    "de": ["null", "eins", "zwei", "drei", "vier", "fünf", "sechs", "sieben", "acht", "neun"],
    "es": ["cero", "uno", "dos", "tres", "cuatro", "cinco", "seis", "siete", "ocho", "nueve"],
    "it": ["zero", "uno", "due", "tre", "quattro", "cinque", "sei", "sette", "otto", "nove"],
}
ORDINALS = ["zeroth", "first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth"]
EXTRA_NAMES = {0: ["nought", "naught", "nil", "oh"], 1: ["single", "lone"], 2: ["pair", "couple"]}

ADJECTIVES = [
    "handwritten", "hand-drawn", "scribbled", "neat", "messy", "sloppy", "thin", "thick", "bold", "slanted",
    "italic", "wobbly", "tiny", "big", "large", "small", "curly", "elegant", "careful", "quick", "shaky",
    "bright", "faint", "blurry", "crisp", "fat", "skinny", "pixelated", "chunky", "ink", "pencil", "chalk",
]
SINGLE = [
    "{d}", "a {d}", "an {d}", "the {d}", "the digit {d}", "digit {d}", "number {d}", "the number {d}",
    "a handwritten {d}", "handwritten {d}", "a {adj} {d}", "{adj} {d}", "draw a {d}", "draw the number {d}",
    "write a {d}", "paint a {d}", "sketch of a {d}", "an image of the number {d}", "a picture of a {d}",
    "photo of a handwritten {d}", "show me a {d}", "i want a {d}", "give me a {d} please", "generate a {d}",
    "make a {d}", "render the numeral {d}", "numeral {d}", "the numeral {d}", "digit: {d}", "{d}!", "{d}.",
    "{d}?", "mnist {d}", "an mnist digit {d}", "a {d} on a black background", "white {d} on black",
    "a {adj} {adj2} {d}", "{d} written in ink", "{d} written by hand", "someone wrote a {d}",
    "a child's drawing of a {d}", "the shape of a {d}", "a {d} digit", "one {d}", "just a {d}",
    "only the digit {d}", "a single {d}", "what a {d} looks like", "how to write {d}", "the figure {d}",
    "figure {d}", "a {d} in handwriting", "{d}, handwritten", "{d} - handwritten digit", "big {d}",
    "a nice {d}", "a clean {d}", "a rough {d}", "the glyph {d}", "number: {d}", "class {d}", "label {d}",
]
SUMS = ["{a} plus {b}", "{a} + {b}", "{c} minus {b}", "the number after {p}", "the number before {n}",
        "one more than {p}", "one less than {n}", "{a} and {b} added together"]
MIXTURES = [
    "half {a}, half {b}", "half {a} half {b}", "a {a} or a {b}", "{a} or {b}", "either {a} or {b}",
    "a mix of {a} and {b}", "a blend of {a} and {b}", "{a} and {b}", "between {a} and {b}",
    "{a} morphing into {b}", "{a} crossed with {b}", "a cross between a {a} and a {b}",
    "something between a {a} and a {b}", "{a}/{b}", "{a} or maybe {b}", "a {a} that looks like a {b}",
    "a hybrid of {a} and {b}", "50/50 {a} and {b}", "a digit that is half {a} and half {b}",
    "a {a} merged with a {b}", "{a} mixed with {b}",
]
MOSTLY = ["mostly {a} with a bit of {b}", "mostly a {a}, a little {b}", "a {a} with a hint of {b}",
          "mainly {a}, slightly {b}", "a {a} with a touch of {b}", "three quarters {a}, one quarter {b}"]
OFF_TOPIC = [
    "a red bicycle", "a cat sitting on a mat", "sunset over the ocean", "a bowl of ramen", "an old castle",
    "abstract colourful shapes", "a portrait of a woman", "the letter a", "the letter q", "a dog", "hello",
    "hello world", "a tree in autumn", "mountains", "a spaceship", "", " ", "???", "a number", "a digit",
    "any digit", "some number", "a random digit", "something", "nothing", "noise", "a blank page",
    "lorem ipsum dolor sit amet", "the quick brown fox jumps over the lazy dog", "a car", "music",
    "a happy face", "a flower", "the sea", "fire", "a house with a garden", "a city at night", "an apple",
    "the word digit", "an alphabet", "letters", "the letter x", "a blue square", "a circle", "a triangle",
]
SUBJECTS = ["a cat", "a dog", "a robot", "a house", "a tree", "a flower", "a car", "a bird", "a fish",
            "a mountain", "a river", "the moon", "a star", "a heart", "a skull", "a dragon", "a castle",
            "a boat", "a city", "a forest", "a face", "a hand", "an eye", "a planet", "a rocket", "a cake"]
STYLES = ["watercolor", "oil painting", "pixel art", "pencil sketch", "neon", "minimalist", "surreal",
          "vintage photo", "cartoon", "3d render", "ink drawing", "mosaic", "glitch art", "low poly"]
COLOURS = ["red", "orange", "yellow", "green", "blue", "purple", "pink", "black", "white", "golden", "grey"]
KEYBOARD = "qwertyuiopasdfghjklzxcvbnm"
EMOJI_TEST = Path("/usr/share/unicode/emoji/emoji-test.txt")
UNICODE_DATA = Path("/usr/share/unicode/UnicodeData.txt")


def _typo(rng: random.Random, word: str) -> str:
    """One keyboard-style typo in *word* (swap, drop, double or replace a letter); short words unchanged."""
    if len(word) < 4:
        return word
    i = rng.randrange(1, len(word) - 1)
    kind = rng.randrange(4)
    if kind == 0:
        return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    if kind == 1:
        return word[:i] + word[i + 1:]
    if kind == 2:
        return word[:i] + word[i] + word[i:]
    return word[:i] + rng.choice(KEYBOARD) + word[i + 1:]


def _digit_name(rng: random.Random, d: int, *, typo: float = 0.08) -> str:
    """A way to say digit *d*: a numeral (40 %), an English word (35 %) or another language's word."""
    r = rng.random()
    if r < 0.4:
        return str(d)
    if r < 0.75:
        word = NUM_WORDS["en"][d]
        if d in EXTRA_NAMES and rng.random() < 0.1:
            word = rng.choice(EXTRA_NAMES[d])
    else:
        word = NUM_WORDS[rng.choice(["fr", "de", "es", "it"])][d]
    return _typo(rng, word) if rng.random() < typo else word


DISTRACTORS = [
    "on a napkin", "in the rain", "like a snake", "on a wall", "in my notebook", "with a red pen", "for a poster",
    "at night", "on lined paper", "in the sand", "very large", "made of smoke", "like a balloon", "with shadows",
    "on a chalkboard", "by my grandmother", "in the corner", "drawn slowly", "round and soft", "with a tail",
    "again", "for my homework", "as a tattoo", "in a dream", "on a receipt", "glowing", "upside down",
]


def _distract(rng: random.Random, text: str, extra: list[str]) -> str:
    """Add a clause that says nothing about the digit ("a 7, on a napkin", "in the rain: 7"), so the head
    learns to read the digit word among other words."""
    clause = rng.choice(DISTRACTORS) if rng.random() < 0.6 else rng.choice(extra)
    r = rng.random()
    if r < 0.55:
        return f"{text}, {clause}"
    if r < 0.8:
        return f"{text} {clause}"
    return f"{clause}: {text}"


def _typos(rng: random.Random, text: str, rate: float = 0.06) -> str:
    """Keyboard typos in any word of *text* (each word of 4+ letters with probability *rate*)."""
    return " ".join(_typo(rng, w) if rng.random() < rate else w for w in text.split(" "))


def _style(rng: random.Random, text: str) -> str:
    """Vary casing, spacing and trailing punctuation the way people type."""
    r = rng.random()
    if r < 0.1:
        text = text.upper()
    elif r < 0.25:
        text = text[:1].upper() + text[1:]
    elif r < 0.3:
        text = text.title()
    if rng.random() < 0.05:
        text = "  " + text.replace(" ", "  ") + " "
    if rng.random() < 0.05:
        text += rng.choice([" please", "!!", "...", " :)", " now"])
    return text


def _single(rng: random.Random, d: int) -> str:
    if rng.random() < 0.06:
        a = rng.randrange(0, d + 1)
        forms = {"a": a, "b": d - a, "c": min(9, d + rng.randrange(1, 4)), "p": d - 1, "n": d + 1}
        usable = [t for t in SUMS if all(0 <= forms[k] <= 9 for k in "abcpn" if "{" + k + "}" in t)]
        t = rng.choice(usable)
        vals = {k: NUM_WORDS["en"][v] if rng.random() < 0.6 else str(v) for k, v in forms.items() if 0 <= v <= 9}
        if "{c}" in t:
            vals["b"] = NUM_WORDS["en"][forms["c"] - d]
        return t.format(**vals)
    if rng.random() < 0.03:
        return rng.choice(["the ", "a ", ""]) + f"{ORDINALS[d]} digit" if d else "the digit zero"
    t = rng.choice(SINGLE)
    name = _digit_name(rng, d)
    if t.startswith("an ") and name[:1] not in "aeiou8":
        t = "a" + t[2:]
    return t.format(d=name, adj=rng.choice(ADJECTIVES), adj2=rng.choice(ADJECTIVES))


def digit_prompts(n: int, seed: int = 0, *, distractors: bool = False) -> list[tuple[str, list[float]]]:
    """*n* generated ``(prompt, soft class target [10])`` pairs: 70 % one digit, 17 % mixtures, 13 % off-topic.

    Args:
        n: number of pairs (an int >= 0).
        seed: the :class:`random.Random` seed; the same seed gives the same list.
        distractors: also add clauses that say nothing about the digit (30 % of digit prompts) and typos in
            any word (30 % of prompts): the head's training set, so it reads the digit among other words.

    Returns:
        a list of ``(str, list[float])``; each target is non-negative and sums to 1.
    """
    rng = random.Random(seed)
    extra = _caption_pool(rng, 4000)
    out: list[tuple[str, list[float]]] = []
    for _ in range(n):
        r = rng.random()
        target = [0.0] * 10
        if r < 0.70:
            d = rng.randrange(10)
            text = _single(rng, d)
            target[d] = 1.0
        elif r < 0.87:
            a, b = rng.sample(range(10), 2)
            na, nb = _digit_name(rng, a), _digit_name(rng, b)
            if rng.random() < 0.25:
                text = rng.choice(MOSTLY).format(a=na, b=nb)
                target[a], target[b] = 0.75, 0.25
            else:
                text = rng.choice(MIXTURES).format(a=na, b=nb)
                target[a] = target[b] = 0.5
        else:
            if rng.random() < 0.4:
                text = rng.choice(OFF_TOPIC)
            else:
                text = rng.choice(extra)
            target = [0.1] * 10
        if distractors and r < 0.87 and rng.random() < 0.3:
            text = _distract(rng, text, extra)
        if distractors and rng.random() < 0.3:
            text = _typos(rng, text)
        out.append((_style(rng, text), target))
    return out


def _emoji_captions() -> list[str]:
    """Captions from ``emoji-test.txt`` (``"cat face"``, ``"smileys & emotion: face-smiling: grinning face"``)."""
    if not EMOJI_TEST.is_file():
        return []
    caps: list[str] = []
    group = subgroup = ""
    for line in EMOJI_TEST.read_text(encoding="utf-8").splitlines():
        if line.startswith("# group:"):
            group = line.split(":", 1)[1].strip().lower()
        elif line.startswith("# subgroup:"):
            subgroup = line.split(":", 1)[1].strip().replace("-", " ")
        elif "; fully-qualified" in line and "#" in line:
            comment = line.split("#", 1)[1].strip().split(" ", 2)
            if len(comment) == 3:
                name = comment[2]
                caps += [name, f"{group}: {subgroup}: {name}", f"an emoji of {name}", comment[0]]
    return caps


def _unicode_names(rng: random.Random, k: int) -> list[str]:
    if not UNICODE_DATA.is_file():
        return []
    names = [ln.split(";")[1].lower() for ln in UNICODE_DATA.read_text(encoding="utf-8").splitlines()
             if ln.count(";") > 2 and not ln.split(";")[1].startswith("<")]
    return rng.sample(names, min(k, len(names)))


def _caption_pool(rng: random.Random, k: int) -> list[str]:
    """*k* composed general captions ("a red dragon, watercolor") for off-topic and distillation text."""
    out = []
    for _ in range(k):
        s = rng.choice(SUBJECTS)
        r = rng.random()
        if r < 0.3:
            s = f"{s}, {rng.choice(STYLES)}"
        elif r < 0.6:
            s = s.replace("a ", f"a {rng.choice(COLOURS)} ", 1) if s.startswith("a ") else s
        elif r < 0.8:
            s = f"{rng.choice(STYLES)} of {s} and {rng.choice(SUBJECTS)}"
        out.append(s)
    return out


def distillation_corpus(n_digit: int = 60000, n_general: int = 20000, seed: int = 0) -> list[str]:
    """The unique strings the tiny encoder is distilled on (digit prompts, emoji captions, general text).

    Args:
        n_digit: digit prompts to draw (:func:`digit_prompts`).
        n_general: composed captions and Unicode character names to add.
        seed: the RNG seed.

    Returns:
        a list of unique strings in a deterministic order.
    """
    rng = random.Random(seed + 1)
    texts = [t for t, _ in digit_prompts(n_digit, seed=seed)]
    emoji = _emoji_captions()
    texts += emoji
    texts += [_style(rng, c) for c in emoji[::4]]
    texts += _caption_pool(rng, n_general // 2)
    texts += _unicode_names(rng, n_general // 2)
    texts += [_typo(rng, w) for w in emoji[::8]]
    seen: dict[str, None] = {}
    for t in texts:
        seen.setdefault(t, None)
    return list(seen)


def iter_words(texts: list[str]) -> Iterator[str]:
    """Every whitespace-separated word of *texts* (for vocabulary statistics)."""
    for t in texts:
        yield from t.split()
