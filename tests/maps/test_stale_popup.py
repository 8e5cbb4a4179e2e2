"""The maps flag services not verified for longer than STALE_AFTER_DAYS in their popup."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pandas as pd
import pytest

from maps.layers import popup_html
from observatory.settings import get_settings


def _service(last_verified: date | None, created_days_ago: int = 0) -> pd.Series:
    return pd.Series({
        "name": "Sportello", "organization_name": None, "address_1": "Via Roma 1",
        "phone": None, "opening_hours": None, "languages": ["it"],
        "geocode_precision": "provided", "is_example": False, "last_verified": last_verified,
        "created_at": pd.Timestamp(datetime.now(UTC) - timedelta(days=created_days_ago)),
    })


@pytest.fixture
def stale_after_30(monkeypatch):
    monkeypatch.setenv("STALE_AFTER_DAYS", "30")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_popup_flags_a_service_not_verified_for_longer_than_the_setting(stale_after_30):
    old = date.today() - timedelta(days=31)
    html = popup_html(_service(old), "it")
    assert "Non verificato da oltre 30 giorni" in html
    assert f"Verificato il</th><td>{old:%d/%m/%Y}" in html
    english = popup_html(_service(old), "en")
    assert "Not verified for more than 30 days" in english and old.isoformat() in english
    fresh = popup_html(_service(date.today() - timedelta(days=29)), "it")
    assert "Non verificato" not in fresh
    # no verification date: counted from the day the service was created
    assert "Non verificato" in popup_html(_service(None, created_days_ago=40), "it")
    assert "Non verificato" not in popup_html(_service(None, created_days_ago=2), "it")
