"""Saved sessions: stdlib sqlite3 in WAL mode, one connection per thread, numbered migrations.

Why this shape: a practice session must survive a crash or a kill, so every turn is committed
before the next model call (the session layer calls `add_turn` first, then the model). A database
file that is not SQLite, or is damaged, is reported as one line and never written to: we open it
read-only to look before opening it for writing.

    store = Store(path)              # path, "sqlite:///path" or ":memory:"; default from settings
    store.create(row) / get(id) / find(prefix) / list() / delete(id)
    store.add_turn(id, turn, state=..., pending=..., elapsed_s=...)   # one transaction
    store.transcript(id) -> Transcript
"""

from __future__ import annotations

import os
import sqlite3
import threading
from pathlib import Path
from typing import Any

from simulator.storage.records import LOCAL_USER, SessionRow, StoreError, now_iso  # noqa: F401  (re-exported)
from simulator.storage.sql import SQLStore, foreign_database
from simulator.storage.sql import migrations as _migrations

SQLITE_HEADER = b"SQLite format 3\x00"


def default_db() -> str:
    """MOCKPANEL_DB (or .env), else the user's data directory: settings own that rule."""
    from simulator.core.settings import get_settings

    return get_settings().db


def db_path(target: str | os.PathLike[str]) -> str:
    """A plain path from a path or a sqlite:/// URL (':memory:' stays as it is)."""
    text = str(target)
    if text.startswith("sqlite:///"):
        text = text[len("sqlite:///") :]
    elif text.startswith("sqlite://"):
        text = text[len("sqlite://") :] or ":memory:"
    return text


def migrations() -> list[tuple[int, str, str]]:
    """(number, name, sql) of every packaged `migrations/sqlite/NNNN_name.sql`, in order."""
    return _migrations("sqlite")


def check_file(path: str) -> None:
    """Refuses a file that is not a healthy SQLite database, without writing a byte to it."""
    p = Path(path)
    if not p.exists() or p.stat().st_size == 0:
        return
    if p.is_dir():
        raise StoreError(f"session database {p} is a directory; set MOCKPANEL_DB to a file path")
    with p.open("rb") as fh:
        head = fh.read(len(SQLITE_HEADER))
    if head != SQLITE_HEADER:
        raise StoreError(f"session database {p} is not a SQLite file (damaged?); move it aside or set MOCKPANEL_DB to another path")
    try:
        con = sqlite3.connect(f"file:{p}?mode=ro", uri=True)
        try:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
            row = con.execute("PRAGMA quick_check(1)").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"session database {p} is damaged ({exc}); move it aside or set MOCKPANEL_DB to another path") from None
    if not row or row[0] != "ok":
        raise StoreError(f"session database {p} is damaged ({row[0] if row else 'no result'}); move it aside or set MOCKPANEL_DB to another path")
    foreign_database(str(p), tables)


class Store(SQLStore):
    """The SQLite store; the file is checked read-only before the first write, so a damaged file
    stays as it was."""

    backend = "sqlite"

    def __init__(self, target: str | os.PathLike[str] | None = None) -> None:
        self.path = db_path(target if target is not None else default_db())
        self.url = "sqlite:///" + self.path if self.path != ":memory:" else "sqlite://"
        self._local = threading.local()
        self._memory: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        if self.path != ":memory:":
            check_file(self.path)
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"session database {self.path}: cannot create its directory ({exc.strerror or exc}); set MOCKPANEL_DB to a writable path") from None
        self._migrate()

    # --- connections ---------------------------------------------------------------------------

    @property
    def conn(self) -> sqlite3.Connection:
        """One connection per thread (sqlite3 connections are not shared across threads)."""
        if self.path == ":memory:":
            if self._memory is None:
                self._memory = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
                self._memory.execute("PRAGMA foreign_keys=ON")
            return self._memory
        con = getattr(self._local, "con", None)
        if con is None:
            try:
                con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                con.execute("PRAGMA journal_mode=WAL")
                con.execute("PRAGMA synchronous=NORMAL")
                con.execute("PRAGMA foreign_keys=ON")
            except sqlite3.DatabaseError as exc:
                raise StoreError(f"session database {self.path}: {exc}") from None
            self._local.con = con
        return con

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None
        if self._memory is not None:
            self._memory.close()
            self._memory = None

    def _tx(self) -> _Tx:
        return _Tx(self.conn, self._lock if self.path == ":memory:" else None)

    def _rows(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        if self.path == ":memory:":
            with self._lock:
                return self.conn.execute(sql, params).fetchall()
        return self.conn.execute(sql, params).fetchall()


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT, so a turn and the state it implies land together or not at all."""

    def __init__(self, con: sqlite3.Connection, lock: threading.Lock | None) -> None:
        self.con, self.lock = con, lock

    def __enter__(self) -> sqlite3.Connection:
        if self.lock:
            self.lock.acquire()
        self.con.execute("BEGIN IMMEDIATE")
        return self.con

    def __exit__(self, exc_type: Any, *_: Any) -> None:
        try:
            self.con.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            if self.lock:
                self.lock.release()


