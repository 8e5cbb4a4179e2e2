"""Osservatorio: core package (settings, database, models, geography, analysis, CLI)."""

__version__ = "0.1.0"
