"""A stored analysis is served by a worker that never computed one: no pandas, no folium.

The first request of a fresh worker for a stored density, gap file or map must not pay the
import of the analysis or map stack (most of a second), which lengthened the latency tail
of every worker after a change of the data.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]

STORED = (
    "/stats/density?by=region&region=campania",
    "/exports/gaps/SAN?region=basilicata",
    "/maps/basilicata/gaps?category=SAN",
)
HEAVY = ("pandas", "geopandas", "folium", "scipy", "mapclassify")
FRESH_WORKER = f"""
import json, sys
from fastapi.testclient import TestClient
from api.main import create_app
with TestClient(create_app()) as client:
    answers = {{path: client.get(path) for path in {STORED!r}}}
print(json.dumps({{
    "status": {{path: answer.status_code for path, answer in answers.items()}},
    "bodies": {{path: answer.text for path, answer in answers.items()}},
    "imported": [name for name in {HEAVY!r} if name in sys.modules],
}}))
"""


def test_a_fresh_worker_serves_stored_answers_without_the_analysis_stack(
    api_client, api_database_url
):
    computed = {path: api_client.get(path) for path in STORED}
    assert {path: r.status_code for path, r in computed.items()} == dict.fromkeys(STORED, 200)
    worker = subprocess.run(
        [sys.executable, "-c", FRESH_WORKER], cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "DATABASE_URL": api_database_url}, timeout=120, check=True,
    )
    fresh = json.loads(worker.stdout.splitlines()[-1])
    assert fresh["status"] == dict.fromkeys(STORED, 200)
    for path in STORED:
        if path.startswith("/stats"):
            assert json.loads(fresh["bodies"][path]) == computed[path].json(), path
        else:
            assert fresh["bodies"][path] == computed[path].text, path
    assert fresh["imported"] == []
