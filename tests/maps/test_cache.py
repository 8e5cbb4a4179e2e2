"""The map cache: one render per data version, however many requests arrive at once."""

import threading
import time

from maps import cache


def test_concurrent_requests_for_one_page_render_it_once(monkeypatch):
    monkeypatch.setattr(cache, "data_version", lambda session: ("v1",))
    renders = []

    def render() -> str:
        renders.append(1)
        time.sleep(0.2)
        return "<html></html>"

    pages = cache.MapCache()
    results = []
    threads = [
        threading.Thread(target=lambda: results.append(pages.page(None, "k", render)))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(renders) == 1
    assert len(results) == 8 and len({etag for _, etag in results}) == 1


def test_a_new_data_version_renders_again(monkeypatch):
    versions = iter([("v1",), ("v2",)])
    monkeypatch.setattr(cache, "data_version", lambda session: next(versions))
    pages = cache.MapCache()
    first = pages.page(None, "k", lambda: "one")
    second = pages.page(None, "k", lambda: "two")
    assert first[0] == "one" and second[0] == "two" and first[1] != second[1]
