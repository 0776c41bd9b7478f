"""``python -m genart_kit`` is the ``genart`` command."""

from .cli import run

run()
