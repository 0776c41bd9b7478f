"""The Unicode emoji list (``emoji-test.txt``, Debian package ``unicode-data``): names, groups, captions.

This module imports neither torch nor Pillow. A line of the list looks like::

    1F431  ; fully-qualified  # 🐱 E0.6 cat face

under ``# group: Animals & Nature`` and ``# subgroup: animal-mammal`` headers. Only fully-qualified emoji are
kept (the RGI set: what a colour emoji font draws); skin-tone variants (a modifier U+1F3FB..U+1F3FF in the
sequence) only on request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from genart_kit.errors import DatasetError

__all__ = ["EmojiEntry", "GROUPS", "SKIN_TONES", "parse_emoji_test", "caption", "class_names"]

#: the emoji groups of Unicode 15 in the list's order (the ``Component`` group holds no fully-qualified emoji);
#: a dataset's label is the index of its group here, so a fixture and the full set share class indices
GROUPS = ("Smileys & Emotion", "People & Body", "Animals & Nature", "Food & Drink", "Travel & Places",
          "Activities", "Objects", "Symbols", "Flags")

#: the five Fitzpatrick skin-tone modifiers U+1F3FB..U+1F3FF
SKIN_TONES = range(0x1F3FB, 0x1F400)

# a subgroup slug -> the noun phrase of the caption ("rocket, an air transport emoji"); a slug missing here
# (a newer list) is spelt out by _phrase's rule
_SUBGROUPS = {
    "face-smiling": "smiling face", "face-affection": "affectionate face", "face-tongue": "face with tongue",
    "face-hand": "face with hand", "face-neutral-skeptical": "neutral or skeptical face",
    "face-sleepy": "sleepy face", "face-unwell": "unwell face", "face-hat": "face with hat",
    "face-glasses": "face with glasses", "face-concerned": "concerned face", "face-negative": "negative face",
    "face-costume": "costume face", "cat-face": "cat face", "monkey-face": "monkey face", "heart": "heart",
    "emotion": "emotion",
    "hand-fingers-open": "open hand", "hand-fingers-partial": "hand gesture", "hand-single-finger": "pointing hand",
    "hand-fingers-closed": "closed hand", "hands": "hands", "hand-prop": "hand holding something",
    "body-parts": "body part", "person": "person", "person-gesture": "person gesturing",
    "person-role": "person in a role", "person-fantasy": "fantasy person", "person-activity": "person doing something",
    "person-sport": "person playing sport", "person-resting": "person resting", "family": "family",
    "person-symbol": "person symbol",
    "skin-tone": "skin tone", "hair-style": "hair style",
    "animal-mammal": "mammal", "animal-bird": "bird", "animal-amphibian": "amphibian", "animal-reptile": "reptile",
    "animal-marine": "sea animal", "animal-bug": "bug", "plant-flower": "flower", "plant-other": "plant",
    "food-fruit": "fruit", "food-vegetable": "vegetable", "food-prepared": "prepared food",
    "food-asian": "Asian food", "food-marine": "seafood", "food-sweet": "sweet food", "drink": "drink",
    "dishware": "dishware",
    "place-map": "map", "place-geographic": "landscape", "place-building": "building",
    "place-religious": "religious building", "place-other": "place", "transport-ground": "ground transport",
    "transport-water": "water transport", "transport-air": "air transport", "hotel": "hotel",
    "time": "time", "sky & weather": "sky and weather",
    "event": "event", "award-medal": "award", "sport": "sport", "game": "game", "arts & crafts": "arts and crafts",
    "clothing": "clothing", "sound": "sound", "music": "music", "musical-instrument": "musical instrument",
    "phone": "phone", "computer": "computer", "light & video": "light and video", "book-paper": "book and paper",
    "money": "money", "mail": "mail", "writing": "writing", "office": "office", "lock": "lock", "tool": "tool",
    "science": "science", "medical": "medical", "household": "household object", "other-object": "object",
    "transport-sign": "transport sign", "warning": "warning sign", "arrow": "arrow", "religion": "religious symbol",
    "zodiac": "zodiac sign", "av-symbol": "audio and video symbol", "gender": "gender symbol",
    "math": "maths symbol", "punctuation": "punctuation", "currency": "currency symbol",
    "other-symbol": "symbol", "keycap": "keycap", "alphanum": "letter or number symbol",
    "geometric": "geometric shape", "flag": "flag", "country-flag": "country flag",
    "subdivision-flag": "regional flag",
}

# CLDR names use typographic quotes ("three o’clock"); captions use the ASCII ones a prompt is typed with
_ASCII_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u201c": '"', "\u201d": '"'})

_LINE = re.compile(r"^(?P<cps>[0-9A-Fa-f ]+?)\s*;\s*(?P<status>[a-z-]+)\s*#\s*(?P<rest>.*)$")
_VERSION = re.compile(r"^E\d+(\.\d+)?$")


@dataclass(frozen=True)
class EmojiEntry:
    """One fully-qualified emoji of the list.

    Attributes:
        codepoints: the code points of the sequence (ints; ZWJ U+200D and variation selector U+FE0F included).
        name: the CLDR short name (``"cat face"``, ``"flag: Germany"``, ``"thumbs up: medium skin tone"``).
        group: its group (``"Animals & Nature"``).
        subgroup: its subgroup slug (``"animal-mammal"``).
        version: the emoji version that added it (``"E0.6"``; ``""`` when the line has none).
    """

    codepoints: tuple[int, ...]
    name: str
    group: str
    subgroup: str
    version: str = ""

    @property
    def text(self) -> str:
        """The emoji as a string (what the font draws)."""
        return "".join(map(chr, self.codepoints))

    @property
    def key(self) -> str:
        """The code points as upper-case hex joined by ``-`` (``"1F431"``, ``"1F1E9-1F1EA"``): a file name."""
        return "-".join(f"{c:04X}" for c in self.codepoints)

    @property
    def has_skin_tone(self) -> bool:
        """Whether the sequence holds a skin-tone modifier (U+1F3FB..U+1F3FF)."""
        return any(c in SKIN_TONES for c in self.codepoints)

    @property
    def caption(self) -> str:
        """The text a text-conditioned model learns from: see :func:`caption`."""
        return caption(self)


def _phrase(subgroup: str) -> str:
    """A subgroup slug as a noun phrase: the table above, else ``"a-b & c"`` -> ``"a b and c"``."""
    if subgroup in _SUBGROUPS:
        return _SUBGROUPS[subgroup]
    return subgroup.replace("&", "and").replace("-", " ").strip()


def _caption_name(name: str) -> str:
    """The name as it reads in a sentence: ``"flag: Germany"`` -> ``"flag of Germany"``, ``"keycap: 1"`` ->
    ``"keycap 1"``, ``"family: man, woman, boy"`` -> ``"family of man, woman, boy"``, any other ``"a: b"`` ->
    ``"a, b"`` (``"thumbs up, medium skin tone"``)."""
    head, sep, tail = name.partition(": ")
    if not sep:
        return name
    if head in ("flag", "family"):
        return f"{head} of {tail}"
    if head == "keycap":
        return f"keycap {tail}"
    return f"{head}, {tail}"


def caption(entry: EmojiEntry) -> str:
    """``"<name>, a/an <subgroup phrase> emoji"``: ``"cat face, a mammal emoji"``, ``"rocket, an air transport
    emoji"``, ``"flag of Germany, a country flag emoji"`` (one line; typographic quotes made ASCII)."""
    phrase = _phrase(entry.subgroup)
    article = "an" if phrase[:1].lower() in "aeiou" else "a"
    return f"{_caption_name(entry.name)}, {article} {phrase} emoji".translate(_ASCII_QUOTES)


def class_names(entries: list[EmojiEntry]) -> list[str]:
    """The class names of a dataset of *entries*: :data:`GROUPS`, then any group of *entries* not in it (in
    order of appearance). A label is an index into this list."""
    names = list(GROUPS)
    for e in entries:
        if e.group not in names:
            names.append(e.group)
    return names


def parse_emoji_test(path: str | Path, skin_tones: bool = False) -> list[EmojiEntry]:
    """The fully-qualified emoji of an ``emoji-test.txt`` file, in the file's (CLDR) order.

    Args:
        path: the list (``/usr/share/unicode/emoji/emoji-test.txt``, or a fixture with the same format).
        skin_tones: also keep the skin-tone variants (about 3,650 entries in Unicode 15 instead of 1,870).

    Returns:
        the entries; minimally-qualified, unqualified and component lines are left out.

    Raises:
        DatasetError: the file cannot be read, or holds no fully-qualified emoji (not an emoji-test.txt).
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise DatasetError(f"cannot read the emoji list '{path}' ({exc}); reinstall it with "
                           "`sudo apt-get install --reinstall unicode-data` or pass emoji_list=PATH.") from None
    group = subgroup = ""
    out: list[EmojiEntry] = []
    for line in text.splitlines():
        if line.startswith("# group:"):
            group = line.split(":", 1)[1].strip()
        elif line.startswith("# subgroup:"):
            subgroup = line.split(":", 1)[1].strip()
        elif line and not line.startswith("#"):
            m = _LINE.match(line.strip())
            if m is None or m["status"] != "fully-qualified":
                continue
            words = m["rest"].split()
            # "# 🐱 E0.6 cat face": drop the emoji itself and the version
            version = words[1] if len(words) > 2 and _VERSION.match(words[1]) else ""
            name = " ".join(words[2:] if version else words[1:])
            entry = EmojiEntry(tuple(int(c, 16) for c in m["cps"].split()), name, group, subgroup, version)
            if skin_tones or not entry.has_skin_tone:
                out.append(entry)
    if not out:
        raise DatasetError(f"'{path}' holds no fully-qualified emoji: it is not Unicode's emoji-test.txt "
                           "(package unicode-data: /usr/share/unicode/emoji/emoji-test.txt).")
    return out
