"""COPY helpers of observatory.db: every call writes its rows, and keeps no session alive."""

import gc
import weakref

from sqlalchemy import Engine, text
from sqlalchemy.orm import Session

from observatory.db import copy_rows

COPY_SQL = "COPY copy_probe (n, label) FROM STDIN"


def _probe(session: Session) -> None:
    session.execute(text("CREATE TEMP TABLE copy_probe (n int, label text) ON COMMIT DROP"))


def _rows(session: Session) -> list[tuple]:
    return [tuple(r) for r in session.execute(text("SELECT n, label FROM copy_probe ORDER BY n"))]


def test_copying_the_same_rows_twice_writes_them_twice(session):
    _probe(session)
    rows = ((1, "uno"), (2, "due"))
    copy_rows(session, COPY_SQL, rows)
    copy_rows(session, COPY_SQL, rows)
    assert _rows(session) == [(1, "uno"), (1, "uno"), (2, "due"), (2, "due")]


def test_rows_may_be_a_list_or_a_generator(session):
    _probe(session)
    copy_rows(session, COPY_SQL, [(1, "uno"), (2, None)])
    copy_rows(session, COPY_SQL, ((n, str(n)) for n in (3, 4)))
    assert _rows(session) == [(1, "uno"), (2, None), (3, "3"), (4, "4")]


def test_a_session_used_for_copy_is_released(engine: Engine):
    with Session(engine) as used, used.begin():
        _probe(used)
        copy_rows(used, COPY_SQL, ((1, "uno"),))
        gone = weakref.ref(used)
    del used
    gc.collect()
    assert gone() is None
