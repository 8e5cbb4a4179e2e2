"""Text helpers shared by the core, the ingest and the maps: accent folding and slugs."""

from __future__ import annotations

import re
import unicodedata


def fold(text: str) -> str:
    """Accents removed, other non-ASCII characters dropped: 'Città' -> 'Citta' (case kept)."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()


def slugify(name: str) -> str:
    """Lower-case ASCII slug: 'Reggio di Calabria' -> 'reggio-di-calabria'."""
    return re.sub(r"[^a-z0-9]+", "-", fold(name).lower()).strip("-")
