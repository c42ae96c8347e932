"""Every kind of broken content file gets one line naming file, line and field, and exit code 2."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli.main import main

PERSONA = """\
personas:
  - id: my-interviewer
    name: Sam Park
    title: Staff Data Scientist
    archetype: interviewer
    motivation: Find out how the candidate reasons about trade-offs.
    voice: Calm, curious, asks one thing at a time.
    source: authored
    lines:
      opening: ["Let's start."]
      closing: ["Thanks, that's time."]
"""

RUBRIC = """\
bank:
  id: my-bank
  title: My questions
  role: Data Scientist
  level: mid
  source_document: authored
items:
  - id: my-item
    kind: technical
    title: Bias and variance
    question: Explain the bias-variance trade-off.
    round: ml-deep-dive
    level: mid
    personas: [my-interviewer]
    indicators:
      - id: p-tradeoff
        text: Explains the trade-off with an example
        polarity: positive
        source: authored
        cues: ["A deeper tree lowers bias but its variance goes up."]
      - id: n-jargon
        text: Recites definitions without an example
        polarity: negative
        source: authored
    anchors:
      exceeds: {text: Explains with examples and remedies., source: authored}
      meets: {text: Explains the trade-off correctly., source: authored}
      below: {text: Cannot explain the trade-off., source: authored}
"""


def write(tmp: Path, rubric: str = RUBRIC, persona: str = PERSONA) -> Path:
    (tmp / "persona.yaml").write_text(persona, encoding="utf-8")
    (tmp / "rubric.yaml").write_text(rubric, encoding="utf-8")
    return tmp


def run_validate(tmp: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["validate", str(tmp)])
    err = capsys.readouterr().err.strip()
    return code, err


def test_a_good_user_directory_validates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path)
    assert main(["validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "ok:" in out and "rubric.yaml" in out and "persona.yaml" in out


CASES = [
    # (name, edit of RUBRIC (old, new) or a whole text, expected line, expected field fragment, message fragment)
    ("bad yaml", ("    kind: technical\n", "    kind: [technical\n"), None, None, "bad YAML"),
    ("unknown field", ("    level: mid\n    personas", "    level: mid\n    colour: red\n    personas"), 14, "items[my-item].colour", "unknown field"),
    ("wrong type", ("    title: Bias and variance\n", "    title: [1, 2]\n"), 10, "items[my-item].title", "valid string"),
    ("bad enum", ("    kind: technical\n", "    kind: trivia\n"), 9, "items[my-item].kind", "technical"),
    ("missing field", ("    question: Explain the bias-variance trade-off.\n", ""), None, "items[my-item].question", "required"),
    ("duplicate indicator id", ("id: n-jargon", "id: p-tradeoff"), 21, "items[my-item].indicators[p-tradeoff].id", "duplicate indicator id"),
    ("duplicate key", ("    round: ml-deep-dive\n", "    round: ml-deep-dive\n    round: ml-deep-dive\n"), 13, "round", "duplicate key"),
    ("missing persona", ("personas: [my-interviewer]", "personas: [nobody-here]"), 8, "items[my-item].personas", "'nobody-here' is not defined"),
    ("indicator names a missing variant", ("        source: authored\n        cues:", "        source: authored\n        variants: [with_ai]\n        cues:"), 20, "items[my-item].indicators[p-tradeoff].variants", "variant"),
]


@pytest.mark.parametrize("name,edit,line,field,message", CASES, ids=[c[0] for c in CASES])
def test_each_error_kind_is_one_line_with_file_line_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], name: str, edit: tuple[str, str], line: int | None, field: str | None, message: str
) -> None:
    old, new = edit
    assert old in RUBRIC, name
    write(tmp_path, RUBRIC.replace(old, new, 1))
    code, err = run_validate(tmp_path, capsys)
    assert code == 2
    assert len(err.splitlines()) == 1, err
    assert "rubric.yaml" in err
    if line is not None:
        assert f"rubric.yaml:{line}:" in err, err
    else:
        assert "rubric.yaml:" in err
    if field:
        assert field in err, err
    assert message in err, err


def test_empty_indicator_list(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    start = RUBRIC.index("    indicators:\n")
    end = RUBRIC.index("    anchors:\n")
    write(tmp_path, RUBRIC[:start] + "    indicators: []\n" + RUBRIC[end:])
    code, err = run_validate(tmp_path, capsys)
    assert code == 2
    assert "rubric.yaml:15: items[my-item].indicators:" in err
    assert "at least one indicator" in err


def test_duplicate_item_id_across_files_names_both_places(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path)
    (tmp_path / "zz_again.yaml").write_text(RUBRIC.replace("id: my-bank", "id: my-bank-2"), encoding="utf-8")
    code, err = run_validate(tmp_path, capsys)
    assert code == 2
    assert "zz_again.yaml:8: items[my-item].id: duplicate item id 'my-item' (first at" in err
    assert "rubric.yaml:8)" in err


def test_persona_error_names_its_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    write(tmp_path, persona=PERSONA.replace("archetype: interviewer", "archetype: wizard"))
    code, err = run_validate(tmp_path, capsys)
    assert code == 2
    assert "persona.yaml:5: personas[my-interviewer].archetype:" in err


def test_a_file_of_unknown_shape(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "notes.yaml").write_text("hello: world\n", encoding="utf-8")
    code, err = run_validate(tmp_path, capsys)
    assert code == 2 and "notes.yaml:1:" in err and "unknown file" in err


def test_user_content_dir_from_settings_is_validated_the_same_way(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    write(tmp_path, RUBRIC.replace("    level: mid\n    personas", "    level: mid\n    colour: red\n    personas"))
    monkeypatch.setenv("MOCKPANEL_CONTENT_DIRS", str(tmp_path))
    code = main(["rubrics", "list"])
    err = capsys.readouterr().err
    assert code == 2
    assert "rubric.yaml:14: items[my-item].colour: unknown field" in err


def test_user_content_dir_adds_items(tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path)
    monkeypatch.setenv("MOCKPANEL_CONTENT_DIRS", str(tmp_path))
    assert main(["rubrics", "list", "--bank", "my-bank"]) == 0
    assert "my-item" in capsys.readouterr().out


def test_the_real_command_prints_no_traceback(tmp_path: Path) -> None:
    write(tmp_path, RUBRIC.replace("kind: technical", "kind: trivia"))
    proc = subprocess.run(
        [sys.executable, "-m", "simulator.cli.main", "validate", str(tmp_path)],
        capture_output=True, text=True, timeout=120,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("mockpanel: ")


def test_validating_leaves_the_file_untouched(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = RUBRIC.replace("kind: technical", "kind: trivia")
    write(tmp_path, broken)
    run_validate(tmp_path, capsys)
    assert (tmp_path / "rubric.yaml").read_text(encoding="utf-8") == broken
