"""The grader's dev set: the validator catches stale labels, and the shipped files pass it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from grader_fixtures import ITEM, MEETS_ANSWER, transcript

from evals import devset
from simulator.content.library import Library
from simulator.core.errors import InputError


def _row(**over: object) -> dict[str, object]:
    row: dict[str, object] = {
        "id": "r1",
        "transcript": json.loads(transcript(*MEETS_ANSWER).to_json()),
        "gold": {"indicators": {i.id: False for i in ITEM.indicators}, "rating": "meets"},
        "family": "normal",
        "level": "mid",
    }
    row.update(over)
    return row


def _write(tmp_path: Path, *rows: dict[str, object]) -> Path:
    path = tmp_path / "rows.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


LIB = Library(items={ITEM.id: ITEM})


def test_a_good_row_loads(tmp_path: Path) -> None:
    rows = devset.load(_write(tmp_path, _row()), LIB)
    assert len(rows) == 1 and rows[0].gold.rating == "meets"


def test_missing_or_extra_indicator_is_an_error_with_file_and_line(tmp_path: Path) -> None:
    labels = {i.id: False for i in ITEM.indicators[1:]} | {"renamed": True}
    path = _write(tmp_path, _row(), _row(id="r2", gold={"indicators": labels, "rating": "below"}))
    with pytest.raises(InputError) as exc:
        devset.load(path, LIB)
    msg = str(exc.value)
    assert f"{path}:2" in msg and "gold.indicators" in msg
    assert ITEM.indicators[0].id in msg and "renamed" in msg


@pytest.mark.parametrize(
    ("over", "field"),
    [
        ({"gold": {"indicators": {}, "rating": "great"}}, "gold.rating"),
        ({"family": "mystery"}, "family"),
        ({"transcript": {"item": "no-such-item", "turns": [{"speaker": "candidate", "text": "hi"}]}}, "transcript.item"),
        ({"transcript": {"item": ITEM.id, "turns": [{"speaker": "interviewer", "text": "hi"}]}}, "transcript.turns"),
    ],
)
def test_bad_rows_name_the_field(tmp_path: Path, over: dict[str, object], field: str) -> None:
    with pytest.raises(InputError, match=field.replace(".", r"\.")):
        devset.load(_write(tmp_path, _row(**over)), LIB)


def test_duplicate_ids_are_an_error(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="duplicate row id"):
        devset.load(_write(tmp_path, _row(), _row()), LIB)


def test_shipped_dev_and_heldout_sets_validate_and_cover_every_family() -> None:
    dev, held = devset.load_all()
    assert len(dev) + len(held) >= 60
    assert 0.25 <= len(held) / (len(dev) + len(held)) <= 0.35
    for rows in (dev, held):
        assert {r.gold.rating for r in rows} == {"exceeds", "meets", "below"}
    assert {r.family for r in dev} == set(devset.CORE_FAMILIES)
    assert {r.family for r in held} == set(devset.CORE_FAMILIES)
    assert len({r.transcript.item for r in dev + held}) >= 5


def test_thresholds_are_data_the_engine_reads() -> None:
    from simulator.grading.semantic import params
    from simulator.grading.verdict import THRESHOLDS_PATH, load_thresholds

    data = json.loads(THRESHOLDS_PATH.read_text(encoding="utf-8"))
    assert params()["positive"] == data["semantic"]["positive"]
    assert load_thresholds()["rating"] == data["rating"]
    assert data["calibration"]["heldout"]["rows"] > 0


HARD_BELOW = ("buzzword", "persona-supplied", "empty", "off-topic", "evasive")


def test_hard_cases_in_the_shipped_set_are_not_fooled() -> None:
    """On the real items: stuffing, agreeing, evading, or saying nothing is below; a note to the
    grader is flagged and grading without it gives the same verdicts."""
    from simulator.content.library import load_library
    from simulator.core.transcript import Transcript
    from simulator.grading.grader import grade
    from simulator.grading.verdict import is_injection

    lib = load_library()
    dev, held = devset.load_all(lib)
    checked = 0
    for row in dev + held:
        item = lib.items[row.transcript.item]
        if row.family in HARD_BELOW:
            g = grade(row.transcript, item, engine="semantic", library=lib)
            assert g.rating == "below", row.id
            checked += 1
        elif row.family == "injection":
            g = grade(row.transcript, item, engine="semantic", library=lib)
            assert "injection" in g.flags, row.id
            clean = Transcript.model_validate({**row.transcript.model_dump(), "turns": [
                t.model_dump() for t in row.transcript.turns if not (t.is_candidate and is_injection(t.text))]})
            g2 = grade(clean, item, engine="semantic", library=lib)
            assert g2.rating == g.rating, row.id
            assert [(v.id, v.present) for v in g.indicators] == [(v.id, v.present) for v in g2.indicators], row.id
            assert "injection" not in g2.flags
            checked += 1
    assert checked >= 15


def test_cross_validation_scores_left_out_folds_of_dev_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """`--cv` judges a grid on dev alone: every fold is searched without the rows it is scored on."""
    from evals import calibrate
    from simulator.content.library import load_library
    from simulator.grading.semantic import DEFAULTS

    lib = load_library()
    dev, held = devset.load_all(lib)
    small = {**calibrate.GRID, "positive": [0.35, 0.45], "negative": [0.55, 0.65], "margin": [0.1],
             "neg_margin": [0.1], "topic_margin": [0.1], "negation_penalty": [0.1]}
    monkeypatch.setattr(calibrate, "GRID", small)
    searched: list[set[str]] = []
    real_search = calibrate.search

    def spy(rows, items, base):  # type: ignore[no-untyped-def]
        searched.append({r.id for r in rows})
        return real_search(rows, items, base)

    monkeypatch.setattr(calibrate, "search", spy)
    rows = dev[:9]
    out = calibrate.cross_validate(rows, lib.items, dict(DEFAULTS), 3)
    assert out["folds"] == 3 and 0.0 <= out["macro_f1"] <= 1.0 and 0.0 <= out["rating_agreement"] <= 1.0
    assert len(searched) == 3 and all(len(s) == 6 for s in searched)
    assert set().union(*searched) == {r.id for r in rows}  # each row is left out exactly once
    assert not set().union(*searched) & {r.id for r in held}
    with pytest.raises(ValueError):
        calibrate.cross_validate(rows, lib.items, dict(DEFAULTS), 1)
