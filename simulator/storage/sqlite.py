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

import argparse
import json
import os
import sqlite3
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from importlib import resources
from pathlib import Path
from typing import Any

from simulator.core.errors import UserError
from simulator.core.files import write_text
from simulator.core.transcript import Transcript, Turn

SQLITE_HEADER = b"SQLite format 3\x00"


class StoreError(UserError):
    """The session database cannot be used; the message says which file and what to do."""


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


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
    """(number, name, sql) of every packaged `migrations/NNNN_name.sql`, in order."""
    out = []
    for entry in resources.files("simulator.storage").joinpath("migrations", "sqlite").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(out)


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
            con.execute("SELECT count(*) FROM sqlite_master").fetchone()
            row = con.execute("PRAGMA quick_check(1)").fetchone()
        finally:
            con.close()
    except sqlite3.DatabaseError as exc:
        raise StoreError(f"session database {p} is damaged ({exc}); move it aside or set MOCKPANEL_DB to another path") from None
    if not row or row[0] != "ok":
        raise StoreError(f"session database {p} is damaged ({row[0] if row else 'no result'}); move it aside or set MOCKPANEL_DB to another path")


@dataclass
class SessionRow:
    """A session's row: everything needed to rebuild the director and finish the pending replies."""

    id: str
    item_id: str
    round_id: str | None = None
    items: list[str] = field(default_factory=list)
    variant: str | None = None
    level: str | None = None
    seed: int = 0
    status: str = "active"
    created_at: str = ""
    updated_at: str = ""
    elapsed_s: float = 0.0
    state: dict[str, Any] = field(default_factory=dict)
    pending: list[dict[str, Any]] = field(default_factory=list)
    metadata: dict[str, Any] = field(default_factory=dict)
    turns: int = 0


_JSON_COLS = ("items", "state", "pending", "metadata")
_COLS = ("id", "item_id", "round_id", "items", "variant", "level", "seed", "status", "created_at",
         "updated_at", "elapsed_s", "state", "pending", "metadata")


class Store:
    """The session database; checked read-only before the first write, so a damaged file stays as it was."""

    def __init__(self, target: str | os.PathLike[str] | None = None) -> None:
        self.path = db_path(target if target is not None else default_db())
        self._local = threading.local()
        self._memory: sqlite3.Connection | None = None
        self._lock = threading.Lock()
        if self.path != ":memory:":
            check_file(self.path)
            try:
                Path(self.path).parent.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise StoreError(f"session database {self.path}: cannot create its directory ({exc.strerror or exc}); set MOCKPANEL_DB to a writable path") from None
        self._migrate(self.conn)

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

    def _tx(self) -> "_Tx":
        return _Tx(self.conn, self._lock if self.path == ":memory:" else None)

    def _migrate(self, con: sqlite3.Connection) -> None:
        with self._tx():
            con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            row = con.execute("SELECT max(version) FROM schema_version").fetchone()
            current = row[0] or 0
            for number, _name, sql in migrations():
                if number > current:
                    for statement in sql.split(";"):
                        if statement.strip():
                            con.execute(statement)
                    con.execute("INSERT INTO schema_version(version) VALUES (?)", (number,))

    def version(self) -> int:
        return self.conn.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0

    # --- sessions ------------------------------------------------------------------------------

    def create(self, row: SessionRow) -> SessionRow:
        row.created_at = row.created_at or now_iso()
        row.updated_at = row.created_at
        values = [json.dumps(getattr(row, c)) if c in _JSON_COLS else getattr(row, c) for c in _COLS]
        with self._tx() as con:
            con.execute(f"INSERT INTO sessions({','.join(_COLS)}) VALUES ({','.join('?' * len(_COLS))})", values)
        return row

    def get(self, session_id: str) -> SessionRow:
        cur = self.conn.execute(
            f"SELECT {','.join(_COLS)}, (SELECT count(*) FROM turns t WHERE t.session_id = s.id) FROM sessions s WHERE id = ?",
            (session_id,),
        )
        row = cur.fetchone()
        if row is None:
            raise UserError(f"no session {session_id!r}; see 'mockpanel sessions list'")
        return _row(row)

    def find(self, prefix: str) -> SessionRow:
        """A session by id or an unambiguous prefix of it (ids are long to type)."""
        rows = self.conn.execute("SELECT id FROM sessions WHERE id LIKE ? ESCAPE '\\'", (_like(prefix) + "%",)).fetchall()
        exact = [r[0] for r in rows if r[0] == prefix]
        if exact:
            return self.get(exact[0])
        if len(rows) > 1:
            raise UserError(f"session id {prefix!r} is ambiguous ({len(rows)} sessions); type more of it")
        if not rows:
            raise UserError(f"no session {prefix!r}; see 'mockpanel sessions list'")
        return self.get(rows[0][0])

    def list(self) -> list[SessionRow]:
        cur = self.conn.execute(
            f"SELECT {','.join(_COLS)}, (SELECT count(*) FROM turns t WHERE t.session_id = s.id) FROM sessions s ORDER BY updated_at DESC, id"
        )
        return [_row(r) for r in cur.fetchall()]

    def delete(self, session_id: str) -> None:
        with self._tx() as con:
            con.execute("DELETE FROM turns WHERE session_id = ?", (session_id,))
            con.execute("DELETE FROM sessions WHERE id = ?", (session_id,))

    def update(self, session_id: str, **fields: Any) -> None:
        sets, values = _sets(fields)
        with self._tx() as con:
            con.execute(f"UPDATE sessions SET {sets} WHERE id = ?", [*values, session_id])

    # --- turns ---------------------------------------------------------------------------------

    def add_turn(self, session_id: str, turn: Turn, **fields: Any) -> int:
        """Appends a turn and updates the session's state in the same transaction; returns its index."""
        with self._tx() as con:
            idx = con.execute("SELECT count(*) FROM turns WHERE session_id = ?", (session_id,)).fetchone()[0]
            con.execute(
                "INSERT INTO turns(session_id, idx, speaker, channel, text, at, meta) VALUES (?,?,?,?,?,?,?)",
                (session_id, idx, turn.speaker, turn.channel, turn.text, turn.at, json.dumps(turn.meta)),
            )
            sets, values = _sets(fields)
            con.execute(f"UPDATE sessions SET {sets} WHERE id = ?", [*values, session_id])
        return idx

    def turns(self, session_id: str) -> list[Turn]:
        cur = self.conn.execute(
            "SELECT speaker, channel, text, at, meta FROM turns WHERE session_id = ? ORDER BY idx", (session_id,)
        )
        return [Turn(speaker=s, channel=c, text=t, at=a, meta=json.loads(m)) for s, c, t, a, m in cur.fetchall()]

    def transcript(self, session_id: str) -> Transcript:
        row = self.get(session_id)
        meta = {"session": row.id, "created_at": row.created_at, "status": row.status, "seed": row.seed}
        if row.round_id:
            meta["round"] = row.round_id
        if row.level:
            meta["level"] = row.level
        if len(row.items) > 1:
            meta["items"] = row.items
        meta.update(row.metadata)
        return Transcript(item=row.item_id, variant=row.variant, turns=self.turns(session_id), metadata=meta)  # type: ignore[arg-type]


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


def _sets(fields: dict[str, Any]) -> tuple[str, list[Any]]:
    fields = {"updated_at": now_iso(), **fields}
    unknown = set(fields) - set(_COLS)
    if unknown:
        raise ValueError(f"unknown session field(s) {sorted(unknown)}")
    values = [json.dumps(v) if k in _JSON_COLS else v for k, v in fields.items()]
    return ", ".join(f"{k} = ?" for k in fields), values


def _row(values: tuple[Any, ...]) -> SessionRow:
    data = dict(zip(_COLS, values[: len(_COLS)]))
    for c in _JSON_COLS:
        data[c] = json.loads(data[c])
    return SessionRow(**data, turns=values[len(_COLS)])


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- CLI -------------------------------------------------------------------------------------


def cmd_sessions_list(args: argparse.Namespace) -> int:
    rows = Store().list()
    if getattr(args, "json", False):
        print(json.dumps([
            {"id": r.id, "item": r.item_id, "round": r.round_id, "variant": r.variant, "level": r.level,
             "status": r.status, "turns": r.turns, "created_at": r.created_at, "updated_at": r.updated_at}
            for r in rows
        ], indent=2))
        return 0
    if not rows:
        print("no saved sessions; start one with 'mockpanel practice'")
        return 0
    for r in rows:
        what = r.round_id or r.item_id
        variant = f" [{r.variant}]" if r.variant else ""
        print(f"{r.id}  {r.status:<8} {r.turns:>3} turn(s)  {r.updated_at[:16].replace('T', ' ')}  {what}{variant}")
    return 0


def _found(session_id: str) -> tuple[SessionRow, Transcript]:
    """A saved session by id or prefix, with its transcript (show and export)."""
    store = Store()
    row = store.find(session_id)
    return row, store.transcript(row.id)


def cmd_sessions_show(args: argparse.Namespace) -> int:
    row, transcript = _found(args.id)
    if getattr(args, "json", False):
        print(transcript.to_json())
    else:
        print(transcript.to_markdown(title=f"{row.round_id or row.item_id} ({row.id}, {row.status})"), end="")
    return 0


def cmd_sessions_export(args: argparse.Namespace) -> int:
    _, transcript = _found(args.id)
    text = transcript.to_json() + "\n" if args.format == "json" else transcript.to_markdown()
    if args.out:
        print(write_text(args.out, text))
    else:
        print(text, end="")
    return 0


def cmd_sessions_delete(args: argparse.Namespace) -> int:
    store = Store()
    row = store.find(args.id)
    store.delete(row.id)
    print(f"deleted {row.id}")
    return 0
