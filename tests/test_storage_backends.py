"""The storage seam, the same tests on SQLite and on a real PostgreSQL server (Debian's package,
started in a temporary directory by `simulator.testing.postgres`; no mocks).

On a machine without PostgreSQL the PostgreSQL half is skipped, except in CI (CI=true), where
`.ci/run` installs it and a missing server is a failure.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.core.transcript import Turn
from simulator.storage import CalibrationRating, GradeRecord, SessionRow, Store, open_store
from simulator.testing.postgres import TempPostgres, binaries

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def postgres() -> Iterator[TempPostgres | None]:
    if binaries() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must test the PostgreSQL backend: .ci/run installs Debian's postgresql package")
        yield None
        return
    with TempPostgres() as pg:
        yield pg


@pytest.fixture(params=["sqlite", "postgresql"])
def url(request: pytest.FixtureRequest, tmp_path: Path, postgres: TempPostgres | None) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'mockpanel.db'}"
    if postgres is None:
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql)")
    return postgres.create_database("t_" + uuid.uuid4().hex[:10])


@pytest.fixture
def store(url: str) -> Iterator[Store]:
    s = open_store(url)
    yield s
    s.close()


def test_sessions_and_turns_round_trip(store: Store) -> None:
    store.create(SessionRow(id="s1", item_id="ds2-dashboard-design", items=["ds2-dashboard-design"], seed=7,
                            state={"turn": 1}, metadata={"note": "ü"}))
    assert store.add_turn("s1", Turn(speaker="interviewer", text="Walk me through it."), state={"turn": 2}) == 0
    assert store.add_turn("s1", Turn(speaker="candidate", text="I interviewed the sales leads.", meta={"k": [1]})) == 1
    row = store.get("s1")
    assert (row.item_id, row.seed, row.state, row.metadata, row.turns) == ("ds2-dashboard-design", 7, {"turn": 2}, {"note": "ü"}, 2)
    t = store.transcript("s1")
    assert [x.speaker for x in t.turns] == ["interviewer", "candidate"] and t.turns[1].meta == {"k": [1]}
    store.update("s1", status="finished", elapsed_s=12.5)
    assert store.get("s1").status == "finished" and store.get("s1").elapsed_s == 12.5
    assert store.version() >= 1


def test_find_by_prefix_is_exact_or_unambiguous(store: Store) -> None:
    from simulator.core.errors import UserError

    for sid in ("abc123", "abc999", "x_%1"):
        store.create(SessionRow(id=sid, item_id="i"))
    assert store.find("abc1").id == "abc123"
    with pytest.raises(UserError, match="ambiguous"):
        store.find("abc")
    with pytest.raises(UserError, match="no session"):
        store.find("x_%2")  # LIKE wildcards in an id are literal
    assert store.find("x_%").id == "x_%1"
    with pytest.raises(UserError, match="needed"):
        store.find("  ")


def test_each_user_sees_only_their_own(store: Store) -> None:
    from simulator.core.errors import UserError

    store.create(SessionRow(id="ann1", item_id="i", user_id="ann@example.org"))
    store.create(SessionRow(id="bo1", item_id="i", user_id="bo@example.org"))
    assert [r.id for r in store.list("ann@example.org")] == ["ann1"]
    assert [r.id for r in store.list("bo@example.org")] == ["bo1"]
    with pytest.raises(UserError, match="no session"):
        store.get("bo1", "ann@example.org")
    with pytest.raises(UserError, match="no session"):
        store.find("bo", "ann@example.org")
    for who, sid in (("ann@example.org", "ann1"), ("bo@example.org", "bo1")):
        store.put_grade(GradeRecord(session_id=sid, item_id="i", engine="trained", versions="v1", rating="meets",
                                    grade={"rating": "meets"}, user_id=who))
    assert [g.session_id for g in store.grades("ann@example.org")] == ["ann1"]


def test_grades_are_one_per_session_item_engine_and_versions(store: Store) -> None:
    store.create(SessionRow(id="s", item_id="i"))
    rec = GradeRecord(session_id="s", item_id="i", engine="trained", versions="v1", rating="below", grade={"rating": "below"})
    store.put_grade(rec)
    store.put_grade(GradeRecord(session_id="s", item_id="i", engine="trained", versions="v1", rating="meets", grade={"rating": "meets"}))
    got = store.grade("s", "i", "trained", "v1")
    assert got is not None and got.rating == "meets" and got.grade == {"rating": "meets"}
    assert store.grade("s", "i", "trained", "v2") is None
    store.put_grade(GradeRecord(session_id="s", item_id="i", engine="trained", versions="v2", rating="exceeds",
                                grade={"rating": "exceeds"}, created_at="2999-01-01T00:00:00.000+00:00"))
    assert [g.rating for g in store.grades(session_id="s")] == ["exceeds"]  # the newest per (session, item)
    store.delete("s")
    assert store.grades(session_id="s") == [] and store.list() == []


def test_calibration_ratings_are_kept_per_user(store: Store) -> None:
    store.add_rating(CalibrationRating(rater="Ann", sample_id="s1", item_id="i", rating="meets", indicators={"a": True},
                                       reference="meets", user_id="ann@example.org"))
    store.add_rating(CalibrationRating(rater="Bo", sample_id="s1", item_id="i", rating="below", user_id="bo@example.org"))
    assert [r.rater for r in store.ratings()] == ["Ann", "Bo"]
    mine = store.ratings("ann@example.org")
    assert len(mine) == 1 and mine[0].indicators == {"a": True} and mine[0].reference == "meets"


def test_turn_indexes_stay_unique_under_concurrent_writers(url: str) -> None:
    """Several writers, each with its own connection, append to one session at once."""
    setup = open_store(url)
    setup.create(SessionRow(id="busy", item_id="i"))
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        s = open_store(url)
        try:
            for k in range(15):
                s.add_turn("busy", Turn(speaker="candidate", text=f"writer {n} line {k}"))
        except BaseException as exc:
            errors.append(exc)
        finally:
            s.close()

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not errors, errors
    turns = setup.turns("busy")
    assert len(turns) == 90 and len({t.text for t in turns}) == 90
    setup.close()


def test_a_second_open_migrates_nothing_twice(url: str) -> None:
    a = open_store(url)
    version = a.version()
    b = open_store(url)
    assert b.version() == version
    a.close()
    b.close()


def test_two_processes_share_sessions_on_postgres(postgres: TempPostgres | None, tmp_path: Path) -> None:
    """Beyond one machine: a session started by one process is resumed by another."""
    if postgres is None:
        pytest.skip("PostgreSQL is not installed here")
    db = postgres.create_database("t_" + uuid.uuid4().hex[:10])
    env = {**os.environ, "MOCKPANEL_DB": db, "MOCKPANEL_ENV_FILE": "", "MOCKPANEL_USER": "ann@example.org"}
    start = ("from simulator.practice.session import Session\n"
             "s = Session.start('ds2-dashboard-design', seed=3)\n"
             "s.opening()\n"
             "s.respond('Before building it I interviewed the sales leads about the decisions it had to support.')\n"
             "print(s.id)\n")
    first = subprocess.run([sys.executable, "-c", start], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert first.returncode == 0, first.stderr
    sid = first.stdout.strip().splitlines()[-1]
    resume = ("import json, sys\n"
              "from simulator.practice.session import Session\n"
              f"s = Session.open({sid!r}, user_id='ann@example.org')\n"
              "s.respond('After launch I tracked who opened it each week.')\n"
              "print(json.dumps([t.speaker for t in s.transcript().turns]))\n")
    second = subprocess.run([sys.executable, "-c", resume], capture_output=True, text=True, env=env, cwd=ROOT, timeout=120)
    assert second.returncode == 0, second.stderr
    speakers = json.loads(second.stdout.strip().splitlines()[-1])
    assert speakers.count("candidate") == 2 and len(speakers) >= 4
    other = {**env, "MOCKPANEL_USER": "bo@example.org"}
    third = subprocess.run([sys.executable, "-c", resume.replace("user_id='ann@example.org'", "user_id='bo@example.org'")],
                           capture_output=True, text=True, env=other, cwd=ROOT, timeout=120)
    assert third.returncode != 0 and "no session" in third.stderr


@pytest.mark.parametrize(("table", "column", "value", "what"), [
    ("sessions", "state", "{not json", "state: not valid JSON"),
    ("sessions", "items", '"one-item"', "items: expected a list"),
    ("sessions", "items", "[1, 2]", "items: expected item ids"),
    ("sessions", "metadata", "[}", "metadata: not valid JSON"),
    ("sessions", "pending", "{}", "pending: expected a list"),
    ("turns", "channel", "telepathy", "turn 0: channel"),
    ("turns", "meta", "{bad", "turn 0: meta: not valid JSON"),
])
def test_a_damaged_row_is_reported_and_skipped_the_rest_still_work(store: Store, table: str, column: str, value: str, what: str) -> None:
    from simulator.core.errors import UserError

    for sid in ("good1", "bad", "good2"):
        store.create(SessionRow(id=sid, item_id="ds2-dashboard-design", items=["ds2-dashboard-design"]))
        store.add_turn(sid, Turn(speaker="candidate", text=f"answer of {sid}"))
    key = "id" if table == "sessions" else "session_id"
    with store._tx() as cur:  # type: ignore[attr-defined]
        cur.execute(store._q(f"UPDATE {table} SET {column} = ? WHERE {key} = ?"), (value, "bad"))  # type: ignore[attr-defined]

    if table == "sessions":
        assert sorted(r.id for r in store.list()) == ["good1", "good2"]
        [problem] = store.damaged()
        assert "session bad is damaged" in str(problem) and what in str(problem)
        with pytest.raises(UserError, match="session bad is damaged"):
            store.find("bad")
    else:
        assert sorted(r.id for r in store.list()) == ["bad", "good1", "good2"]
        with pytest.raises(UserError, match=f"session bad is damaged .{what}"):
            store.transcript("bad")
    assert store.transcript("good1").turns[0].text == "answer of good1"  # the rest still work
    store.delete("bad")
    assert store.damaged() == [] and sorted(r.id for r in store.list()) == ["good1", "good2"]


def test_sessions_list_in_the_cli_names_the_damaged_one_and_lists_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                                           capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.cli.main import main
    from simulator.core.settings import reset_settings

    db = tmp_path / "s.db"
    store = open_store(str(db))
    for sid in ("good1", "bad"):
        store.create(SessionRow(id=sid, item_id="ds2-dashboard-design", items=["ds2-dashboard-design"]))
    with store._tx() as cur:  # type: ignore[attr-defined]
        cur.execute("UPDATE sessions SET state = '{' WHERE id = 'bad'")
    store.close()
    monkeypatch.setenv("MOCKPANEL_DB", str(db))
    reset_settings()
    assert main(["sessions", "list"]) == 0
    out, err = capsys.readouterr()
    assert "good1" in out and "bad" not in out
    assert err.strip().splitlines() == [next(x for x in err.splitlines() if "session bad is damaged (state: not valid JSON)" in x)]
    assert main(["sessions", "delete", "bad"]) == 0


def test_a_session_has_one_writer_at_a_time(store: Store) -> None:
    from simulator.storage.sql import SessionBusy

    store.create(SessionRow(id="s1", item_id="i"))
    store.acquire("s1", "elsewhere:1:a")  # another host: alive as far as we can tell
    with pytest.raises(SessionBusy, match="session s1 is open in another window or terminal"):
        store.acquire("s1", "here:2:b")
    with pytest.raises(SessionBusy):
        store.add_turn("s1", Turn(speaker="candidate", text="interleaved"), lease="here:2:b")
    assert store.turns("s1") == []
    store.add_turn("s1", Turn(speaker="candidate", text="mine"), lease="elsewhere:1:a")
    store.release("s1", "elsewhere:1:a")
    store.acquire("s1", "here:2:b")
    with pytest.raises(SessionBusy):
        store.update("s1", status="finished", lease="elsewhere:1:a")


def test_another_applications_database_is_refused_and_left_untouched(url: str, tmp_path: Path) -> None:
    import hashlib

    from simulator.storage import StoreError

    if url.startswith("sqlite"):
        import sqlite3

        path = url.removeprefix("sqlite:///")
        con = sqlite3.connect(path)
        con.execute("CREATE TABLE contacts (name TEXT)")
        con.execute("INSERT INTO contacts VALUES ('Ada')")
        con.commit()
        con.close()
        before = hashlib.sha256(Path(path).read_bytes()).hexdigest()
        with pytest.raises(StoreError, match=r"holds another application's tables \(contacts\), not mockpanel's; it was not changed"):
            open_store(url)
        assert hashlib.sha256(Path(path).read_bytes()).hexdigest() == before
        assert sorted(p.name for p in Path(path).parent.iterdir()) == [Path(path).name]  # no -wal, no -shm
    else:
        import psycopg

        with psycopg.connect(url, autocommit=True) as con:
            con.execute("CREATE TABLE contacts (name TEXT)")
        with pytest.raises(StoreError, match=r"another application's tables \(contacts\)"):
            open_store(url)
        with psycopg.connect(url, autocommit=True) as con:
            tables = [r[0] for r in con.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()")]
        assert tables == ["contacts"]
