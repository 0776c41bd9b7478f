"""The ``emoji`` dataset: every fully-qualified emoji of Unicode's list, drawn by Noto Color Emoji.

``load_emoji()`` returns an :class:`EmojiDataset` (an :class:`~genart_kit.training.data.ImageTensorDataset`):
uint8 ``[N, 3, S, S]`` RGB images, labels = the emoji's group (``class_names``, 9 groups), and per image its
``names``, ``groups``, ``subgroups`` and ``captions`` ("cat face, a mammal emoji").

Rendering (about 3 ms a glyph) happens once: the premultiplied RGBA tiles are cached under
``genart_kit.training.data.cache_dir() / "emoji"``, keyed by image size, padding, skin tones and the font's
and list's paths, sizes and modification times. The background is composited at load time, so choosing
another one does not render again. The cache file is written atomically (a temporary file renamed into
place, under a file lock so concurrent processes render once); one that cannot be read is rendered again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import torch

from genart_kit.errors import DatasetError, InvalidInputError
from genart_kit.options import check_option_values
from genart_kit.training.data import ImageTensorDataset, cache_dir

from .catalog import EmojiEntry, class_names, parse_emoji_test
from .plugin import DEFAULT_BACKGROUND, OPTIONS

log = logging.getLogger(__name__)

__all__ = ["EmojiDataset", "load_emoji", "DEFAULT_FONT", "DEFAULT_LIST", "INSTALL", "CACHE_VERSION"]

#: where Debian's fonts-noto-color-emoji and unicode-data put the font and the list
DEFAULT_FONT = Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf")
DEFAULT_LIST = Path("/usr/share/unicode/emoji/emoji-test.txt")
INSTALL = "sudo apt-get install fonts-noto-color-emoji unicode-data"
#: bump when the rendering changes, so old cache files are not read
CACHE_VERSION = 1


class EmojiDataset(ImageTensorDataset):
    """Emoji images with their Unicode metadata.

    Args:
        images: uint8 ``[N, C, S, S]`` (C = 3 RGB, or 1 grey).
        entries: the N emoji, in image order.
        classes: the class names (the emoji groups); ``labels[i]`` is ``classes.index(entries[i].group)``.
        name: the dataset's name in logs and checkpoint configs.
        background: the ``(r, g, b)`` colour (0..255) the glyphs were composited on.

    Attributes:
        entries: the :class:`~genart_emoji.catalog.EmojiEntry` of each image.
        captions, names, groups, subgroups, keys, emoji: one string per image (``keys``: code points in hex,
            ``"1F431"``; ``emoji``: the character sequence itself).
        class_names: the group names, ``num_classes`` of them.

    Items are ``(float32 [C, S, S] in [0, 1], int group label)``, as for every training dataset.
    """

    def __init__(self, images: torch.Tensor, entries: list[EmojiEntry], classes: list[str], name: str = "emoji",
                 background: tuple[int, int, int] = (242, 240, 235)) -> None:
        if len(entries) != int(images.shape[0]):
            raise DatasetError(f"dataset '{name}': {int(images.shape[0])} images but {len(entries)} emoji entries.")
        labels = torch.tensor([classes.index(e.group) for e in entries], dtype=torch.long)
        super().__init__(images, labels, len(classes), name, list(classes))
        self.entries = list(entries)
        self.background = tuple(background)
        self.captions = [e.caption for e in self.entries]
        self.names = [e.name for e in self.entries]
        self.groups = [e.group for e in self.entries]
        self.subgroups = [e.subgroup for e in self.entries]
        self.keys = [e.key for e in self.entries]
        self.emoji = [e.text for e in self.entries]

    @property
    def class_names(self) -> list[str]:
        """The group names (``"Smileys & Emotion"``, ... ``"Flags"``); a label indexes this list."""
        return list(self.classes or [])

    def subset(self, n: int) -> "EmojiDataset":
        """The first *n* images with their metadata (a new dataset sharing storage)."""
        return EmojiDataset(self.images[:n], self.entries[:n], self.class_names, self.name, self.background)


def _missing_message(missing: list[tuple[str, Path]]) -> str:
    what = "; ".join(f"{kind} '{path}' not found" for kind, path in missing)
    return (f"the emoji dataset needs the Noto Color Emoji font and Unicode's emoji list ({what}). They come "
            f"from the Debian packages fonts-noto-color-emoji and unicode-data: install them with `{INSTALL}` "
            "(or pass font=PATH and emoji_list=PATH).")


def _sources(font: str | None, emoji_list: str | None, fixture: str | None) -> tuple[Path, Any]:
    """``(emoji list path, glyph source)`` for the options; raises DatasetError for missing files."""
    from .render import FontGlyphs, PngGlyphs

    if fixture is not None:
        if font is not None:
            raise InvalidInputError("dataset 'emoji': pass fixture= or font=, not both.")
        folder = Path(fixture).expanduser()
        list_path = Path(emoji_list).expanduser() if emoji_list else folder / "emoji-test.txt"
        if not list_path.is_file() or not (folder / "glyphs").is_dir():
            raise DatasetError(f"emoji fixture '{folder}' must hold emoji-test.txt and a glyphs/ folder of "
                               "<codepoints>.png files.")
        return list_path, PngGlyphs(folder / "glyphs")
    font_path = Path(font).expanduser() if font else DEFAULT_FONT
    list_path = Path(emoji_list).expanduser() if emoji_list else DEFAULT_LIST
    missing = [(k, p) for k, p in (("font", font_path), ("emoji list", list_path)) if not p.is_file()]
    if missing:
        raise DatasetError(_missing_message(missing))
    return list_path, FontGlyphs(font_path)


def _cache_key(list_path: Path, source: Any, size: int, padding: float, skin_tones: bool) -> str:
    from .render import file_stamp

    return json.dumps({"version": CACHE_VERSION, "size": size, "padding": round(padding, 6),
                       "skin_tones": skin_tones, "list": file_stamp(list_path), "glyphs": source.stamp()},
                      sort_keys=True)


def _read_cache(path: Path, key: str, entries: list[EmojiEntry], size: int) -> tuple[np.ndarray, list[int]] | None:
    """The cached ``(tiles [M, 4, S, S] uint8, kept indices)`` at *path*, or None when it is missing or unusable
    (unreadable, another key, wrong shape or entries): then it is rendered again."""
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as npz:
            tiles = npz["tiles"]
            keys = [str(k) for k in npz["keys"]]
            stored_key = str(npz["key"])
        index = {e.key: i for i, e in enumerate(entries)}
        kept = [index[k] for k in keys]
        ok = (stored_key == key and tiles.dtype == np.uint8 and tiles.shape == (len(keys), 4, size, size)
              and kept == sorted(kept))
    except Exception as exc:  # noqa: BLE001 - any damage (zip, header, missing member, foreign key) means rebuild
        log.warning("emoji cache '%s' is unreadable (%s: %s); rendering again", path, type(exc).__name__, exc)
        return None
    if not ok:
        log.warning("emoji cache '%s' does not match the font and list; rendering again", path)
        return None
    return tiles, kept


def _write_cache(path: Path, key: str, tiles: np.ndarray, keys: list[str]) -> None:
    """Write the cache atomically (temporary file in the same folder, then rename); a folder that cannot be
    written is logged, not raised: the dataset works without a cache."""
    tmp = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name + ".", suffix=".tmp")
        with os.fdopen(fd, "wb") as fh:
            np.savez_compressed(fh, tiles=tiles, keys=np.array(keys), key=np.array(key))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
        tmp = None
    except OSError as exc:
        log.warning("cannot write the emoji cache '%s' (%s); it will be rendered again next time", path, exc)
    finally:
        if tmp is not None:
            Path(tmp).unlink(missing_ok=True)


def _tiles(entries: list[EmojiEntry], list_path: Path, source: Any, size: int, padding: float, skin_tones: bool,
           use_cache: bool) -> tuple[np.ndarray, list[int]]:
    """Premultiplied RGBA tiles of *entries*: from the cache, else rendered (and cached)."""
    from .render import render_tiles

    if not use_cache:
        return render_tiles(entries, source, size, padding)
    key = _cache_key(list_path, source, size, padding, skin_tones)
    digest = hashlib.sha1(key.encode()).hexdigest()[:16]
    path = cache_dir() / "emoji" / f"emoji-{size}px{'-skin-tones' if skin_tones else ''}-{digest}.npz"
    hit = _read_cache(path, key, entries, size)
    if hit is not None:
        return hit
    import filelock

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock: Any = filelock.FileLock(str(path) + ".lock")
    except OSError:
        import contextlib

        lock = contextlib.nullcontext()
    with lock:
        hit = _read_cache(path, key, entries, size)  # another process may have rendered it meanwhile
        if hit is not None:
            return hit
        log.info("rendering %d emoji at %d px from %s (once: cached in %s)", len(entries), size, source.describe(), path)
        tiles, kept = render_tiles(entries, source, size, padding)
        _write_cache(path, key, tiles, [entries[i].key for i in kept])
    return tiles, kept


def load_emoji(*, image_size: int = 64, background: str = DEFAULT_BACKGROUND, skin_tones: bool = False,
               padding: float = 0.06, channels: int | None = None, limit: int | None = None,
               font: str | os.PathLike | None = None, emoji_list: str | os.PathLike | None = None,
               fixture: str | os.PathLike | None = None, cache: bool = True, **unknown: Any) -> EmojiDataset:
    """The emoji dataset (``genart train MODEL --data emoji [--image-size 32]``, ``load_dataset("emoji")``).

    Each fully-qualified emoji of the list is drawn in colour, centred on its visible bounding box (the larger
    side spans ``image_size * (1 - 2 * padding)`` pixels), resampled with LANCZOS in premultiplied alpha and
    composited on *background*.

    Args:
        image_size: side S in pixels, 16..512 (the font's bitmaps are 136 x 128: above 128 they are enlarged).
        background: a colour name (``"white"``) or ``"#rrggbb"``.
        skin_tones: include the skin-tone variants (about 3,650 images instead of about 1,870).
        padding: margin on each side as a fraction of S, 0..0.4.
        channels: 3 (RGB; ``None`` means 3) or 1 (grey, ITU-R 601 luma).
        limit: keep only the first *limit* images (list order).
        font: the colour emoji font (default :data:`DEFAULT_FONT`).
        emoji_list: Unicode's ``emoji-test.txt`` (default :data:`DEFAULT_LIST`).
        fixture: a folder with ``emoji-test.txt`` and ``glyphs/<key>.png`` pre-rendered glyphs, used instead of
            the font (the tests' fixture).
        cache: read/write the rendered tiles in the cache folder (False: render every time, write nothing).

    Returns:
        :class:`EmojiDataset` of uint8 ``[N, C, S, S]`` images, labels 0..8 (the group), ``num_classes`` 9.

    Raises:
        InvalidInputError: an unknown option or a bad value (size out of range, not a colour, ...).
        DatasetError: the font or the list is missing (the message names the Debian packages
            fonts-noto-color-emoji and unicode-data and the install command), unreadable, or draws nothing.
    """
    from PIL import ImageColor

    given = {"image_size": image_size, "background": background, "skin_tones": skin_tones, "padding": padding,
             "channels": channels, "limit": limit, "font": font, "emoji_list": emoji_list, "fixture": fixture,
             "cache": cache, **unknown}
    given = {k: os.fspath(v) if isinstance(v, os.PathLike) else v for k, v in given.items()}
    opts = check_option_values(given, OPTIONS, what="dataset 'emoji'", where="dataset 'emoji' option")
    size = opts["image_size"]
    rgb = tuple(ImageColor.getrgb(opts["background"])[:3])
    list_path, source = _sources(opts["font"], opts["emoji_list"], opts["fixture"])
    entries = parse_emoji_test(list_path, skin_tones=opts["skin_tones"])
    tiles, kept = _tiles(entries, list_path, source, size, opts["padding"], opts["skin_tones"], opts["cache"])
    entries = [entries[i] for i in kept]
    if opts["limit"]:
        tiles, entries = tiles[: opts["limit"]], entries[: opts["limit"]]
    from .render import composite

    images = composite(tiles, rgb)
    if opts["channels"] == 1:
        luma = np.tensordot(np.array([0.299, 0.587, 0.114], dtype=np.float32), images.astype(np.float32), axes=([0], [1]))
        images = np.clip(np.rint(luma), 0, 255).astype(np.uint8)[:, None]
    return EmojiDataset(torch.from_numpy(images), entries, class_names(entries), "emoji", rgb)
