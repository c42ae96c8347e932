"""The eval runner, report and compare, driven by a stub grader (no model, no network)."""

from __future__ import annotations

import argparse
import json
import threading
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from evals import command as C
from evals import runner as R
from evals.report import bars_svg, confusion_svg, render
from simulator.content.rubric import Item
from simulator.core.errors import InputError, UserError
from simulator.core.transcript import Transcript


def make_item() -> Item:
    return Item.model_validate({
        "id": "dash", "kind": "competency", "title": "Dashboard", "question": "Walk me through a dashboard.",
        "round": "hm", "level": "mid", "personas": ["interviewer"],
        "indicators": [
            {"id": "stakeholders", "text": "Mentions stakeholder interviews", "polarity": "positive", "source": "seed"},
            {"id": "usage", "text": "Tracks usage metrics post-launch", "polarity": "positive", "source": "seed"},
            {"id": "isolation", "text": "Built in isolation without feedback", "polarity": "negative", "source": "seed"},
        ],
        "anchors": {r: {"text": f"{r} anchor", "source": "authored"} for r in ("exceeds", "meets", "below")},
    })


def row(rid: str, words: str, rating: str, ind: dict[str, bool], family: str | None = None) -> dict[str, Any]:
    return {
        "id": rid, "family": family, "level": "mid",
        "transcript": {"item": "dash", "turns": [
            {"speaker": "interviewer", "text": "Walk me through a dashboard."},
            {"speaker": "candidate", "text": words}]},
        "gold": {"indicators": ind, "rating": rating},
    }


ROWS = [
    row("r1", "I ran stakeholder interviews and tracked usage weekly.", "exceeds", {"stakeholders": True, "usage": True, "isolation": False}),
    row("r2", "I ran stakeholder interviews first.", "meets", {"stakeholders": True, "usage": False, "isolation": False}),
    row("r3", "I built it alone, nobody asked.", "below", {"stakeholders": False, "usage": False, "isolation": True}, "evasive"),
    row("r4", "Synergy, stakeholder alignment, usage-driven, data-driven!", "below",
        {"stakeholders": False, "usage": False, "isolation": False}, "buzzword"),
]


class Ind(SimpleNamespace):
    pass


def keyword_grader(transcript: Transcript, item: Item, ledger: Any) -> Any:
    """Naive on purpose: credits keywords, so the buzzword row fools it."""
    words = " ".join(t.text for _, t in transcript.candidate_turns())
    low = words.lower()
    found = {
        "stakeholders": "stakeholder" in low,
        "usage": "usage" in low,
        "isolation": "alone" in low,
    }
    inds = [Ind(id=k, present=v, evidence=[words[:20]] if v else []) for k, v in found.items()]
    score = found["stakeholders"] + found["usage"] - found["isolation"]
    rating = "exceeds" if score >= 2 else "meets" if score == 1 else "below"
    return SimpleNamespace(rating=rating, indicators=inds, flags=[])


def load(tmp_path: Path, rows: list[dict[str, Any]] = ROWS) -> list[R.Row]:
    p = tmp_path / "ds.jsonl"
    p.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return R.load_rows(p)


def test_run_metrics_match_hand_values(tmp_path: Path) -> None:
    rows = load(tmp_path)
    res = R.run_grader(rows, keyword_grader, items={"dash": make_item()}, bootstrap=50)
    m = res["metrics"]
    # r4 (buzzword) is predicted exceeds with stakeholders+usage credited: two false positives
    assert [p["pred"]["rating"] for p in res["predictions"]] == ["exceeds", "meets", "below", "exceeds"]
    per = m["indicators"]["per_indicator"]
    assert per["dash/stakeholders"]["precision"] == pytest.approx(2 / 3) and per["dash/stakeholders"]["recall"] == 1.0
    assert per["dash/usage"]["f1"] == pytest.approx(2 / 3)
    assert per["dash/isolation"]["f1"] == 1.0
    assert m["indicators"]["macro_f1"] == pytest.approx((0.8 + 2 / 3 + 1.0) / 3)
    assert m["rating"]["exact"] == 0.75
    assert m["rating"]["extreme_error_rate"] == 0.25
    assert m["rating"]["confusion"] == [[1, 0, 1], [0, 1, 0], [0, 0, 1]]
    assert m["families"]["buzzword"] == {"passed": 0, "total": 1, "rate": 0.0}
    assert m["families"]["evasive"]["rate"] == 1.0
    assert m["pass_rate"] == 0.75
    # the stub quotes the first 20 characters of the candidate's words: always verbatim
    assert m["verbatim"]["rate"] == 1.0 and m["verbatim"]["quotes"] == 6
    lo, hi = m["rating"]["qwk_ci"]
    assert lo <= m["rating"]["qwk"] <= hi


def test_repeats_flip_rate_and_majority(tmp_path: Path) -> None:
    rows = load(tmp_path)[:2]
    calls: dict[str, int] = {}
    lock = threading.Lock()

    def flaky(transcript: Transcript, item: Item, ledger: Any) -> Any:
        text = transcript.turns[-1].text
        with lock:
            calls[text] = calls.get(text, 0) + 1
            n = calls[text]
        g = keyword_grader(transcript, item, ledger)
        if text.startswith("I ran stakeholder interviews first") and n == 2:
            g.rating = "below"
        return g

    res = R.run_grader(rows, flaky, items={"dash": make_item()}, repeats=3, concurrency=1, bootstrap=20)
    assert res["metrics"]["flip_rate"]["rating"] == 0.5
    assert res["predictions"][1]["pred"]["rating"] == "meets"  # two of three said meets
    assert len(res["predictions"][1]["repeats"]) == 3


def test_errors_are_recorded_per_row_and_total_failure_is_reported(tmp_path: Path) -> None:
    rows = load(tmp_path)

    def sometimes(transcript: Transcript, item: Item, ledger: Any) -> Any:
        if "alone" in transcript.turns[-1].text:
            raise RuntimeError("model timed out")
        return keyword_grader(transcript, item, ledger)

    res = R.run_grader(rows, sometimes, items={"dash": make_item()}, bootstrap=10)
    assert res["metrics"]["errors"] == 1 and res["metrics"]["graded"] == 3
    bad = next(p for p in res["predictions"] if p["id"] == "r3")
    assert bad["pred"] is None and "model timed out" in bad["repeats"][0]["error"]

    def never(transcript: Transcript, item: Item, ledger: Any) -> Any:
        raise RuntimeError("no key")

    with pytest.raises(UserError, match="no key"):
        R.run_grader(rows, never, items={"dash": make_item()}, bootstrap=10)


def test_concurrency_limit_is_respected(tmp_path: Path) -> None:
    rows = load(tmp_path)
    active = peak = 0
    lock = threading.Lock()
    barrier = threading.Barrier(2, timeout=5)

    def tracked(transcript: Transcript, item: Item, ledger: Any) -> Any:
        nonlocal active, peak
        with lock:
            active += 1
            peak = max(peak, active)
        try:
            barrier.wait()  # two workers must be in flight together for this to pass
        except threading.BrokenBarrierError:
            pass
        with lock:
            active -= 1
        return keyword_grader(transcript, item, ledger)

    R.run_grader(rows, tracked, items={"dash": make_item()}, concurrency=2, bootstrap=10)
    assert peak == 2


def test_ledger_costs_are_read(tmp_path: Path) -> None:
    ledger = SimpleNamespace(entries=[{"cost_usd": 0.002, "total_tokens": 100}, {"cost_usd": 0.001, "total_tokens": 50}])
    assert R.ledger_totals(ledger) == (pytest.approx(0.003), 150, 2)
    assert R.ledger_totals(SimpleNamespace(total_cost=lambda: 0.5, total_tokens=10, calls=[1])) == (0.5, 10, 1)
    assert R.ledger_totals(None) == (None, None, None)


def test_bad_rows_name_file_line_and_field(tmp_path: Path) -> None:
    p = tmp_path / "bad.jsonl"
    good = json.dumps(ROWS[0])
    p.write_text(good + "\n" + json.dumps({**ROWS[1], "gold": {"indicators": {}, "rating": "great"}}) + "\n")
    with pytest.raises(InputError) as exc:
        R.load_rows(p)
    assert f"{p}:2" in str(exc.value) and "gold.rating" in str(exc.value)
    p.write_text(good + "\n" + good + "\n")
    with pytest.raises(InputError, match="duplicate row id"):
        R.load_rows(p)
    p.write_text("{not json\n")
    with pytest.raises(InputError, match=":1: not valid JSON"):
        R.load_rows(p)
    rows = load(tmp_path, [row("x", "hi", "meets", {"nope": True})])
    with pytest.raises(InputError, match="not on item"):
        R.run_grader(rows, keyword_grader, items={"dash": make_item()})


def test_report_escapes_and_plots(tmp_path: Path) -> None:
    evil = row("<script>alert(1)</script>", "I ran stakeholder <b>interviews</b>", "meets",
               {"stakeholders": True, "usage": False, "isolation": False}, "inj<ection>")
    rows = load(tmp_path, [*ROWS, evil])
    res = R.run_grader(rows, keyword_grader, items={"dash": make_item()}, bootstrap=10)
    page = render(res)
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "inj&lt;ection&gt;" in page
    assert page.count("<svg") == 3
    svg = confusion_svg([[1, 0, 1], [0, 1, 0], [0, 0, 1]], ["below", "meets", "exceeds"])
    assert svg.count("<rect") == 9 and ">below<" in svg
    assert bars_svg([("a&b", 0.5)], title="t").count("<rect") == 1
    assert "a&amp;b" in bars_svg([("a&b", 0.5)], title="t")


def run_args(**kw: Any) -> argparse.Namespace:
    base = {"dataset": None, "engine": None, "repeats": 1, "out": None, "concurrency": 2}
    base.update(kw)
    return argparse.Namespace(**base)


def test_cmd_run_writes_results_and_compare_flags_regressions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                              capsys: pytest.CaptureFixture[str]) -> None:
    ds = tmp_path / "ds.jsonl"
    ds.write_text("\n".join(json.dumps(r) for r in ROWS) + "\n")
    monkeypatch.setattr(R, "library_items", lambda: {"dash": make_item()})
    monkeypatch.setattr(R, "BOOTSTRAP", 20)

    a = tmp_path / "a"
    assert C.cmd_run(run_args(dataset=str(ds), out=str(a)), grade_fn=keyword_grader) == 0
    out = capsys.readouterr().out
    assert "indicator macro-F1" in out and "pass · buzzword" in out
    data = json.loads((a / "results.json").read_text())
    assert data["kind"] == "grader" and len(data["predictions"]) == 4
    assert (a / "report.html").read_text().startswith("<!doctype html>")

    def smarter(transcript: Transcript, item: Item, ledger: Any) -> Any:
        g = keyword_grader(transcript, item, ledger)
        if "!" in transcript.turns[-1].text:  # sees through the buzzwords
            g.rating = "below"
            for i in g.indicators:
                i.present = False
        return g

    b = tmp_path / "b"
    assert C.cmd_run(run_args(dataset=str(ds), out=str(b)), grade_fn=smarter) == 0
    capsys.readouterr()

    # a -> b is an improvement: exit 0, the buzzword row now passes
    assert C.cmd_compare(argparse.Namespace(run_a=str(a), run_b=str(b), margin=0.02)) == 0
    text = capsys.readouterr().out
    assert "rows now passing (1): r4" in text and "no regression" in text
    # b -> a is a regression beyond the margin: exit 1
    assert C.cmd_compare(argparse.Namespace(run_a=str(b), run_b=str(a), margin=0.02)) == 1
    text = capsys.readouterr().out
    assert "REGRESSION" in text and "rows now failing (1): r4" in text
    # a large enough margin tolerates it
    assert C.cmd_compare(argparse.Namespace(run_a=str(b), run_b=str(a), margin=1.5)) == 0


def test_compare_bad_input_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.cli.main import main

    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "results.json").write_text("[1, 2]")
    assert main(["eval", "compare", str(junk), str(tmp_path / "missing")]) == 2
    assert "mockpanel:" in capsys.readouterr().err
    assert main(["eval", "run", str(tmp_path / "nope.jsonl")]) == 2


def test_dataset_kinds(tmp_path: Path) -> None:
    (tmp_path / "rows").mkdir()
    (tmp_path / "rows" / "a.jsonl").write_text("")
    assert R.dataset_kind(tmp_path / "rows") == "grader"
    (tmp_path / "probes").mkdir()
    (tmp_path / "probes" / "p.yaml").write_text("")
    assert R.dataset_kind(tmp_path / "probes") == "probes"
    assert R.dataset_kind(tmp_path / "x.jsonl") == "grader"
