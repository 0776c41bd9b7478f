"""Text captions drawn with Pillow and composited onto frames on their device."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any, Callable

import torch

from ..checks import check_float
from ..errors import InvalidInputError
from .base import Renderer, Shape
from .params import rgb_color as _rgb

POSITIONS = ("top", "bottom", "center", "top-left", "top-right", "bottom-left", "bottom-right")


class Caption(Renderer):
    """Draw text on every frame (Pillow's FreeType default font, or a TrueType file).

    The text may change per frame: a format string with ``{frame}`` (0-based index), ``{number}``
    (1-based) and ``{total}``, or a callable ``f(frame_index) -> str``. Each distinct text is rasterised once
    (cached) into a coverage mask and alpha-blended on the device. Grayscale frames stay grayscale when text
    and box are grey; otherwise they become RGB.
    """

    def __init__(
        self,
        text: str | Callable[[int], str],
        *,
        position: str = "bottom",
        size: int | None = None,
        color: Any = "white",
        background: Any = "black",
        background_alpha: float = 0.5,
        margin: int | None = None,
        font: str | None = None,
    ) -> None:
        if not (isinstance(text, str) or callable(text)):
            raise InvalidInputError(f"caption text must be a string or a function of the frame index, got {type(text).__name__}.")
        if position not in POSITIONS:
            raise InvalidInputError(f"caption position must be one of {', '.join(POSITIONS)}; got {position!r}.")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or not 4 <= size <= 1024):
            raise InvalidInputError(f"caption size must be a font size in pixels, 4..1024, got {size!r}.")
        if margin is not None and (isinstance(margin, bool) or not isinstance(margin, int) or margin < 0):
            raise InvalidInputError(f"caption margin must be a non-negative int, got {margin!r}.")
        self.text = text
        self.position = position
        self.size = size
        self.color = _rgb(color, "caption color")
        self.background = None if background is None else _rgb(background, "caption background")
        self.background_alpha = check_float(background_alpha, "background_alpha", low=0.0, high=1.0)
        self.margin = margin
        self.font_path = font
        self._fonts: dict[int, Any] = {}
        self._masks: OrderedDict[tuple, tuple[torch.Tensor, torch.Tensor, tuple[int, int, int, int]]] = OrderedDict()
        if font is not None:
            self._font(12)  # fail early on a bad font file
        if isinstance(text, str):
            try:
                text.format(frame=0, number=1, total=1)
            except (KeyError, IndexError, ValueError) as exc:
                raise InvalidInputError(f"caption text {text!r}: use only the fields {{frame}}, {{number}} and {{total}} ({exc}).") from exc

    def _gray(self) -> bool:
        cols = [self.color] + ([self.background] if self.background is not None and self.background_alpha > 0 else [])
        return all(c[0] == c[1] == c[2] for c in cols)

    def output_shape(self, shape: Shape) -> Shape:
        c, h, w = shape
        return (3 if c == 1 and not self._gray() else c, h, w)

    def _font(self, px: int) -> Any:
        f = self._fonts.get(px)
        if f is None:
            from PIL import ImageFont

            try:
                f = ImageFont.truetype(self.font_path, px) if self.font_path else ImageFont.load_default(size=px)
            except OSError as exc:
                raise InvalidInputError(f"cannot load font {self.font_path!r}: {exc}") from exc
            self._fonts[px] = f
        return f

    def _string(self, index: int, total: int) -> str:
        if callable(self.text):
            try:
                s = self.text(index)
            except Exception as exc:  # user code
                raise InvalidInputError(f"caption function raised {type(exc).__name__}: {exc}") from exc
            return str(s)
        return self.text.format(frame=index, number=index + 1, total=total)

    def _mask(self, text: str, h: int, w: int, device: torch.device) -> tuple[torch.Tensor, torch.Tensor, tuple[int, int, int, int]]:
        key = (text, h, w, device)
        hit = self._masks.get(key)
        if hit is not None:
            self._masks.move_to_end(key)
            return hit
        import numpy as np
        from PIL import Image, ImageDraw

        px = self.size or max(8, round(min(h, w) / 10))
        margin = self.margin if self.margin is not None else max(1, px // 3)
        font = self._font(px)
        text_img = Image.new("L", (w, h), 0)
        box_img = Image.new("L", (w, h), 0)
        draw = ImageDraw.Draw(text_img)
        left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font)
        tw, th = right - left, bottom - top
        pos = self.position
        x = (w - tw) / 2 if pos in ("top", "bottom", "center") else (margin if pos.endswith("left") else w - tw - margin)
        y = margin if pos.startswith("top") else ((h - th) / 2 if pos == "center" else h - th - margin)
        x, y = round(x - left), round(y - top)
        draw.multiline_text((x, y), text, font=font, fill=255)
        if self.background is not None and self.background_alpha > 0:
            pad = max(1, px // 4)
            ImageDraw.Draw(box_img).rectangle([x + left - pad, y + top - pad, x + right + pad - 1, y + bottom + pad - 1], fill=255)
        ta = np.asarray(text_img, dtype=np.float32) / 255.0
        ba = np.asarray(box_img, dtype=np.float32) / 255.0 * self.background_alpha
        cover = (ta > 0) | (ba > 0)
        if cover.any():
            ys, xs = np.nonzero(cover.any(axis=1))[0], np.nonzero(cover.any(axis=0))[0]
            box = (int(ys[0]), int(ys[-1]) + 1, int(xs[0]), int(xs[-1]) + 1)
        else:
            box = (0, 0, 0, 0)
        y0, y1, x0, x1 = box
        tm = torch.from_numpy(ta[y0:y1, x0:x1].copy()).to(device)[None]
        bm = torch.from_numpy(ba[y0:y1, x0:x1].copy()).to(device)[None]
        self._masks[key] = (tm, bm, box)
        if len(self._masks) > 256:
            self._masks.popitem(last=False)
        return tm, bm, box

    def process(self, frames: torch.Tensor, state: Any, start: int, total: int) -> tuple[torch.Tensor, Any]:
        b, c, h, w = frames.shape
        out_c = self.output_shape((c, h, w))[0]
        out = frames.repeat(1, 3, 1, 1) if (out_c == 3 and c == 1) else frames.clone()
        colour_ch = min(out_c, 3)
        pick = slice(0, 3) if colour_ch == 3 else slice(0, 1)
        color = torch.tensor(self.color[pick], dtype=torch.float32, device=frames.device)[:, None, None]
        bg = None
        if self.background is not None:
            bg = torch.tensor(self.background[pick], dtype=torch.float32, device=frames.device)[:, None, None]
        for i in range(b):
            index = (start + i) % total if total else start + i
            tm, bm, (y0, y1, x0, x1) = self._mask(self._string(index, total), h, w, frames.device)
            if y1 <= y0 or x1 <= x0:
                continue
            region = out[i, :colour_ch, y0:y1, x0:x1]  # a view: composite only where the caption is
            if bg is not None:
                region.mul_(1 - bm).add_(bg * bm)
            region.mul_(1 - tm).add_(color * tm)
            if out_c == 4:
                alpha = out[i, 3:4, y0:y1, x0:x1]
                torch.maximum(alpha, torch.maximum(tm, bm), out=alpha)
        return out, state  # convex combinations of values in [0, 1]: no clamp needed

    def describe(self) -> str:
        t = self.text if isinstance(self.text, str) else "<function>"
        return f"caption({t!r}, position={self.position!r})"


def caption(text: str | Callable[[int], str], **options: Any) -> Caption:
    """A text-caption renderer: ``ga.render.caption("seed {frame}")``; options as for :class:`Caption`
    (``position``, ``size`` in px, ``color``, ``background``, ``background_alpha``, ``margin``, ``font``).

    Raises:
        InvalidInputError: bad text, position, size, colours or font file; an option Caption does not take.
    """
    from .._options import check_options

    check_options("renderer 'caption'", Caption, options, skip=("text",))
    return Caption(text, **options)
