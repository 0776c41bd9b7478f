"""Sub-commands of ``genart``, one module each (``ORDER``, ``add_parser(sub)``, ``handle(args)``).

Module top levels must stay light: no torch import, so ``genart --help`` is fast.
"""
