"""resettle: system of record for relocating the residents of a threatened camp."""

__version__ = "0.1.0"
