"""The team store: PostgreSQL through psycopg 3 (`MOCKPANEL_DB=postgresql://user@host/db`).

Several app processes share one database: a session started on one is resumed on another. One
connection per thread; each write is one transaction; writers of one session are serialised by a
row lock on the session, so turn indexes stay unique however many processes append. Migrations
run under an advisory lock, so processes starting together migrate once.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from simulator.core.errors import redact
from simulator.storage.records import StoreError
from simulator.storage.sql import SQLStore

_MIGRATION_LOCK = 0x6D6F636B  # "mock"


class PostgresStore(SQLStore):
    backend = "postgresql"
    PARAM = "%s"

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError:
            raise StoreError("MOCKPANEL_DB names PostgreSQL but psycopg is not installed; pip install 'psycopg[binary]'") from None
        self._psycopg = psycopg
        self.url = url
        self._local = threading.local()
        self._all: list[Any] = []
        self._guard = threading.Lock()
        self._migrate()

    @property
    def conn(self) -> Any:
        con = getattr(self._local, "con", None)
        if con is None or con.closed:
            try:
                con = self._psycopg.connect(self.url, autocommit=True, connect_timeout=10)
            except self._psycopg.Error as exc:
                first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                raise StoreError(f"session database {redact(self.url)}: {first}") from None
            self._local.con = con
            with self._guard:
                self._all.append(con)
        return con

    @contextmanager
    def _tx(self) -> Iterator[Any]:
        con = self.conn
        with con.transaction():
            yield con

    def _rows(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        return list(self.conn.execute(sql, params).fetchall())

    def _lock_session(self, cur: Any, session_id: str) -> None:
        cur.execute("SELECT id FROM sessions WHERE id = %s FOR UPDATE", (session_id,))

    def _tables(self, cur: Any) -> list[str]:
        return [r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()").fetchall()]

    def _migration_lock(self, cur: Any) -> None:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))

    def close(self) -> None:
        with self._guard:
            for con in self._all:
                try:
                    con.close()
                except Exception:
                    pass
            self._all.clear()
        self._local = threading.local()
