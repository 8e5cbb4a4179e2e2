"""API keys: created once, stored as a SHA-256 hash with a lookup prefix, checked in constant time.

A key reads `osv_<prefix>_<secret>`: the prefix (8 hex digits) finds the row, the secret
(32 random bytes) makes the key unguessable, so a fast hash is enough and the database never
holds the key itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from observatory.errors import InvalidInput, NotAuthenticated, NotFound, PermissionDenied
from observatory.models import ApiKey, TerritorialArea

KEY_SCHEME = "osv"
ROLES = ("operator", "admin")
_UNKNOWN_KEY_HASH = hashlib.sha256(b"no such key").hexdigest()


@dataclass(frozen=True)
class Operator:
    """The holder of a valid key: its name, role and the areas it may write (None = every area)."""

    key_prefix: str
    name: str
    role: str
    areas: frozenset[str] | None

    def may_write(self, area: str) -> bool:
        """True when this key may write services of `area`."""
        return self.areas is None or area in self.areas


def hash_key(key: str) -> str:
    """The SHA-256 hex digest stored in place of a key."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _check_areas(session: Session, role: str, areas: list[str]) -> list[str]:
    """Validate the role and the area codes against `territorial_area`; return them sorted."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    wanted = sorted(set(areas))
    if role == "operator" and not wanted:
        raise InvalidInput("an operator key needs at least one --area")
    if role == "admin" and wanted:
        raise InvalidInput("an admin key writes every area: give no --area")
    known = set(session.scalars(select(TerritorialArea.code)).all())
    unknown = [code for code in wanted if code not in known]
    if unknown:
        raise NotFound(
            f"unknown area(s) {', '.join(unknown)}; known areas: {', '.join(sorted(known))}"
        )
    return wanted


def create_key(session: Session, name: str, role: str, areas: list[str]) -> tuple[ApiKey, str]:
    """Store a new key's hash and return the row with the key, which is shown only this once."""
    codes = _check_areas(session, role, areas)
    prefix = secrets.token_hex(4)
    key = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(name=name, prefix=prefix, key_hash=hash_key(key), role=role, areas=codes)
    session.add(row)
    session.flush()
    return row, key


def list_keys(session: Session) -> list[ApiKey]:
    """Every key, oldest first (hashes only)."""
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)).all())


def revoke_key(session: Session, prefix: str) -> ApiKey:
    """Mark the key with `prefix` revoked (idempotent); raise NotFound when there is none."""
    row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    if row is None:
        raise NotFound(f"no API key with prefix {prefix!r}")
    if row.revoked_at is None:
        row.revoked_at = datetime.now(UTC)
        session.flush()
    return row


def authenticate(session: Session, presented: str) -> Operator:
    """The holder of `presented`: NotAuthenticated when unknown, PermissionDenied if revoked."""
    scheme, _, rest = presented.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != KEY_SCHEME or not re.fullmatch(r"[0-9a-f]{8}", prefix) or not secret:
        raise NotAuthenticated("malformed API key: expected osv_<prefix>_<secret>")
    row = session.scalars(select(ApiKey).where(ApiKey.prefix == prefix)).first()
    expected = row.key_hash if row is not None else _UNKNOWN_KEY_HASH
    if not hmac.compare_digest(expected, hash_key(presented)) or row is None:
        raise NotAuthenticated("unknown or wrong API key")
    if row.revoked_at is not None:
        raise PermissionDenied(f"API key {prefix} was revoked on {row.revoked_at:%Y-%m-%d}")
    areas = None if row.role == "admin" else frozenset(row.areas)
    return Operator(key_prefix=prefix, name=row.name, role=row.role, areas=areas)


def upload_areas(session: Session, operator: Operator, area: str | None) -> set[str] | None:
    """The areas an upload may write: the declared `area` if the key covers it, else the key's."""
    if area is None:
        return None if operator.areas is None else set(operator.areas)
    if not operator.may_write(area):
        raise PermissionDenied(
            f"API key {operator.key_prefix} may write {', '.join(sorted(operator.areas or []))}, "
            f"not area {area!r}"
        )
    if session.get(TerritorialArea, area) is None:
        raise NotFound(f"unknown area {area!r}")
    return {area}
