"""Training for genart-kit models: the shared loop (:mod:`.loop`), datasets (:mod:`.data`), and the plugin
that registers the ``mnist`` and ``folder`` datasets (:mod:`.plugin`).

Importing this package does not import torch; import :mod:`genart_kit.training.loop` for :func:`train`.
"""
