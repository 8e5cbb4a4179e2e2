"""Swagger UI draws the API's operations in a real Chromium with the internet blocked."""

from tests.maps.browser import offline_page, screenshot


def test_docs_draw_every_operation_offline(server_url):
    with offline_page() as (page, log):
        page.goto(f"{server_url}/docs", wait_until="load")
        page.wait_for_selector(".opblock", timeout=20_000)
        operations = page.locator(".opblock").count()
        screenshot(page, "api-docs")
    assert operations > 20
    assert log.blocked == [] and log.page_errors == []
