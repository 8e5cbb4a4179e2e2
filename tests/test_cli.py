import subprocess
import sys

from sqlalchemy.engine import make_url

BIN = [sys.executable, "-c", "from observatory.cli import main; main()"]


def _run(*args: str, env_url: str | None = None) -> subprocess.CompletedProcess[str]:
    import os

    env = dict(os.environ, COLUMNS="200")
    if env_url:
        env["DATABASE_URL"] = env_url
    return subprocess.run([*BIN, *args], capture_output=True, text=True, env=env, check=False)


def test_help_lists_every_command():
    result = _run("--help")
    assert result.returncode == 0
    for command in ("db", "geo", "areas", "taxonomy", "status", "serve", "maps"):
        assert command in result.stdout


def test_db_url_prints_the_database_in_use(database_url):
    result = _run("db", "url", "--libpq", env_url=database_url)
    assert result.returncode == 0
    printed = make_url(result.stdout.strip())
    assert printed.database == make_url(database_url).database
    assert printed.drivername == "postgresql"


def test_status_prints_areas_and_population(database_url, geopop_south):
    result = _run("status", env_url=database_url)
    assert result.returncode == 0, result.stderr
    assert f"{len(geopop_south.municipalities)} comuni" in result.stdout
    assert "avellino-benevento" in result.stdout
    assert "Campania" in result.stdout


def test_unknown_region_exits_2_with_a_message(database_url):
    result = _run("geo", "load", "--region", "Atlantide", env_url=database_url)
    assert result.returncode == 2
    assert "unknown region 'Atlantide'" in result.stderr


def test_unreachable_database_exits_3(database_url):
    url = make_url(database_url).set(port=1).render_as_string(hide_password=False)
    result = _run("status", env_url=url)
    assert result.returncode == 3
    assert "unreachable" in result.stderr


def test_geo_load_if_missing_keeps_the_stored_geography(database_url):
    from tests.helpers import run_sql

    before = run_sql(database_url, "SELECT id FROM geography_load")
    result = _run("geo", "load", "--if-missing", env_url=database_url)
    assert result.returncode == 0, result.stderr
    assert "already loaded" in result.stderr
    assert run_sql(database_url, "SELECT id FROM geography_load") == before
