"""The page cache: one render per data version, however many requests or workers ask."""

import threading
import time
from pathlib import Path

import pytest

from observatory import page_cache as cache


@pytest.fixture(autouse=True)
def one_database(monkeypatch):
    """The pages of these tests belong to one database unless a test says otherwise."""
    monkeypatch.setattr(cache, "database_of", lambda session: session or "db-a")


def test_concurrent_requests_for_one_page_render_it_once(monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "data_version", lambda session: 1)
    renders = []

    def render() -> str:
        renders.append(1)
        time.sleep(0.2)
        return "<html></html>"

    pages = cache.PageCache(directory=tmp_path)
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


def test_a_new_data_version_renders_again(monkeypatch, tmp_path):
    versions = iter([1, 2])
    monkeypatch.setattr(cache, "data_version", lambda session: next(versions))
    pages = cache.PageCache(directory=tmp_path)
    first = pages.page(None, "k", lambda: "one")
    second = pages.page(None, "k", lambda: "two")
    assert first[0] == "one" and second[0] == "two" and first[1] != second[1]
    assert [path.read_text() for path in Path(tmp_path).glob("*.html")] == ["two"]


def test_another_worker_reads_the_page_instead_of_rendering_it(monkeypatch, tmp_path):
    monkeypatch.setattr(cache, "data_version", lambda session: 7)
    first_worker, second_worker = cache.PageCache(directory=tmp_path), cache.PageCache(
        directory=tmp_path
    )
    page, etag = first_worker.page(None, ("campania", "gaps"), lambda: "<p>mappa</p>")

    def must_not_render() -> str:
        raise AssertionError("rendered again")

    assert second_worker.page(None, ("campania", "gaps"), must_not_render) == (page, etag)
    other = second_worker.page("db-b", ("campania", "gaps"), lambda: "<p>altro database</p>")
    assert other[0] == "<p>altro database</p>" and other[1] != etag
