"""Registers the ``emoji`` training dataset (a string loader: no torch or Pillow import here)."""

from __future__ import annotations

from genart_kit import hookimpl
from genart_kit.options import Option

#: the default background: a light warm grey, close to paper
DEFAULT_BACKGROUND = "#f2f0eb"


def _colour(value: str) -> str | None:
    """``None`` when *value* is a colour Pillow knows (a name such as ``white``, or ``#rrggbb``), else why not."""
    from PIL import ImageColor

    try:
        ImageColor.getrgb(value)
    except ValueError:
        return "not a colour: give a name such as 'white' or a hex colour such as '#f2f0eb'"
    return None


#: the loader's options (checked before anything is rendered; ``genart list datasets --json`` shows them)
OPTIONS = [
    Option("image_size", int, 64, "image side in pixels (64 default; 32 and 128 are common)", min=16, max=512),
    Option("background", str, DEFAULT_BACKGROUND, "colour the glyphs are composited on: a name or #rrggbb",
           validate=_colour),
    Option("skin_tones", bool, False, "include the skin-tone variants (about 3,650 images instead of 1,870)"),
    Option("padding", float, 0.06, "margin on each side, as a fraction of the image side", min=0.0, max=0.4),
    Option("channels", int, None, "3 (RGB, default) or 1 (grey)", choices=(1, 3)),
    Option("limit", int, None, "keep only the first N images", min=1),
    Option("font", str, None, "the colour emoji font (default: Debian's Noto Color Emoji)", cli=False),
    Option("emoji_list", str, None, "Unicode's emoji-test.txt (default: Debian's unicode-data copy)", cli=False),
    Option("fixture", str, None, "a folder with emoji-test.txt and glyphs/<codepoints>.png instead of the font",
           cli=False),
    Option("cache", bool, True, "read and write the rendered images in the toolkit's cache folder", cli=False),
]


@hookimpl
def register_datasets(register):
    """``emoji``: Noto Color Emoji glyphs rendered in colour, labelled by group, with captions."""
    register(
        "emoji",
        "genart_emoji.dataset:load_emoji",
        description="Noto Color Emoji, 1,870 RGB images (3,650 with skin_tones), 9 group labels, captions "
                    "(Debian packages fonts-noto-color-emoji unicode-data)",
        image_shape=(3, None, None),
        num_classes=9,
        size=1870,
        captions=True,
        options=OPTIONS,
    )
