"""Freshness: a service not verified for longer than `STALE_AFTER_DAYS` is stale.

A service without a verification date (written outside the ingest) counts from the day it
was created. One rule for the API items and the maps' popups.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from observatory.settings import get_settings

STALE_SQL = (
    "coalesce(s.last_verified, CAST(s.created_at AS date)) "
    "< current_date - CAST(%(stale_after_days)s AS integer)"
)
"""True when the service `s` is stale; bind `stale_after_days` (psycopg placeholders)."""


def stale_after_days() -> int:
    """The configured age (days) past which a service is stale."""
    return get_settings().stale_after_days


def is_stale(last_verified: date | None, created_at: datetime | None, today: date | None = None
             ) -> bool:
    """True when the service was last verified (else created) more than the age ago."""
    verified = last_verified or (created_at.date() if created_at else None)
    if verified is None:
        return False
    return verified < (today or date.today()) - timedelta(days=stale_after_days())
