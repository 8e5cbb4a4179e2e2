"""A quick, sturdy start: light entry points, workers that survive a busy machine, one-line errors.

These run the real command line and the real server in subprocesses against real databases.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import typer.main

from observatory.cli import EXIT_ERROR, EXIT_SCHEMA_MISSING, EXIT_UNREACHABLE, app
from observatory.settings import PROJECT_ROOT
from tests.clusters import free_port

HEAVY = ("geopandas", "folium", "mapclassify", "pandas", "scipy", "branca", "sklearn", "pyogrio")
CLI = [sys.executable, "-c", "import sys; from observatory.cli import main; sys.exit(main())"]
OBSERVATORY = str(Path(sys.executable).parent / "observatory")  # the console script itself
SAMPLE = str(PROJECT_ROOT / "data" / "sample" / "servizi_esempio.csv")
DOCUMENTED_EXIT_CODES = {0, EXIT_ERROR, EXIT_UNREACHABLE, EXIT_SCHEMA_MISSING}
UPGRADE_HINT = "observatory db upgrade"


def test_entry_points_do_not_import_the_heavy_stack():
    code = (
        "import json, sys; import api.main, observatory.cli; "
        f"print(json.dumps([name for name in {HEAVY!r} if name in sys.modules]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True
    )
    assert json.loads(result.stdout.splitlines()[-1]) == []


def test_exit_codes_are_in_the_help():
    result = subprocess.run([*CLI, "--help"], capture_output=True, text=True, check=True,
                            env={**os.environ, "COLUMNS": "200"})
    for code in DOCUMENTED_EXIT_CODES - {0}:
        assert f"{code} " in result.stdout.split("Exit codes", 1)[1]


@pytest.fixture
def busy_cores() -> Iterator[None]:
    """Two CPU-bound processes keeping the machine's cores busy for the test."""
    burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
    try:
        yield
    finally:
        for burner in burners:
            burner.kill()
            burner.wait()


def _wait_for(predicate, timeout_s: float) -> float | None:
    """Poll `predicate` every 0.2 s; the seconds it took to hold, or None after `timeout_s`."""
    start = time.monotonic()
    while time.monotonic() - start < timeout_s:
        if predicate():
            return time.monotonic() - start
        time.sleep(0.2)
    return None


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def test_two_workers_start_on_a_busy_machine_without_restarts(database_url, busy_cores, tmp_path):
    port = free_port()
    log_path = tmp_path / "serve.log"
    env = {**os.environ, "DATABASE_URL": database_url}
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [OBSERVATORY, "serve", "--port", str(port), "--workers", "2"],
            cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        )  # fmt: skip
    try:
        answered = _wait_for(lambda: _answers(f"http://127.0.0.1:{port}/healthz"), 20)
        assert answered is not None, f"/healthz silent for 20 s:\n{log_path.read_text()}"
        both = _wait_for(lambda: log_path.read_text().count("Application startup complete") == 2,
                         60)
        assert both is not None, log_path.read_text()
        time.sleep(3)  # several rounds of the supervisor's health check
        text = log_path.read_text()
        for restart in ("died", "Waiting for child process", "not ready in time", "Terminated"):
            assert restart not in text, text
    finally:
        server.send_signal(signal.SIGINT)
        server.wait(timeout=60)


def _commands() -> list[tuple[str, ...]]:
    """Every command of the Typer app, as its path of names (`("db", "url")`)."""

    def walk(command, path: tuple[str, ...]) -> Iterator[tuple[str, ...]]:
        if hasattr(command, "commands"):
            for name, sub in command.commands.items():
                yield from walk(sub, (*path, name))
        else:
            yield path

    return list(walk(typer.main.get_command(app), ()))


def _arguments(tmp_path: Path) -> dict[tuple[str, ...], tuple[list[str], int]]:
    """Minimal valid arguments of each command and the exit code expected without a schema."""
    population = tmp_path / "STRASA_2023_it_Comuni.csv"
    population.write_text("Codice comune;Comune;Età;Maschi;Femmine\n063049;Napoli;999;1;2\n")
    missing = EXIT_SCHEMA_MISSING
    return {
        ("status",): ([], missing),
        ("ingest",): ([SAMPLE, "--report", str(tmp_path / "rejections.csv")], missing),
        ("db", "start"): ([], 0),  # DATABASE_URL is set: nothing to start or stop
        ("db", "stop"): ([], 0),
        ("db", "url"): ([], 0),
        ("db", "downgrade"): (["base"], 0),
        ("db", "create-reader"): ([f"reader_{os.getpid()}"], missing),
        ("geo", "load"): (["--region", "Basilicata"], missing),
        ("geo", "years"): ([], 0),
        ("areas", "load"): ([], missing),
        ("taxonomy", "load"): ([], missing),
        ("analyze", "density"): ([], missing),
        ("analyze", "coverage"): ([], missing),
        ("analyze", "access"): ([], missing),
        ("analyze", "gaps"): ([], missing),
        ("analyze", "defaults"): ([], missing),
        ("population", "load"): ([str(population)], missing),
        ("keys", "create"): (["--name", "test", "--area", "napoli"], missing),
        ("keys", "list"): ([], missing),
        ("keys", "revoke"): (["abcdef"], missing),
        ("export", "services"): (["--out", str(tmp_path / "services.csv")], missing),
        ("export", "hsds"): (["--out", str(tmp_path / "hsds")], missing),
        ("export", "change"): (
            ["--out", str(tmp_path / "change.json"), "--from", "2024-12-31", "--to", "2025-12-31"],
            missing,
        ),
        ("report", "area"): (["napoli", "--out", str(tmp_path / "napoli.html")], missing),
        ("maps", "render"): (["--out-dir", str(tmp_path / "maps")], missing),
        ("serve",): ([], 0),  # run apart: it serves until interrupted
        ("db", "upgrade"): ([], 0),  # last: it creates the schema
    }


def _serve_without_schema(env: dict[str, str]) -> tuple[int, str]:
    """Serve the empty database, check its answers, stop it; its exit code and output."""
    port = free_port()
    server = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--workers", "1"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{port}"
    try:
        assert _wait_for(lambda: _answers(f"{base}/healthz"), 60) is not None
        ready = httpx.get(f"{base}/readyz")
        assert ready.status_code == 503 and UPGRADE_HINT in ready.json()["detail"]
        for path in ("/hsds/services", "/collections/services/items", "/stats/regions"):
            response = httpx.get(f"{base}{path}")
            assert response.status_code == 503, (path, response.text)
            assert UPGRADE_HINT in response.json()["detail"]
    finally:
        server.send_signal(signal.SIGINT)
        output, _ = server.communicate(timeout=60)
    return server.returncode, output


def test_every_command_without_a_schema_says_what_to_run(empty_database_url, tmp_path):
    arguments = _arguments(tmp_path)
    assert sorted(_commands()) == sorted(arguments), "give each new command its arguments here"
    env = {**os.environ, "DATABASE_URL": empty_database_url, "COLUMNS": "80"}
    for command, (args, expected) in arguments.items():
        if command == ("serve",):
            code, output = _serve_without_schema(env)
            stderr = output
        else:
            result = subprocess.run(
                [*CLI, *command, *args], env=env, capture_output=True, text=True, check=False
            )
            code, output, stderr = result.returncode, result.stdout + result.stderr, result.stderr
        name = " ".join(command)
        assert "Traceback" not in output, f"{name}:\n{output}"
        assert code in DOCUMENTED_EXIT_CODES and code == expected, f"{name}: {code}\n{output}"
        if expected == EXIT_SCHEMA_MISSING:
            lines = [line for line in stderr.splitlines() if line.strip()]
            assert len(lines) == 1 and UPGRADE_HINT in lines[0], f"{name}:\n{stderr}"
