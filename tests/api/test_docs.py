"""The interactive documentation loads nothing from the internet."""

import re

from fastapi.testclient import TestClient

from api.main import create_app


def test_docs_page_uses_only_local_assets_and_they_are_served(use_database):
    with TestClient(create_app()) as client:
        page = client.get("/docs")
        assert page.status_code == 200
        sources = re.findall(r'(?:src|href)="([^"]+)"', page.text)
        assert sources and all(source.startswith("/") for source in sources), sources
        for source in sources:
            asset = client.get(source)
            assert asset.status_code == 200, source
            assert len(asset.content) > 100
        assert "swagger-ui-bundle.js" in page.text and "/openapi.json" in page.text
        assert client.get("/redoc").status_code == 404
