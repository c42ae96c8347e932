"""The session store: migrations, turns that survive, and a damaged file left exactly as it was."""

from __future__ import annotations

import hashlib
import sqlite3
import subprocess
import threading
from pathlib import Path

import pytest

from simulator.cli.main import main
from simulator.core.transcript import Turn
from simulator.storage.sqlite import SessionRow, Store, StoreError, migrations


def _row(sid: str = "abc123") -> SessionRow:
    return SessionRow(id=sid, item_id="q-test", items=["q-test"], seed=3)


def test_migrations_are_numbered_and_applied_once(tmp_path: Path) -> None:
    found = migrations()
    assert found and [n for n, _, _ in found] == sorted({n for n, _, _ in found})
    db = tmp_path / "s.db"
    store = Store(db)
    assert store.version() == found[-1][0]
    store.close()
    again = Store(db)  # reopening does not re-run a migration (it would fail on CREATE TABLE)
    assert again.version() == found[-1][0]
    rows = again.conn.execute("SELECT count(*) FROM schema_version").fetchone()[0]
    assert rows == len(found)
    assert again.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_turns_round_trip_with_state(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path / 's.db'}")
    store.create(_row())
    store.add_turn("abc123", Turn(speaker="candidate", text="hello"), state={"cand": 1}, pending=[{"kind": "persona"}])
    store.add_turn("abc123", Turn(speaker="pm", text="hi", meta={"plan": {"moves": []}}), pending=[], status="finished")
    row = store.get("abc123")
    assert row.state == {"cand": 1} and row.pending == [] and row.status == "finished" and row.turns == 2
    t = store.transcript("abc123")
    assert [x.text for x in t.turns] == ["hello", "hi"]
    assert t.turns[1].meta == {"plan": {"moves": []}}
    assert t.metadata["session"] == "abc123"


def test_find_by_prefix_and_ambiguity(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.create(_row("aa11"))
    store.create(_row("aa22"))
    assert store.find("aa1").id == "aa11"
    with pytest.raises(Exception, match="ambiguous"):
        store.find("aa")
    with pytest.raises(Exception, match="no session"):
        store.find("zz")
    store.delete("aa11")
    assert [r.id for r in store.list()] == ["aa22"]


def test_one_connection_per_thread(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    store.create(_row())
    seen: list[int] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            seen.append(id(store.conn))
            for k in range(10):
                store.add_turn("abc123", Turn(speaker="candidate", text=f"{n}-{k}"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(seen)) == 4
    turns = store.turns("abc123")
    assert len(turns) == 40 and len({t.text for t in turns}) == 40


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("content", [
    b"this is not a database at all\n" * 50,
    b"SQLite format 3\x00" + b"\xff" * 4000,
])
def test_corrupt_database_is_one_clear_error_and_left_untouched(tmp_path: Path, content: bytes) -> None:
    db = tmp_path / "sessions.db"
    db.write_bytes(content)
    before = _digest(db)
    with pytest.raises(StoreError) as err:
        Store(db)
    message = str(err.value)
    assert "\n" not in message and str(db) in message
    assert _digest(db) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sessions.db"]  # no -wal/-shm created


def test_damaged_page_in_a_real_database_is_detected(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    con = sqlite3.connect(db)
    con.execute("CREATE TABLE t (x TEXT)")
    con.executemany("INSERT INTO t VALUES (?)", [("x" * 500,)] * 200)
    con.commit()
    con.close()
    data = bytearray(db.read_bytes())
    data[4096 + 100 : 4096 + 4000] = b"\x07" * 3900  # scribble over the second page
    db.write_bytes(bytes(data))
    before = _digest(db)
    with pytest.raises(StoreError, match="damaged"):
        Store(db)
    assert _digest(db) == before


def test_cli_on_corrupt_database_exits_2_with_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    db = tmp_path / "bad.db"
    db.write_bytes(b"garbage" * 100)
    before = _digest(db)
    monkeypatch.setenv("MOCKPANEL_DB", str(db))
    _reset_settings()
    try:
        assert main(["sessions", "list"]) == 2
    finally:
        _reset_settings()
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "not a SQLite file" in err
    assert _digest(db) == before


def _reset_settings() -> None:
    from simulator.core.settings import reset_settings

    reset_settings()


def test_a_database_path_that_cannot_be_made_is_one_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create its directory") as err:
        Store(blocker / "sub" / "s.db")
    assert "\n" not in str(err.value) and "MOCKPANEL_DB" in str(err.value)


def test_a_full_disk_mid_session_says_so_and_keeps_what_was_saved(tmp_path: Path) -> None:
    """SQLITE_FULL for real: the database may not grow past its current pages (as on a full disk)."""
    from dialogue_fixtures import library

    from simulator.core.errors import UserError
    from simulator.practice.session import Session

    store = Store(tmp_path / "s.db")
    s = Session.start("sim-test", store=store, lib=library(), clock="virtual")
    s.opening()
    s.respond("What percentage of users can we put in the pilot?")
    saved = [t.text for t in store.turns(s.id)]
    pages = store.conn.execute("PRAGMA page_count").fetchone()[0]
    store.conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(UserError, match="no space left on the disk; everything saved before this is kept"):
        s.respond("A long answer. " * 2000)
    assert [t.text for t in store.turns(s.id)] == saved  # nothing half-written, nothing lost
    assert [r.id for r in store.list()] == [s.id]


def _can_mount() -> bool:
    """Root with a private mount namespace (this container, a CI VM): real read-only and full disks."""
    import os
    import shutil
    import subprocess

    if os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    probe = subprocess.run(["unshare", "-m", "--propagation", "private", "true"], capture_output=True)
    return probe.returncode == 0


def _cli(args: list[str], env: dict[str, str], mount: str | None = None) -> subprocess.CompletedProcess[str]:
    """The CLI in a subprocess; with `mount`, inside a private namespace where that shell snippet ran first."""
    import sys

    cmd = [sys.executable, "-m", "simulator.cli.main", *args]
    if mount:
        cmd = ["unshare", "-m", "--propagation", "private", "sh", "-c", mount + ' && exec "$@"', "sh", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120, cwd=str(Path(__file__).resolve().parent.parent))


def test_a_read_only_database_lists_but_does_not_practise(tmp_path: Path) -> None:
    """A read-only mount (root: a real one in a private namespace; otherwise no write permission)."""
    import os

    from simulator.storage import SessionRow

    db = tmp_path / "data" / "s.db"
    db.parent.mkdir()
    store = Store(db)
    store.create(SessionRow(id="kept123", item_id="ds2-dashboard-design", items=["ds2-dashboard-design"]))
    store.close()
    env = {**os.environ, "MOCKPANEL_DB": str(db), "MOCKPANEL_ENV_FILE": "", "PYTHONDONTWRITEBYTECODE": "1"}
    mount = None
    if _can_mount():
        d = str(db.parent)
        mount = f"mount --bind '{d}' '{d}' && mount -o remount,ro,bind '{d}' '{d}'"
    elif os.geteuid() == 0:
        pytest.skip("root without a private mount namespace: no way to make a read-only disk here")
    else:
        os.chmod(db.parent, 0o555)
    try:
        listed = _cli(["sessions", "list"], env, mount)
        assert listed.returncode == 0, listed.stderr
        assert "kept123" in listed.stdout
        practice = _cli(["practice", "--item", "ds2-dashboard-design"], env, mount)
        assert practice.returncode == 2, practice.stderr
        [line] = practice.stderr.strip().splitlines()
        assert "is read-only" in line and "damaged" not in line
    finally:
        os.chmod(db.parent, 0o755)


def test_a_full_disk_at_start_up_says_no_space(tmp_path: Path) -> None:
    """A 64 KiB tmpfs, filled: a new database there cannot be made, and the message says why."""
    import os

    if not _can_mount():
        pytest.skip("needs root and a private mount namespace for a small tmpfs")
    d = tmp_path / "full"
    d.mkdir()
    mount = (f"mount -t tmpfs -o size=64k none '{d}' && "
             f"(dd if=/dev/zero of='{d}/filler' bs=4k 2>/dev/null || true)")
    env = {**os.environ, "MOCKPANEL_DB": str(d / "s.db"), "MOCKPANEL_ENV_FILE": "", "PYTHONDONTWRITEBYTECODE": "1"}
    out = _cli(["sessions", "list"], env, mount)
    assert out.returncode == 2, (out.stdout, out.stderr)
    [line] = out.stderr.strip().splitlines()
    assert "no space left on the disk" in line and "damaged" not in line
