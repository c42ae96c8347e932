"""Every bad input the attack run found, at every entry point: one line naming the file (and the
line where there is one), exit code 2, never a traceback. One table, so a new case is one row."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from simulator.cli.main import main
from simulator.content.library import MAX_DEPTH, MAX_STRING
from simulator.core.settings import reset_settings

ITEM = "ds2-work-sim-ab-test-ai-recs"  # shipped: the hiring kit's work simulation
DEEP_JSON = "[" * 990 + "]" * 990
HUGE_INT = "9" * 5000


def transcript(**extra: object) -> dict[str, object]:
    return {"item": ITEM, "turns": [{"speaker": "candidate", "text": "I would start with a holdout."}], **extra}


# name: (file name, file content, what it holds, the text the error must contain)
JSON_CASES = {
    "deep JSON": ("t.json", DEEP_JSON, "nested more than 64 levels"),
    "5000-digit integer": ("t.json", '{"item": "x", "turns": [], "metadata": {"n": ' + HUGE_INT + "}}", "5,000 digits"),
    "duplicate key": ("t.json", '{\n  "item": "ITEM",\n  "item": "ITEM",\n  "turns": []\n}'.replace("ITEM", ITEM), "t.json:3: duplicate key 'item'"),
    "not UTF-8": ("t.json", b'{"item": "\xff"}', "not UTF-8"),
}

# A rubric that is valid in every other way, whose indicator cues name one 90,000-character string
# 3,000 times through an anchor: 270 MB once expanded (the attack's 1 MB x 3,000 = 3 GB, smaller).
BOMB_RUBRIC = """\
bank:
  id: bomb-bank
  title: Bomb
  role: Data Scientist
  level: mid
  source_document: authored
items:
  - id: bomb-item
    kind: technical
    title: Bias and variance
    question: Explain the bias-variance trade-off.
    round: ml-deep-dive
    level: mid
    personas: [interviewer-technical-screen]
    indicators:
      - id: p-tradeoff
        text: &big "BIG"
        polarity: positive
        source: authored
        cues: [CUES]
    anchors:
      exceeds: {text: Explains with examples and remedies., source: authored}
      meets: {text: Explains the trade-off correctly., source: authored}
      below: {text: Cannot explain the trade-off., source: authored}
""".replace("BIG", "x" * 90_000).replace("CUES", ", ".join(["*big"] * 3000))

YAML_CASES = {
    "list as a mapping key": ("c.yaml", "? [a, b]\n: 1\n", "mapping key must be a plain value"),
    "nested 1,500 levels": ("c.yaml", "bank: " + "[" * 1500 + "]" * 1500 + "\n", f"nested more than {MAX_DEPTH} levels"),
    "nested 200,000 levels": ("c.yaml", "bank: " + "[" * 200_000 + "]" * 200_000 + "\n", f"nested more than {MAX_DEPTH} levels"),
    "alias bomb": ("c.yaml", 'bank: &s "' + "x" * 90_000 + '"\nitems: [' + ", ".join(["*s"] * 3000) + "]\n", "anchors count each time"),
    "alias bomb in a valid rubric": ("c.yaml", BOMB_RUBRIC, "anchors count each time"),
    "alias inside itself": ("c.yaml", "bank: &a [1, *a]\n", "refers to the anchor that contains it"),
    "a string too long": ("c.yaml", "bank: " + "x" * (MAX_STRING + 1) + "\n", "the limit is 100,000"),
    "not UTF-8": ("c.yaml", b"bank: \xff\xfe\n", "not UTF-8"),
}


@dataclass
class Case:
    argv: list[str]
    env: dict[str, str | None]  # None: unset
    expect: str


def _write(path: Path, content: str | bytes) -> Path:
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


Builder = Callable[[Path], Case]


def _file(fname: str, content: str | bytes, argv: Callable[[Path], list[str]], expect: str, env: dict[str, str | None] | None = None) -> Builder:
    return lambda tmp: Case(argv(_write(tmp / fname, content)), env or {}, expect)


def _content_dir(fname: str, content: str | bytes, expect: str) -> Builder:
    def build(tmp: Path) -> Case:
        (tmp / "content").mkdir()
        _write(tmp / "content" / fname, content)
        return Case(["rubrics", "list"], {"MOCKPANEL_CONTENT_DIRS": str(tmp / "content")}, expect)

    return build


def _env_file(content: bytes | str, env: str, expect: str) -> Builder:
    return lambda tmp: Case(["sessions", "list"], {"MOCKPANEL_ENV_FILE": str(_write(tmp / env, content))}, expect)


def _newer_db(tmp: Path) -> Case:
    con = sqlite3.connect(tmp / "newer.db")
    con.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
    con.execute("INSERT INTO schema_version VALUES (999)")
    con.commit()
    con.close()
    return Case(["sessions", "list"], {"MOCKPANEL_DB": str(tmp / "newer.db")}, "schema version 999 is newer")


def grade(f: Path) -> list[str]:
    return ["grade", str(f)]


def play(f: Path) -> list[str]:
    return ["play", "--item", ITEM, "--script", str(f)]


def validate(f: Path) -> list[str]:
    return ["validate", str(f)]


def _cases() -> dict[str, Builder]:
    out: dict[str, Builder] = {}
    for name, (fname, content, expect) in JSON_CASES.items():
        out[f"grade: {name}"] = _file(fname, content, grade, expect)
        script = content if name != "deep JSON" else '["hello", ' + DEEP_JSON + "]"
        out[f"play: {name}"] = _file(fname, script, play, expect)
    for name, (fname, content, expect) in YAML_CASES.items():
        out[f"validate: {name}"] = _file(fname, content, validate, expect)
        out[f"content dirs: {name}"] = _content_dir(fname, content, expect)

    speaker = json.dumps({"item": ITEM, "turns": [{"speaker": "candidate", "text": "hello"},
                                                  {"speaker": "candidat", "text": "I would use a holdout."}]}, indent=2)
    out["grade: unknown speaker"] = _file("s.json", speaker, grade, "s.json:9: turns.1.speaker: 'candidat' is neither candidate")
    out["grade: unknown schema version"] = _file("v.json", json.dumps(transcript(version=2)), grade, "version: unknown field")
    out["grade: a turn too long"] = _file("t.json", json.dumps(transcript(turns=[{"speaker": "candidate", "text": "x" * 50_001}])),
                                          grade, "at most 50000 characters")
    out["grade: too many turns"] = _file("t.json", json.dumps(transcript(turns=[{"speaker": "candidate", "text": "x"}] * 2001)),
                                         grade, "at most 2000 items")
    out["grade: a file too big"] = _file("t.json", '{"item": "' + "x" * 10_000_001 + '"}', grade, "the limit is 10,000,000")
    for name, lines, expect in (("an empty line", ["hello", "   ", "bye"], "s.json:3: [1]: an empty line"),
                                ("an /ai line", ["hello", "/ai", "bye"], "s.json:3: [1]: this session has no AI assistant"),
                                ("a line too long", ["x" * 50_001], "the limit is 50,000")):
        out[f"play: {name}"] = _file("s.json", json.dumps(lines, indent=1), play, expect)

    out["settings: .env not UTF-8"] = _env_file(b"MOCKPANEL_MODEL=local/scripted\nMOCKPANEL_USER=J\xf6rg\n", "latin1.env",
                                                "latin1.env:2: not UTF-8")
    blank = _env_file("MOCKPANEL_DB=\n", "blank.env", "blank.env:1: MOCKPANEL_DB: is empty")
    out["settings: MOCKPANEL_DB empty in .env"] = lambda tmp: Case(**{**blank(tmp).__dict__, "env": {**blank(tmp).env, "MOCKPANEL_DB": None}})
    out["settings: MOCKPANEL_DB empty"] = lambda tmp: Case(["sessions", "list"], {"MOCKPANEL_DB": ""}, "MOCKPANEL_DB: is empty")
    for value, expect in (("inf", "finite"), ("1e9", "less than or equal to 600"), ("nan", "finite"), ("0", "greater than 0")):
        out[f"settings: MOCKPANEL_TIMEOUT={value}"] = (
            lambda tmp, value=value, expect=expect: Case(["sessions", "list"], {"MOCKPANEL_TIMEOUT": value}, expect))
    out["sessions delete ''"] = lambda tmp: Case(["sessions", "delete", ""], {}, "a session id is needed")
    out["sessions delete ' '"] = lambda tmp: Case(["sessions", "delete", "  "], {}, "a session id is needed")
    out["storage: unknown schema version"] = _newer_db
    return out


CASES = _cases()


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_is_one_line_and_exit_2(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    case = CASES[name](tmp_path)
    for key, value in case.env.items():
        if value is None:
            monkeypatch.delenv(key, raising=False)
        else:
            monkeypatch.setenv(key, value)
    reset_settings()
    code = main(case.argv)
    err = capsys.readouterr().err
    assert code == 2, (name, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("mockpanel: "), err
    assert case.expect in lines[0], lines[0]
    assert "Traceback" not in err


def test_the_table_covers_every_entry_point() -> None:
    names = list(CASES)
    for entry in ("grade:", "play:", "validate:", "content dirs:", "settings:", "sessions delete", "storage:"):
        assert any(n.startswith(entry) for n in names), entry


@pytest.mark.parametrize("name", list(YAML_CASES))
def test_app_upload_of_bad_yaml_is_its_one_line(name: str) -> None:
    from simulator.app.ui import check_upload

    fname, content, expect = YAML_CASES[name]
    problem = check_upload(fname, content if isinstance(content, bytes) else content.encode())
    assert problem and problem.startswith(fname) and expect in problem and "\n" not in problem


def test_app_upload_over_the_size_limit_is_refused_unread() -> None:
    from simulator.app.ui import check_upload
    from simulator.content.library import MAX_FILE_BYTES

    problem = check_upload("big.yaml", b"#" * (MAX_FILE_BYTES + 1))
    assert problem and problem.startswith("big.yaml") and "the limit is" in problem


@pytest.mark.parametrize(("env", "expect"), [
    ({"MOCKPANEL_TIMEOUT": "inf"}, "MOCKPANEL_TIMEOUT"),
    ({"MOCKPANEL_DB": ""}, "MOCKPANEL_DB"),
    ({"MOCKPANEL_CONTENT_DIRS": "<content>"}, "nested more than"),
])
@pytest.mark.parametrize("page", ["practice", "settings", "library"])
def test_app_pages_show_a_bad_setting_as_its_line_not_a_traceback(env: dict[str, str], expect: str, page: str, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from streamlit.testing.v1 import AppTest

    from simulator.content.library import ROOT

    (tmp_path / "content").mkdir()
    _write(tmp_path / "content" / "deep.yaml", "bank: " + "[" * 1500 + "]" * 1500 + "\n")
    for key, value in env.items():
        monkeypatch.setenv(key, value.replace("<content>", str(tmp_path / "content")))
    reset_settings()
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    if page != "practice":
        at.switch_page(f"simulator/app/pages/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    if page == "settings" and "MOCKPANEL_CONTENT_DIRS" in env or page == "library" and "MOCKPANEL_CONTENT_DIRS" not in env:
        return  # a page that does not need what is wrong (or has it cached) still works
    assert at.error and expect in at.error[0].value.replace("\\", "")


def test_the_app_refuses_uploads_over_the_content_limit_before_reading_them() -> None:
    import tomllib

    from simulator.content.library import MAX_FILE_BYTES, ROOT

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["maxUploadSize"] * 1_000_000 == MAX_FILE_BYTES  # megabytes, as Streamlit counts them


def test_app_upload_lists_every_problem_not_just_a_count() -> None:
    """The Library's check says "(and N more problems)" and then shows each of them, one line each."""
    from simulator.app.ui import upload_problems

    text = "personas:\n  - id: a\n    colour: red\n  - id: b\n    mood: odd\n  - id: c\n    hat: tall\n"
    problems = upload_problems("mine.yaml", text.encode())
    assert len(problems) >= 3, problems
    more = len(problems) - 1
    assert f"(and {more} more problem" in problems[0]
    assert all(p.startswith("mine.yaml:") and "\n" not in p for p in problems)
    assert len(set(problems)) == len(problems)
