"""Ingest pipeline: read, normalise, validate, geocode and load service files."""
