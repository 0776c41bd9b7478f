"""The toolkit's version: one home, importable without the package's lazy attributes."""

__version__ = "0.1.0"
