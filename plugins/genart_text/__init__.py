"""genart-text: the first-party text conditioner (prompts -> conditioning), registered like any plugin.

Two encoders share one 384-d embedding space: ``minilm`` (all-MiniLM-L6-v2, the ``text`` extra) and
``tiny`` (a 4 MB transformer distilled from it, shipped here, so prompts work on a base install).
"""
