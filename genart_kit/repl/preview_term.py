"""Terminal preview: frames drawn with truecolor half-block characters.

Each character cell shows two pixels stacked vertically: the upper one as the foreground colour of
``▀`` (U+2580 UPPER HALF BLOCK) and the lower one as the background colour. Only 24-bit SGR colour codes
and one Unicode character are used, so it works in any modern terminal, over SSH and inside tmux (tmux
downsamples to 256 colours itself when the outer terminal lacks RGB support).

Two outputs:

* :func:`half_block_fragments`: prompt_toolkit ``(style, text)`` fragments; :class:`TerminalPreview` puts
  them in the prompt's bottom toolbar, redrawn as the live loops play;
* :func:`half_block_ansi`: a plain string with escape codes, printed by ``show(clip)``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["to_rgb", "fit", "tile", "half_block_fragments", "half_block_ansi", "TerminalPreview", "UPPER_HALF"]

UPPER_HALF = "\u2580"


def to_rgb(frame: Any) -> Any:
    """Return numpy uint8 ``[H, W, 3]`` from a ``[H, W, C]`` frame (C 1: grey, 3: RGB, 4: RGBA over black)."""
    import numpy as np

    frame = np.asarray(frame)
    if frame.ndim == 2:
        frame = frame[..., None]
    c = frame.shape[-1]
    if c == 3:
        return frame
    if c == 1:
        return np.repeat(frame, 3, axis=-1)
    if c == 4:
        alpha = frame[..., 3:4].astype(np.uint16)
        return (frame[..., :3].astype(np.uint16) * alpha // 255).astype(np.uint8)
    raise ValueError(f"frame has {c} channels; expected 1, 3 or 4")


def fit(frame: Any, max_cols: int, max_rows: int, *, upscale: bool = True) -> Any:
    """Resize an RGB frame ``[H, W, 3]`` to fit in *max_cols* x *max_rows* cells (2 pixels per row).

    Keeps the aspect ratio; small images are enlarged by an integer factor with nearest-neighbour (crisp
    pixels), large ones reduced with Pillow's box filter (area average). Returns uint8 ``[h, w, 3]`` with
    ``w <= max_cols`` and ``h <= 2 * max_rows``.
    """
    import numpy as np
    from PIL import Image

    h, w = frame.shape[:2]
    max_w, max_h = max(1, int(max_cols)), max(2, 2 * int(max_rows))
    scale = min(max_w / w, max_h / h)
    if scale >= 1.0:
        k = int(scale) if upscale else 1
        if k <= 1:
            return frame
        return np.repeat(np.repeat(frame, k, axis=0), k, axis=1)
    nw, nh = max(1, int(w * scale)), max(1, int(h * scale))
    return np.asarray(Image.fromarray(np.ascontiguousarray(frame)).resize((nw, nh), Image.Resampling.BOX))


def tile(frames: Sequence[Any], gap: int = 2) -> Any:
    """Place RGB frames side by side (top-aligned, black *gap* columns between); uint8 ``[H, W, 3]``."""
    import numpy as np

    if not frames:
        return np.zeros((2, 1, 3), np.uint8)
    h = max(f.shape[0] for f in frames)
    w = sum(f.shape[1] for f in frames) + gap * (len(frames) - 1)
    out = np.zeros((h, w, 3), np.uint8)
    x = 0
    for f in frames:
        out[: f.shape[0], x : x + f.shape[1]] = f
        x += f.shape[1] + gap
    return out


def _rows(rgb: Any) -> list[tuple[Any, Any]]:
    import numpy as np

    if rgb.shape[0] % 2:
        rgb = np.concatenate([rgb, np.zeros((1,) + rgb.shape[1:], np.uint8)], axis=0)
    return [(rgb[y], rgb[y + 1]) for y in range(0, rgb.shape[0], 2)]


def half_block_fragments(rgb: Any) -> list[tuple[str, str]]:
    """prompt_toolkit formatted text for an RGB frame ``[H, W, 3]`` uint8: ``ceil(H / 2)`` lines of ``W``
    cells, each ``("fg:#rrggbb bg:#rrggbb", "▀")`` (runs of equal cells merged), lines joined by ``"\\n"``."""
    out: list[tuple[str, str]] = []
    for i, (top, bottom) in enumerate(_rows(rgb)):
        if i:
            out.append(("", "\n"))
        prev = None
        run = 0
        for (r1, g1, b1), (r2, g2, b2) in zip(top.tolist(), bottom.tolist()):
            style = f"fg:#{r1:02x}{g1:02x}{b1:02x} bg:#{r2:02x}{g2:02x}{b2:02x}"
            if style == prev:
                run += 1
                continue
            if prev is not None:
                out.append((prev, UPPER_HALF * run))
            prev, run = style, 1
        if prev is not None:
            out.append((prev, UPPER_HALF * run))
    return out


def half_block_ansi(rgb: Any) -> str:
    """The same picture as :func:`half_block_fragments` as a string with 24-bit SGR escape codes; each line
    ends with a reset (``ESC[0m``) and ``"\\n"``."""
    lines = []
    for top, bottom in _rows(rgb):
        parts = []
        prev = None
        for (r1, g1, b1), (r2, g2, b2) in zip(top.tolist(), bottom.tolist()):
            key = (r1, g1, b1, r2, g2, b2)
            if key != prev:
                parts.append(f"\x1b[38;2;{r1};{g1};{b1};48;2;{r2};{g2};{b2}m")
                prev = key
            parts.append(UPPER_HALF)
        lines.append("".join(parts) + "\x1b[0m\n")
    return "".join(lines)


class TerminalPreview:
    """The live loops as formatted text for the prompt's bottom toolbar: a status line, then the visible
    loops side by side.

    Args:
        manager: the session's :class:`~genart_kit.repl.loops.LoopManager`.
        rows: maximum picture height in terminal rows (each row shows 2 pixels).
        enabled: start shown.
        columns: callable returning the terminal width in columns.
        lines: callable returning the terminal height in rows (the picture never takes more than the
            terminal's height minus 8 rows, so the prompt stays usable in a small window).
    """

    def __init__(self, manager: Any, rows: int = 14, enabled: bool = True, columns: Any = None,
                 lines: Any = None) -> None:
        self.manager = manager
        self.rows = max(2, int(rows))
        self.enabled = enabled
        self._columns = columns or (lambda: 80)
        self._lines = lines or (lambda: 50)
        self._cache: dict[tuple, Any] = {}

    def _fitted(self, lp: Any, index: int, max_cols: int, rows: int) -> Any:
        cur = lp.current
        key = (lp.name, cur.number, cur.cycle, index, max_cols, rows)
        img = self._cache.get(key)
        if img is None:
            if len(self._cache) > 2048:
                self._cache.clear()
            img = fit(to_rgb(cur.frames[index]), max_cols, rows)
            self._cache[key] = img
        return img

    def status_line(self) -> str:
        """One line describing the loops (``▶ walk v2 48f@24 · ◌ blob v1 12/48``; a loop on the clock adds its
        phase: ``▶ beat v1 48f@12 beat 5.25/8``)."""
        parts = []
        solo = self.manager.solo_name
        for row in self.manager.table():
            if row["version"] is not None:
                mark = "\u25b6" if row["state"] in ("playing", "solo") else "\u00b7"
                part = f"{mark} {row['name']} v{row['version']} {row['frames']}f@{round(row['fps'], 2):g}"
                if row.get("on_clock"):
                    part += f" {row['phase']}"  # on the clock: where its cycle is ("beat 5.25/8")
                if row.get("cycle") is not None:
                    part += f" c{row['cycle']}"
                if row["pending"] and row.get("cycle") is None:
                    part += f" (v{row['pending']} next cycle)"
            else:
                part = f"\u25cc {row['name']}"
            if row["rendering"] is not None:
                done, total = row["rendering"]
                part += f" rendering {done}/{total if total is not None else '?'}"
            parts.append(part)
        text = "   ".join(parts)
        if solo:
            text += f"   [solo {solo}]"
        return text

    def fragments(self, now: float | None = None) -> list[tuple[str, str]] | None:
        """Toolbar content, or ``None`` (toolbar hidden) when disabled or no loop exists."""
        if not self.enabled or not self.manager.loops:
            return None
        width = max(10, int(self._columns()))
        out: list[tuple[str, str]] = [("class:preview.status", self.status_line()[:width])]
        vis = self.manager.visible()
        if vis:
            now = self.manager.clock() if now is None else now
            gap = 2
            per = max(4, (width - gap * (len(vis) - 1)) // len(vis))
            rows = max(2, min(self.rows, int(self._lines()) - 8))
            imgs = [self._fitted(lp, lp.frame_index(now), per, rows) for lp in vis]
            out.append(("", "\n"))
            out.extend(half_block_fragments(tile(imgs, gap)))
        return out
