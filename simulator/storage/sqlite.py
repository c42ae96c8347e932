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
        con = sqlite3.connect(read_only_uri(str(p)), uri=True)
        try:
            tables = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
            row = con.execute("PRAGMA quick_check(1)").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        name = getattr(exc, "sqlite_errorname", "") or ""
        if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")) or "malformed" in str(exc) or "not a database" in str(exc):
            raise StoreError(f"session database {p} is damaged ({exc}); move it aside or set MOCKPANEL_DB to another path") from None
        raise explain(str(p), exc) from None
    if not row or row[0] != "ok":
        raise StoreError(f"session database {p} is damaged ({row[0] if row else 'no result'}); move it aside or set MOCKPANEL_DB to another path")
    foreign_database(str(p), tables)


def writable(path: str) -> bool:
    """Whether the file (or, for a new one, its directory) may be written: False on a read-only
    mount or without permission (access() says EROFS even to root)."""
    p = Path(path)
    where = p if p.exists() else p.parent
    while not where.exists() and where != where.parent:
        where = where.parent
    return os.access(where, os.W_OK) and (not p.exists() or os.access(p.parent, os.W_OK))


def read_only_uri(path: str) -> str:
    """A read-only open that works where nothing can be written: a WAL database in a read-only
    place has no -shm file to make, so it is opened as immutable there."""
    from urllib.parse import quote

    return f"file:{quote(path)}?mode=ro" + ("" if writable(path) else "&immutable=1")


def explain(path: str, exc: sqlite3.Error) -> StoreError:
    """A storage failure in the words of its cause: no space, read-only, locked, or as SQLite says."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    text = str(exc)
    if name.startswith("SQLITE_FULL") or "disk is full" in text or "No space" in text:
        return StoreError(f"session database {path}: no space left on the disk; everything saved before this is kept. "
                          "Free some space, then continue (mockpanel sessions resume ID)")
    if name.startswith("SQLITE_READONLY") or "readonly" in text or not writable(path):
        return StoreError(f"session database {path} is read-only (a read-only disk or no write permission); sessions can be "
                          "listed, shown and exported, not practised: set MOCKPANEL_DB to a writable path")
    if name.startswith("SQLITE_BUSY") or "locked" in text:
        return StoreError(f"session database {path} is busy (another process holds a write lock); try again")
    return StoreError(f"session database {path}: {text}")


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
        self.read_only = False
        if self.path != ":memory:":
            check_file(self.path)
            self.read_only = Path(self.path).exists() and not writable(self.path)
            if not self.read_only:
                try:
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                except OSError as exc:
                    if exc.errno == 28:
                        raise explain(self.path, sqlite3.OperationalError("disk is full")) from None
                    raise StoreError(f"session database {self.path}: cannot create its directory ({exc.strerror or exc}); set MOCKPANEL_DB to a writable path") from None
        if self.read_only:  # read what is there; every write says why it cannot be done
            known = migrations()
            if known and self.version() < known[-1][0]:
                raise StoreError(f"session database {self.path} is read-only and was made by an older mockpanel "
                                 "(it needs an upgrade, which writes to it): copy it somewhere writable and set MOCKPANEL_DB")
        else:
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
                if self.read_only:
                    con = sqlite3.connect(read_only_uri(self.path), uri=True, timeout=10, isolation_level=None)
                else:
                    con = sqlite3.connect(self.path, timeout=10, isolation_level=None)
                    con.execute("PRAGMA journal_mode=WAL")
                    con.execute("PRAGMA synchronous=NORMAL")
                con.execute("PRAGMA foreign_keys=ON")
            except sqlite3.DatabaseError as exc:
                raise explain(self.path, exc) from None
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
        return _Tx(self.conn, self._lock if self.path == ":memory:" else None, self.path)

    def _rows(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        try:
            if self.path == ":memory:":
                with self._lock:
                    return self.conn.execute(sql, params).fetchall()
            return self.conn.execute(sql, params).fetchall()
        except sqlite3.OperationalError as exc:
            raise explain(self.path, exc) from None


class _Tx:
    """BEGIN IMMEDIATE ... COMMIT, so a turn and the state it implies land together or not at all."""

    def __init__(self, con: sqlite3.Connection, lock: threading.Lock | None, path: str = ":memory:") -> None:
        self.con, self.lock, self.path = con, lock, path

    def __enter__(self) -> sqlite3.Connection:
        if self.lock:
            self.lock.acquire()
        try:
            self.con.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if self.lock:
                self.lock.release()
            raise explain(self.path, exc) from None
        return self.con

    def __exit__(self, exc_type: Any, exc: Any, _tb: Any) -> None:
        """Commit, or roll back; a storage failure (full disk, read-only) leaves what was committed
        before and is raised as a StoreError that says which."""
        try:
            if exc_type is None:
                try:
                    self.con.execute("COMMIT")
                    return
                except sqlite3.OperationalError as failed:
                    exc = failed
            try:
                self.con.execute("ROLLBACK")
            except sqlite3.Error:
                pass
            if isinstance(exc, sqlite3.OperationalError):
                raise explain(self.path, exc) from None
        finally:
            if self.lock:
                self.lock.release()


