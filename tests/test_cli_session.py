"""`mockpanel play`, `simulate` and `sessions ...` from the command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from dialogue_fixtures import library

from simulator.cli.main import main
from simulator.core.transcript import parse_transcript
from simulator.practice import session as session_mod

LINES = [
    "Hi Robin. What percentage of users can we put in the pilot?",
    "Our goal is to improve productivity.",
    "How long do you expect the test to run?",
    "What metric should we use?",
    "Does engineering have concerns about latency?",
    "Thanks, I think I have what I need.",
]


@pytest.fixture(autouse=True)
def _fixture_library(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """The commands load the fixture content and a throwaway database."""
    from simulator.core.settings import reset_settings

    monkeypatch.setattr(session_mod, "_LIBRARY", library())
    monkeypatch.setenv("MOCKPANEL_DB", str(tmp_path / "sessions.db"))
    reset_settings()
    yield
    reset_settings()


def _play(tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    script = tmp_path / "lines.json"
    script.write_text(json.dumps(LINES))
    assert main(["play", "--item", "sim-test", "--script", str(script), *extra]) == 0
    return capsys.readouterr().out


def test_play_prints_the_interchange_format_deterministically(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = _play(tmp_path, capsys, "--json", "--seed", "7")
    again = _play(tmp_path, capsys, "--json", "--seed", "7")
    assert first == again
    t = parse_transcript(first)
    assert t.item == "sim-test"
    assert [x.text for x in t.turns if x.speaker == "candidate"] == LINES
    assert all(x.speaker in ("candidate", "pm-test") for x in t.turns)
    assert len(t.turns) == 2 * len(LINES) + 1
    assert all(x.meta.get("plan") for x in t.turns if x.speaker != "candidate")


def test_play_seed_changes_the_wording(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    outputs = {_play(tmp_path, capsys, "--json", "--seed", str(seed)) for seed in range(5)}
    assert len(outputs) > 1


def test_play_markdown(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = _play(tmp_path, capsys)
    assert out.startswith("# sim-test") and "**1. pm-test:**" in out and "**2. candidate:**" in out  # numbered as the chat showed it


@pytest.mark.parametrize("content, message", [
    ("{not json", "not valid JSON"),
    ('{"lines": []}', "JSON array of strings"),
    ('["ok", 3]', "JSON array of strings"),
])
def test_play_bad_script_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str], content: str, message: str) -> None:
    script = tmp_path / "bad.json"
    script.write_text(content)
    assert main(["play", "--item", "sim-test", "--script", str(script)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(script) in err and len(err.strip().splitlines()) == 1


def test_play_unknown_item_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "lines.json"
    script.write_text("[]")
    assert main(["play", "--item", "nope", "--script", str(script)]) == 2
    assert "no item 'nope'" in capsys.readouterr().err


def test_sessions_list_show_export_delete(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.practice.session import Session

    s = Session.start("sim-test", seed=1)
    s.opening()
    s.respond("How much traffic can the experiment get?")
    assert main(["sessions", "list", "--json"]) == 0
    [row] = json.loads(capsys.readouterr().out)
    assert row["id"] == s.id and row["turns"] == 3 and row["status"] == "active"
    assert main(["sessions", "show", s.id[:5], "--json"]) == 0
    shown = parse_transcript(capsys.readouterr().out)
    assert [t.text for t in shown.turns] == [t.text for t in s.transcript().turns]
    out = tmp_path / "x.md"
    assert main(["sessions", "export", s.id, "--format", "md", "--out", str(out)]) == 0
    capsys.readouterr()
    assert "How much traffic can the experiment get?" in out.read_text()
    assert main(["sessions", "export", s.id]) == 0
    assert parse_transcript(capsys.readouterr().out).metadata["session"] == s.id
    assert main(["sessions", "delete", s.id]) == 0
    capsys.readouterr()
    assert main(["sessions", "show", s.id]) == 2
    assert "no session" in capsys.readouterr().err


def test_practice_and_resume_in_the_terminal(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    monkeypatch.setattr(sys, "stdin", io.StringIO("What percentage of users can we put in the pilot?\n/time\n"))
    assert main(["practice", "--item", "sim-test"]) == 0
    out = capsys.readouterr().out
    assert "count code completions" in out and "5%" in out and "left." in out
    sid = out.split("mockpanel sessions resume ")[-1].split()[0]
    monkeypatch.setattr(sys, "stdin", io.StringIO("/end\n"))
    assert main(["sessions", "resume", sid]) == 0
    out = capsys.readouterr().out
    assert "5%" in out and "Thanks, this was useful." in out and "finished" in out
    assert "Feedback:" in out and "rating:" in out  # the session ends with its grade
    # which hidden constraint the question uncovered, cited by the turn number the candidate saw
    assert "Hidden constraints uncovered: 1 of 2" in out
    assert "you asked \u201cWhat percentage of users can we put in the pilot?\u201d (turn 2)" in " ".join(out.split())
    assert "What to ask next time:" in out and "Ask Robin Test, for example:" in out


def test_simulate_writes_transcripts(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "sims"
    assert main(["simulate", "--item", "q-test", "--candidate", "strong", "-n", "2", "--out", str(out)]) == 0
    files = sorted(out.glob("*.json"))
    assert [f.name for f in files] == ["q-test-strong-000.json", "q-test-strong-001.json"]
    t = parse_transcript(files[0].read_text())
    assert t.metadata["candidate"] == "strong" and t.metadata["status"] == "finished"
    assert any(x.speaker == "candidate" for x in t.turns)
    assert main(["simulate", "--item", "q-test", "--candidate", "genius", "--out", str(out)]) == 2


def test_play_names_the_line_and_element_of_a_bad_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    script = tmp_path / "bad.json"
    script.write_text('[\n  "fine",\n  "also fine",\n  {"text": "no"}\n]')
    assert main(["play", "--item", "sim-test", "--script", str(script)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"mockpanel: {script}:4: [2]: ") and "an object" in err and len(err.splitlines()) == 1
    script.write_bytes(b"\xff\xfe[]")
    assert main(["play", "--item", "sim-test", "--script", str(script)]) == 2
    err = capsys.readouterr().err.strip()
    assert "not UTF-8" in err and len(err.splitlines()) == 1


def test_output_paths_that_cannot_be_written_are_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.practice.session import Session

    a_file = tmp_path / "taken"
    a_file.write_text("x")
    assert main(["simulate", "--item", "q-test", "--candidate", "strong", "--out", str(a_file)]) == 2
    assert "is a file" in capsys.readouterr().err
    s = Session.start("sim-test", seed=1)
    s.opening()
    assert main(["sessions", "export", s.id, "--out", str(tmp_path)]) == 2  # a directory, not a file
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"mockpanel: {tmp_path}: --out:") and len(err.splitlines()) == 1


def test_practice_saves_every_answer_while_the_model_returns_500(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                                                 fake_model: Any) -> None:
    """A server that answers three times and then fails with HTTP 500: all ten answers are saved,
    and the terminal says so and that the reply will be retried."""
    import io

    from simulator.core.settings import reset_settings
    from simulator.storage import open_store
    from simulator.testing.recorder import FakeModel

    served = {"n": 0}

    def reply(messages: Any) -> Any:
        served["n"] += 1
        if served["n"] > 3:
            raise FakeModel.server_error(500).exception("fake/outage")
        return "Okay, go on."

    fake_model(default=reply, name="outage")
    monkeypatch.setenv("MOCKPANEL_MODEL", "fake/outage")
    monkeypatch.setenv("MOCKPANEL_MAX_RETRIES", "0")
    reset_settings()
    answers = [f"My answer number {n} is about the pilot." for n in range(10)]
    monkeypatch.setattr(sys, "stdin", io.StringIO("".join(a + "\n" for a in answers)))
    assert main(["practice", "--item", "sim-test"]) == 0
    out = capsys.readouterr().out
    assert "answers are saved" in out and "retried" in out and "/retry" in out
    [row] = open_store().list()
    saved = [t.text for t in open_store().turns(row.id) if t.is_candidate]
    assert saved == answers
    assert open_store().find(row.id).pending


def test_a_second_resume_of_an_open_session_is_one_clear_line(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from simulator.practice.session import Session

    first = Session.start("sim-test", lib=library())
    first.opening()
    monkeypatch.setattr(sys, "stdin", io.StringIO("An answer from the second terminal.\n"))
    assert main(["sessions", "resume", first.id]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"session {first.id} is open in another window or terminal" in err[0]
    assert "An answer from the second terminal." not in [t.text for t in first.store.turns(first.id)]
    first.close()
    assert main(["sessions", "resume", first.id]) == 0


def test_sessions_list_names_the_item_and_the_stored_rating(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    import io

    from simulator.cli import sessions as cli_sessions

    monkeypatch.setattr(cli_sessions, "_titles", lambda: {i.id: i.title for i in library().items.values()})
    monkeypatch.setattr(sys, "stdin", io.StringIO("What percentage of users can we put in the pilot?\n/end\n"))
    assert main(["practice", "--item", "sim-test"]) == 0
    capsys.readouterr()
    assert main(["sessions", "list"]) == 0
    line = capsys.readouterr().out.strip().splitlines()[0]
    assert library().items["sim-test"].title in line and "finished" in line
    assert any(r in line.split() for r in ("below", "meets", "exceeds"))  # graded at the end, stored, listed
