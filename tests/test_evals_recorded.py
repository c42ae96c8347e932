"""Recorded sessions replay with no network: same transcript, same grade, every recorded call used."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest

from evals import recorded as REC
from evals.report import render


def test_matcher_ignores_the_graders_nonce_only() -> None:
    def req(nonce: str, text: str = "hello") -> SimpleNamespace:
        body = {"model": "openai/x", "messages": [{"role": "user", "content": f"<transcript-{nonce}>{text}</transcript-{nonce}>"}]}
        return SimpleNamespace(body=json.dumps(body).encode())

    REC._same_call(req("0123456789abcdef"), req("fedcba9876543210"))
    with pytest.raises(AssertionError):
        REC._same_call(req("0123456789abcdef"), req("0123456789abcdef", "goodbye"))


def test_environment_is_scoped(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOCKPANEL_MODEL", "local/scripted")
    from simulator.core.settings import get_settings

    with REC.environment({"MOCKPANEL_MODEL": "openai/smollm2", "MOCKPANEL_API_BASE": "http://127.0.0.1:1/v1"}):
        assert get_settings().model == "openai/smollm2"
    assert os.environ["MOCKPANEL_MODEL"] == "local/scripted" and "MOCKPANEL_API_BASE" not in os.environ
    assert get_settings().model == "local/scripted"


def test_all_required_forces_every_field() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "object", "properties": {"c": {}}}},
              "required": ["a"]}
    out = REC._all_required(schema)
    assert out["required"] == ["a", "b"] and out["properties"]["b"]["required"] == ["c"]


def test_shipped_recorded_sessions_replay_offline() -> None:
    res = REC.run_recorded(REC.RECORDED_DIR)
    m = res["metrics"]
    assert m["sessions"] >= 2
    hint = "the product now sends something else: re-record (evals/data/recorded/README.md)"
    for s in res["sessions"]:
        assert s.get("error") is None, (s["name"], s["error"], hint)
        assert s["transcript_match"] and s["all_played"], (s["name"], s.get("first_difference"), hint)
        assert s["played"] == s["recorded_calls"] > 0
        if s["engine"] == "llm":  # the grade came from recorded calls too
            assert s["grade_match"], s["name"]
    assert any(s["engine"] == "llm" for s in res["sessions"])
    assert m["reproduced_rate"] == 1.0
    # sessions with gold labels are scored like any dataset
    assert m["grader"]["graded"] == len(res["predictions"]) > 0
    page = render(res)
    assert "transcripts reproduced" in page and "<svg" in page


def test_a_changed_session_fails_instead_of_calling_out(tmp_path: Path) -> None:
    src = next(d for d in REC.sessions(REC.RECORDED_DIR))
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    meta = json.loads((dst / "meta.json").read_text())
    meta["lines"][0] = "Something the recording never heard: " + meta["lines"][0]
    (dst / "meta.json").write_text(json.dumps(meta))
    out = REC.replay(dst)
    # vcrpy refuses the unrecorded request (the seam reports it as a model error); the network
    # guard in conftest would fail the test had anything tried to leave the machine
    assert out["error"] and out["error"].startswith("ModelError") and not out["transcript_match"]
