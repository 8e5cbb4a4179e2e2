import hashlib

import pytest
from sqlalchemy import text
from typer.testing import CliRunner

from observatory import keys
from observatory.cli import app as cli_app
from observatory.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from tests.test_cli import _run as run_cli


def test_create_key_stores_only_its_hash(session):
    row, key = keys.create_key(session, "GdLL Napoli", "operator", ["napoli", "caserta"])
    assert key.startswith(f"osv_{row.prefix}_") and len(key) > 40
    stored = session.execute(text("SELECT * FROM api_key WHERE id = :id"), {"id": row.id}).one()
    secret = key.split("_", 2)[2]
    assert not any(secret in str(value) for value in stored)
    assert stored.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert stored.areas == ["caserta", "napoli"]


def test_authenticate_right_key_gives_its_holder_and_areas(session):
    _, key = keys.create_key(session, "GdLL Napoli", "operator", ["napoli"])
    operator = keys.authenticate(session, key)
    assert operator.name == "GdLL Napoli" and operator.role == "operator"
    assert operator.areas == frozenset({"napoli"})
    assert operator.may_write("napoli") and not operator.may_write("palermo")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda key: key[:-1] + ("A" if key[-1] != "A" else "B"),
        lambda key: "osv_00000000_" + key.split("_", 2)[2],
        lambda key: key.replace("osv_", "xyz_"),
        lambda key: "osv_",
        lambda key: "",
    ],
)
def test_authenticate_wrong_or_malformed_key_is_not_authenticated(session, mangle):
    _, key = keys.create_key(session, "k", "operator", ["napoli"])
    with pytest.raises(NotAuthenticated):
        keys.authenticate(session, mangle(key))


def test_revoked_key_is_denied(session):
    row, key = keys.create_key(session, "k", "operator", ["napoli"])
    keys.revoke_key(session, row.prefix)
    with pytest.raises(PermissionDenied, match="revoked"):
        keys.authenticate(session, key)


def test_revoking_an_unknown_prefix_is_not_found(session):
    with pytest.raises(NotFound):
        keys.revoke_key(session, "ffffffff")


@pytest.mark.parametrize(
    ("role", "areas", "error", "message"),
    [
        ("operator", ["atlantide"], NotFound, "unknown area"),
        ("operator", [], InvalidInput, "at least one"),
        ("admin", ["napoli"], InvalidInput, "every area"),
        ("superuser", ["napoli"], InvalidInput, "unknown role"),
    ],
)
def test_create_key_validates_role_and_areas(session, role, areas, error, message):
    with pytest.raises(error, match=message):
        keys.create_key(session, "k", role, areas)


def test_admin_key_writes_every_area(session):
    _, key = keys.create_key(session, "regione", "admin", [])
    operator = keys.authenticate(session, key)
    assert operator.areas is None
    assert keys.upload_areas(session, operator, None) is None
    assert keys.upload_areas(session, operator, "palermo") == {"palermo"}
    with pytest.raises(NotFound):
        keys.upload_areas(session, operator, "atlantide")


def test_upload_areas_are_the_declared_area_within_the_key(session):
    _, key = keys.create_key(session, "k", "operator", ["napoli", "caserta"])
    operator = keys.authenticate(session, key)
    assert keys.upload_areas(session, operator, None) == {"napoli", "caserta"}
    assert keys.upload_areas(session, operator, "napoli") == {"napoli"}
    with pytest.raises(PermissionDenied, match="not area 'palermo'"):
        keys.upload_areas(session, operator, "palermo")


def test_keys_cli_creates_lists_and_revokes_without_showing_the_key(use_database, engine):
    runner = CliRunner()
    created = runner.invoke(
        cli_app, ["keys", "create", "--role", "operator", "--area", "napoli", "--name", "CLI test"]
    )
    assert created.exit_code == 0, created.output
    key = created.stdout.strip()
    prefix = key.split("_")[1]
    try:
        listed = runner.invoke(cli_app, ["keys", "list"])
        assert prefix in listed.stdout and "CLI test" in listed.stdout
        assert key.split("_", 2)[2] not in listed.stdout
        revoked = runner.invoke(cli_app, ["keys", "revoke", prefix])
        assert revoked.exit_code == 0 and "revoked" in revoked.stdout
        with engine.connect() as conn:
            row = conn.execute(
                text("SELECT revoked_at, key_hash FROM api_key WHERE prefix = :p"), {"p": prefix}
            ).one()
        assert row.revoked_at is not None and row.key_hash != key
    finally:
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM api_key WHERE prefix = :p"), {"p": prefix})


def test_keys_cli_rejects_an_unknown_area_with_exit_2(database_url):
    result = run_cli("keys", "create", "--area", "atlantide", "--name", "x", env_url=database_url)
    assert result.returncode == 2
    assert "unknown area(s) atlantide" in result.stderr
