"""`observatory serve` says where the public finder is."""

from __future__ import annotations

import uvicorn
from typer.testing import CliRunner

from observatory.cli import app
from observatory.settings import get_settings


def test_serve_prints_the_finder_address(monkeypatch):
    monkeypatch.setattr(uvicorn, "run", lambda *args, **kwargs: None)
    monkeypatch.setenv("API_PORT", "8123")
    monkeypatch.delenv("PUBLIC_BASE_URL", raising=False)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(app, ["serve"])
        assert result.exit_code == 0, result.output
        assert "http://127.0.0.1:8123/trova/" in result.output
        monkeypatch.setenv("PUBLIC_BASE_URL", "https://osservatorio.example.org/api")
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["serve"])
        assert "https://osservatorio.example.org/api/trova/" in result.output
    finally:
        get_settings.cache_clear()
