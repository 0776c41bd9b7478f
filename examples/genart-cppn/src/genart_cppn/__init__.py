"""genart-cppn: a compositional pattern-producing network model and a kaleidoscope renderer for genart-kit.

The plugin module (:mod:`genart_cppn.plugin`, the ``genart_kit`` entry point) imports no torch; the model
(:mod:`genart_cppn.model`) and the renderer (:mod:`genart_cppn.kaleidoscope`) are imported when first used.
"""

__version__ = "0.1.0"
