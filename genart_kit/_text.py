"""Text made safe to print in listings, help and tables (torch-free; below the registry and the CLI)."""

from __future__ import annotations

__all__ = ["clean_text"]


def clean_text(text: object, *, keep_lines: bool = False) -> str:
    """*text* (``str(text)``) made printable for listings and help: control characters, line and paragraph
    separators and unpaired surrogates become spaces and runs of whitespace collapse into one line; with
    *keep_lines*, newlines and tabs stay (a command's description and epilog)."""
    import unicodedata

    keep = "\n\t" if keep_lines else ""
    out = "".join(c if c in keep or unicodedata.category(c) not in ("Cc", "Cs", "Zl", "Zp") else " " for c in str(text))
    return out if keep_lines else " ".join(out.split())
