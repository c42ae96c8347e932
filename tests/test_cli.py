"""The command line: instant help, the documented JSON shapes, schema export."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulator.cli.main import main
from simulator.content.library import ROOT, json_schemas

HEAVY = ("litellm", "onnxruntime", "streamlit", "numpy", "openai", "tiktoken")


def test_help_imports_nothing_heavy() -> None:
    code = (
        "import sys\n"
        "from simulator.cli.main import main\n"
        "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert "usage: mockpanel" in proc.stdout
    assert proc.stdout.strip().splitlines()[-1] == "[]"


def test_every_declared_handler_resolves() -> None:
    """Catches a command whose module or function was renamed."""
    from simulator.cli.main import COMMANDS, resolve

    def walk(cmds):  # type: ignore[no-untyped-def]
        for c in cmds:
            yield from walk(c.sub) if c.sub else [c]

    for cmd in walk(COMMANDS):
        assert callable(resolve(cmd.handler)), cmd.handler


def test_rubrics_list_json_shape(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rubrics", "list", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert isinstance(data, list) and data
    for el in data:
        assert {"id", "kind", "question", "variants", "indicators"} <= set(el)
        assert isinstance(el["variants"], list)
        for ind in el["indicators"]:
            assert set(ind) >= {"id", "text", "polarity", "source", "variants"}
            assert ind["polarity"] in ("positive", "negative")
            assert ind["source"] in ("seed", "authored")


def test_rubrics_show_unknown_id_is_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["rubrics", "show", "no-such-item"]) == 2
    assert "no item 'no-such-item'" in capsys.readouterr().err


def test_rubrics_show_round_trips_through_json(capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.content.rubric import Item

    assert main(["rubrics", "list", "--json"]) == 0
    first = json.loads(capsys.readouterr().out)[0]["id"]
    assert main(["rubrics", "show", first, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    data.pop("bank")
    item = Item.model_validate(data)
    assert item.model_dump(mode="json") == data


def test_committed_json_schemas_are_current() -> None:
    """Editors check users' files against schemas/*.schema.json; they must match the models."""
    for name, schema in json_schemas().items():
        path = ROOT / "schemas" / f"{name}.schema.json"
        assert path.exists(), "run: mockpanel schema --out schemas"
        assert json.loads(path.read_text(encoding="utf-8")) == schema, f"{path} is stale: mockpanel schema --out schemas"


def test_schema_export_writes_files(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["schema", "--out", str(tmp_path)]) == 0
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["persona.schema.json", "rounds.schema.json", "rubric.schema.json"]
    schema = json.loads((tmp_path / "rubric.schema.json").read_text())
    assert schema["additionalProperties"] is False


def test_output_and_port_mistakes_are_one_line_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    a_file = tmp_path / "taken"
    a_file.write_text("x")
    assert main(["schema", "--out", str(a_file)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"mockpanel: {a_file}: --out: is a file; give a directory"
    assert main(["schema", "--out", str(a_file / "sub")]) == 2  # cannot be made: a file is in the way
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"mockpanel: {a_file / 'sub'}: --out: ") and len(err.splitlines()) == 1
    assert main(["app", "--port", "70000"]) == 2
    assert "--port: 70000 is not a TCP port" in capsys.readouterr().err
