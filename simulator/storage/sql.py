"""The store written once in SQL that SQLite and PostgreSQL both speak; each backend supplies its
connections, its transactions and its numbered migrations (`migrations/<backend>/NNNN_name.sql`).

Every turn is committed before the next model call (the session calls `add_turn` first), in one
transaction with the session state it implies. Turn indexes are unique per session: the backend's
`_lock_session` serialises writers of one session (SQLite's BEGIN IMMEDIATE does already;
PostgreSQL takes a row lock), and the primary key holds the line.
"""

from __future__ import annotations

import builtins
import json
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager
from importlib import resources
from typing import Any

from simulator.core.errors import UserError
from simulator.core.transcript import Transcript, Turn
from simulator.storage.records import (
    CalibrationRating,
    GradeRecord,
    SessionRow,
    StoreError,
    now_iso,
)

_JSON_COLS = ("items", "state", "pending", "metadata")
_COLS = ("id", "item_id", "round_id", "items", "variant", "level", "seed", "status", "created_at",
         "updated_at", "elapsed_s", "state", "pending", "metadata", "user_id")
_GRADE_COLS = ("session_id", "item_id", "engine", "versions", "user_id", "rating", "grade", "created_at")
_RATING_COLS = ("rater", "sample_id", "item_id", "rating", "indicators", "reference", "grader", "created_at", "user_id")


def migrations(backend: str) -> list[tuple[int, str, str]]:
    """(number, name, sql) of every packaged `migrations/<backend>/NNNN_name.sql`, in order."""
    out = []
    for entry in resources.files("simulator.storage").joinpath("migrations", backend).iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            out.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(out)


def statements(sql: str) -> Iterator[str]:
    """The statements of a migration file: `--` comment lines dropped, then split on `;`."""
    code = "\n".join(ln for ln in sql.splitlines() if not ln.strip().startswith("--"))
    for part in code.split(";"):
        if part.strip():
            yield part.strip()


LEASE_S = 300.0  # a session left open without a write is free again after five minutes


def lease_holder() -> str:
    """A new holder name for one writer: this host and process, and a token of its own."""
    import os
    import socket
    import uuid

    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def _alive(holder: str) -> bool:
    """False only when the holder ran on this host and its process is gone."""
    import os
    import socket

    host, _, rest = holder.partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True
    return True


class SessionBusy(StoreError):
    """Another window, tab or terminal is writing this session."""

    def __init__(self, session_id: str, holder: str, since: float, now: float) -> None:
        self.session_id, self.holder = session_id, holder
        host, _, rest = holder.partition(":")
        idle = max(0, int(now - since))
        super().__init__(f"session {session_id} is open in another window or terminal (process {rest.partition(':')[0]} on {host}, "
                         f"last active {idle}s ago); continue it there, or close it there first "
                         f"(it is free again {int(LEASE_S // 60)} minutes after its last write)")


def foreign_database(name: str, tables: list[str]) -> None:
    """A database with tables but no mockpanel schema belongs to something else: refused, untouched."""
    if tables and "schema_version" not in tables:
        shown = ", ".join(sorted(tables)[:5]) + (", ..." if len(tables) > 5 else "")
        raise StoreError(f"session database {name} holds another application's tables ({shown}), not mockpanel's; "
                         "it was not changed. Set MOCKPANEL_DB to a new file or an empty database")


class SQLStore:
    """Sessions, turns, grades and calibration ratings over a DB-API connection."""

    backend = "sql"
    url = ""
    PARAM = "?"

    # --- what a backend supplies -----------------------------------------------------------------

    def _tx(self) -> AbstractContextManager[Any]:
        """A transaction; yields an object with `execute(sql, params)` returning a cursor."""
        raise NotImplementedError

    def _rows(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> list[tuple[Any, ...]]:
        raise NotImplementedError

    def _lock_session(self, cur: Any, session_id: str) -> None:
        """Serialise the writers of one session inside a transaction (no-op where the tx already does)."""

    def _migration_lock(self, cur: Any) -> None:
        """Serialise concurrent migrators (two app processes starting at once)."""

    def close(self) -> None:
        raise NotImplementedError

    # --- shared ----------------------------------------------------------------------------------

    def _q(self, sql: str) -> str:
        return sql if self.PARAM == "?" else sql.replace("?", self.PARAM)

    def _tables(self, cur: Any) -> list[str]:
        """The tables a mockpanel schema would live beside (the backend's own catalogue)."""
        return []

    def _migrate(self) -> None:
        with self._tx() as cur:
            self._migration_lock(cur)
            foreign_database(self.url, self._tables(cur))  # before anything is created: a refusal rolls back
            cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
            current = cur.execute("SELECT max(version) FROM schema_version").fetchone()[0] or 0
            known = migrations(self.backend)
            if known and current > known[-1][0]:
                raise UserError(f"{self.url or 'the database'}: schema version {current} is newer than this mockpanel knows "
                                f"({known[-1][0]}); upgrade mockpanel, or name another database with MOCKPANEL_DB")
            for number, _name, sql in known:
                if number > current:
                    for statement in statements(sql):
                        cur.execute(statement)
                    cur.execute(self._q("INSERT INTO schema_version(version) VALUES (?)"), (number,))

    def version(self) -> int:
        return int(self._rows("SELECT max(version) FROM schema_version")[0][0] or 0)

    # --- sessions --------------------------------------------------------------------------------

    def create(self, row: SessionRow) -> SessionRow:
        row.created_at = row.created_at or now_iso()
        row.updated_at = row.created_at
        values = [json.dumps(getattr(row, c)) if c in _JSON_COLS else getattr(row, c) for c in _COLS]
        with self._tx() as cur:
            cur.execute(self._q(f"INSERT INTO sessions({','.join(_COLS)}) VALUES ({','.join('?' * len(_COLS))})"), values)
        return row

    def _select(self, where: str = "", params: tuple[Any, ...] = (), order: str = "", *,
                damaged: list[DamagedRow] | None = None) -> list[SessionRow]:
        """Rows as SessionRows; a damaged row raises DamagedRow, or with `damaged` is collected there and skipped."""
        sql = (f"SELECT {','.join(_COLS)}, (SELECT count(*) FROM turns t WHERE t.session_id = s.id) FROM sessions s"
               f"{' WHERE ' + where if where else ''}{' ORDER BY ' + order if order else ''}")
        out = []
        for r in self._rows(self._q(sql), params):
            try:
                out.append(_row(r))
            except DamagedRow as exc:
                if damaged is None:
                    raise
                damaged.append(exc)
        return out

    def get(self, session_id: str, user_id: str | None = None) -> SessionRow:
        rows = self._select("id = ?", (session_id,))
        if not rows or (user_id is not None and rows[0].user_id != user_id):
            raise UserError(f"no session {session_id!r}; see 'mockpanel sessions list'")
        return rows[0]

    def find(self, prefix: str, user_id: str | None = None) -> SessionRow:
        """A session by id or an unambiguous prefix of it (ids are long to type)."""
        if not prefix.strip():
            raise UserError("a session id is needed; see 'mockpanel sessions list'")
        where: str = "id LIKE ? ESCAPE '\\'"
        params: tuple[str, ...] = (_like(prefix) + "%",)
        if user_id is not None:
            where, params = where + " AND user_id = ?", (*params, user_id)
        ids = [r[0] for r in self._rows(self._q(f"SELECT id FROM sessions WHERE {where}"), params)]
        if prefix in ids:
            return self.get(prefix, user_id)
        if len(ids) > 1:
            raise UserError(f"session id {prefix!r} is ambiguous ({len(ids)} sessions); type more of it")
        if not ids:
            raise UserError(f"no session {prefix!r}; see 'mockpanel sessions list'")
        return self.get(ids[0], user_id)

    def list(self, user_id: str | None = None) -> list[SessionRow]:
        """The sessions, newest first; a damaged one is skipped (`damaged()` says which and why)."""
        return self._list(user_id, [])

    def damaged(self, user_id: str | None = None) -> builtins.list[DamagedRow]:
        """The sessions `list()` skipped because their row cannot be read, each with what is wrong."""
        found: list[DamagedRow] = []
        self._list(user_id, found)
        return found

    def _list(self, user_id: str | None, damaged: builtins.list[DamagedRow]) -> builtins.list[SessionRow]:
        if user_id is None:
            return self._select(order="updated_at DESC, id", damaged=damaged)
        return self._select("user_id = ?", (user_id,), order="updated_at DESC, id", damaged=damaged)

    def delete(self, session_id: str) -> None:
        with self._tx() as cur:
            for table in ("grades", "turns"):
                cur.execute(self._q(f"DELETE FROM {table} WHERE session_id = ?"), (session_id,))
            cur.execute(self._q("DELETE FROM sessions WHERE id = ?"), (session_id,))

    def update(self, session_id: str, *, lease: str | None = None, **fields: Any) -> None:
        sets, values = _sets(fields)
        with self._tx() as cur:
            if lease:
                self._hold(cur, session_id, lease)
            cur.execute(self._q(f"UPDATE sessions SET {sets} WHERE id = ?"), [*values, session_id])

    # --- one writer per session ------------------------------------------------------------------

    def acquire(self, session_id: str, holder: str, ttl_s: float = LEASE_S) -> None:
        """Takes the session's lease for `holder` (see `lease_holder()`), or raises SessionBusy when
        another live writer holds it. A lease lapses after `ttl_s` without a write, or at once when
        its holder's process is gone (a crash, kill -9)."""
        with self._tx() as cur:
            self._hold(cur, session_id, holder, ttl_s)

    def release(self, session_id: str, holder: str) -> None:
        with self._tx() as cur:
            cur.execute(self._q("UPDATE sessions SET lease_holder = NULL, lease_until = NULL WHERE id = ? AND lease_holder = ?"),
                        (session_id, holder))

    def _hold(self, cur: Any, session_id: str, holder: str, ttl_s: float = LEASE_S) -> None:
        self._lock_session(cur, session_id)
        found = cur.execute(self._q("SELECT lease_holder, lease_until FROM sessions WHERE id = ?"), (session_id,)).fetchone()
        if found is None:
            raise UserError(f"no session {session_id!r}; see 'mockpanel sessions list'")
        other, until = found
        now = time.time()
        if other and other != holder and until is not None and until > now and _alive(other):
            raise SessionBusy(session_id, other, until - ttl_s, now)
        cur.execute(self._q("UPDATE sessions SET lease_holder = ?, lease_until = ? WHERE id = ?"), (holder, now + ttl_s, session_id))

    # --- turns -----------------------------------------------------------------------------------

    def add_turn(self, session_id: str, turn: Turn, *, lease: str | None = None, **fields: Any) -> int:
        """Appends a turn and updates the session's state in the same transaction; returns its index.
        With `lease`, only while that holder has the session (the lease is renewed)."""
        with self._tx() as cur:
            self._lock_session(cur, session_id)
            if lease:
                self._hold(cur, session_id, lease)
            idx = cur.execute(self._q("SELECT count(*) FROM turns WHERE session_id = ?"), (session_id,)).fetchone()[0]
            cur.execute(
                self._q("INSERT INTO turns(session_id, idx, speaker, channel, text, at, meta) VALUES (?,?,?,?,?,?,?)"),
                (session_id, idx, turn.speaker, turn.channel, turn.text, turn.at, json.dumps(turn.meta)),
            )
            sets, values = _sets(fields)
            cur.execute(self._q(f"UPDATE sessions SET {sets} WHERE id = ?"), [*values, session_id])
        return int(idx)

    def turns(self, session_id: str) -> builtins.list[Turn]:
        rows = self._rows(self._q("SELECT idx, speaker, channel, text, at, meta FROM turns WHERE session_id = ? ORDER BY idx"), (session_id,))
        out = []
        for idx, speaker, channel, text, at, meta in rows:
            try:
                out.append(Turn(speaker=speaker, channel=channel, text=text, at=at, meta=json.loads(meta)))
            except (TypeError, ValueError) as exc:  # bad JSON in meta, an unknown channel, a wrong type
                what = "meta: not valid JSON" if isinstance(exc, json.JSONDecodeError) else _first_problem(exc)
                raise DamagedRow(session_id, f"turn {idx}: {what}") from None
        return out

    def transcript(self, session_id: str) -> Transcript:
        row = self.get(session_id)
        meta: dict[str, Any] = {"session": row.id, "created_at": row.created_at, "status": row.status, "seed": row.seed}
        if row.round_id:
            meta["round"] = row.round_id
        if row.level:
            meta["level"] = row.level
        if len(row.items) > 1:
            meta["items"] = row.items
        meta.update(row.metadata)
        return Transcript(item=row.item_id, variant=row.variant, turns=self.turns(session_id), metadata=meta)  # type: ignore[arg-type]

    # --- grades ----------------------------------------------------------------------------------

    def put_grade(self, record: GradeRecord) -> GradeRecord:
        record.created_at = record.created_at or now_iso()
        values = [json.dumps(record.grade) if c == "grade" else getattr(record, c) for c in _GRADE_COLS]
        with self._tx() as cur:
            cur.execute(self._q(
                f"INSERT INTO grades({','.join(_GRADE_COLS)}) VALUES ({','.join('?' * len(_GRADE_COLS))})"
                " ON CONFLICT (session_id, item_id, engine, versions) DO UPDATE SET"
                " rating = excluded.rating, grade = excluded.grade, created_at = excluded.created_at"), values)
        return record

    def grade(self, session_id: str, item_id: str, engine: str, versions: str) -> GradeRecord | None:
        rows = self._rows(self._q(f"SELECT {','.join(_GRADE_COLS)} FROM grades WHERE session_id = ? AND item_id = ? AND engine = ? AND versions = ?"),
                          (session_id, item_id, engine, versions))
        return _grade(rows[0]) if rows else None

    def grades(self, user_id: str | None = None, session_id: str | None = None) -> builtins.list[GradeRecord]:
        """Stored grades, oldest first; with several per (session, item), only the newest."""
        where, params = [], []
        if user_id is not None:
            where.append("user_id = ?")
            params.append(user_id)
        if session_id is not None:
            where.append("session_id = ?")
            params.append(session_id)
        sql = f"SELECT {','.join(_GRADE_COLS)} FROM grades{' WHERE ' + ' AND '.join(where) if where else ''} ORDER BY created_at"
        latest: dict[tuple[str, str], GradeRecord] = {}
        for r in self._rows(self._q(sql), tuple(params)):
            g = _grade(r)
            latest[(g.session_id, g.item_id)] = g
        return sorted(latest.values(), key=lambda g: g.created_at)

    # --- calibration -----------------------------------------------------------------------------

    def add_rating(self, rating: CalibrationRating) -> CalibrationRating:
        rating.created_at = rating.created_at or now_iso()
        values = [json.dumps(rating.indicators) if c == "indicators" else getattr(rating, c) for c in _RATING_COLS]
        with self._tx() as cur:
            cur.execute(self._q(f"INSERT INTO calibration_ratings({','.join(_RATING_COLS)}) VALUES ({','.join('?' * len(_RATING_COLS))})"), values)
        return rating

    def ratings(self, user_id: str | None = None) -> builtins.list[CalibrationRating]:
        sql = f"SELECT {','.join(_RATING_COLS)} FROM calibration_ratings"
        params: tuple[Any, ...] = ()
        if user_id is not None:
            sql, params = sql + " WHERE user_id = ?", (user_id,)
        rows = self._rows(self._q(sql + " ORDER BY created_at, id"), params)
        out = []
        for r in rows:
            data = dict(zip(_RATING_COLS, r))
            data["indicators"] = json.loads(data["indicators"] or "{}")
            out.append(CalibrationRating(**data))
        return out


def _sets(fields: dict[str, Any]) -> tuple[str, list[Any]]:
    fields = {"updated_at": now_iso(), **fields}
    unknown = set(fields) - set(_COLS)
    if unknown:
        raise ValueError(f"unknown session field(s) {sorted(unknown)}")
    values = [json.dumps(v) if k in _JSON_COLS else v for k, v in fields.items()]
    return ", ".join(f"{k} = ?" for k in fields), values


class DamagedRow(StoreError):
    """A stored session that cannot be read (bad JSON, a wrong type): reported, and skipped in lists."""

    def __init__(self, session_id: str, what: str) -> None:
        self.session_id = session_id
        super().__init__(f"session {session_id} is damaged ({what}); it is skipped. "
                         f"Export what is readable or delete it: mockpanel sessions delete {session_id}")


_JSON_KINDS = {"items": list, "state": dict, "pending": list, "metadata": dict}


def _first_problem(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if callable(errors):
        err = errors()[0]
        return f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}"
    return str(exc).splitlines()[0]


def _row(values: tuple[Any, ...]) -> SessionRow:
    """A SessionRow, its JSON columns checked: a damaged row is a DamagedRow naming the column."""
    data = dict(zip(_COLS, values[: len(_COLS)]))
    sid = str(data["id"])
    for c, kind in _JSON_KINDS.items():
        try:
            data[c] = json.loads(data[c])
        except (TypeError, ValueError):
            raise DamagedRow(sid, f"{c}: not valid JSON") from None
        if not isinstance(data[c], kind):
            raise DamagedRow(sid, f"{c}: expected {'a list' if kind is list else 'an object'}, found {type(data[c]).__name__}")
    if not all(isinstance(i, str) for i in data["items"]):
        raise DamagedRow(sid, "items: expected item ids")
    if not all(isinstance(p, dict) for p in data["pending"]):
        raise DamagedRow(sid, "pending: expected planned replies")
    kinds: tuple[tuple[str, type | tuple[type, ...]], ...] = (("item_id", str), ("seed", int), ("elapsed_s", (int, float)), ("status", str))
    for c, want in kinds:
        if not isinstance(data[c], want):
            raise DamagedRow(sid, f"{c}: wrong type {type(data[c]).__name__}")
    return SessionRow(**data, turns=int(values[len(_COLS)]))


def _grade(values: tuple[Any, ...]) -> GradeRecord:
    data = dict(zip(_GRADE_COLS, values))
    data["grade"] = json.loads(data["grade"])
    return GradeRecord(**data)


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
