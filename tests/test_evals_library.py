"""The calibration library: samples, stored interviewer ratings, and agreement by the metric code."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from evals import library as L
from simulator.core.errors import InputError, UserError


def write_samples(root: Path) -> None:
    rows = []
    for n, (rating, ind) in enumerate([("below", {"a": False, "b": False}), ("meets", {"a": True, "b": False}),
                                       ("exceeds", {"a": True, "b": True}), ("meets", {"a": False, "b": True})]):
        rows.append({"id": f"s{n}", "level": "mid", "family": None, "profile": ["weak", "average", "strong", "average"][n],
                     "transcript": {"item": "dash" if n < 3 else "other", "turns": [
                         {"speaker": "interviewer", "text": "Q?"}, {"speaker": "candidate", "text": f"answer {n}"}]},
                     "gold": {"indicators": ind, "rating": rating}, "notes": "reviewed"})
    root.mkdir(parents=True, exist_ok=True)
    (root / "dash.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n")


def test_samples_sorted_and_filtered(tmp_path: Path) -> None:
    write_samples(tmp_path / "cal")
    all_ = L.samples(root=tmp_path / "cal")
    assert [s.id for s in all_] == ["s0", "s1", "s2", "s3"]
    dash = L.samples("dash", root=tmp_path / "cal")
    assert [s.reference.rating for s in dash] == ["below", "meets", "exceeds"]
    assert dash[0].profile == "weak" and dash[0].notes == "reviewed"
    assert L.samples(root=tmp_path / "empty") == []


def test_record_and_agreement_by_hand(tmp_path: Path) -> None:
    root, db = tmp_path / "cal", tmp_path / "sessions.db"
    write_samples(root)
    kw = {"db": db, "root": root}
    # ana agrees with the reference on s0, s1, s2; bo is one off on s1 (first said below, then exceeds)
    L.record_rating("ana", "s0", {"a": False, "b": False}, "below", **kw)
    L.record_rating("ana", "s1", {"a": True, "b": False}, "meets", **kw)
    L.record_rating("ana", "s2", {"a": True, "b": True}, "exceeds", **kw)
    L.record_rating("bo", "s0", {"a": False, "b": True}, "below", **kw)
    L.record_rating("bo", "s1", {"a": True, "b": False}, "below", **kw)
    L.record_rating("bo", "s1", {"a": True, "b": True}, "exceeds", **kw)  # the later rating counts
    ag = L.agreement(**kw)
    ana, bo = ag["with_reference"]["ana"], ag["with_reference"]["bo"]
    assert ana["exact"] == 1.0 and ana["kappa"] == 1.0 and ana["samples"] == 3
    assert ana["indicator"]["agreement"] == 1.0
    # bo vs reference on s0, s1: (below, below), (meets, exceeds): exact 0.5;
    # kappa: p_o = .5, p_e = (1*2 + 1*0 + 0*... )/4: ref [below, meets], bo [below, exceeds] -> p_e = 1/4 -> 1/3
    assert bo["exact"] == 0.5 and bo["kappa"] == pytest.approx(1 / 3)
    # indicators: s0 a agree, b disagree; s1 a agree, b disagree -> 2 of 4
    assert bo["indicator"]["agreement"] == 0.5
    (pair,) = ag["between"]
    assert (pair["a"], pair["b"], pair["samples"]) == ("ana", "bo", 2)
    assert pair["exact"] == 0.5
    only = L.agreement("bo", **kw)
    assert list(only["with_reference"]) == ["bo"] and len(only["between"]) == 1


def test_record_rating_rejects_bad_input(tmp_path: Path) -> None:
    root, db = tmp_path / "cal", tmp_path / "sessions.db"
    write_samples(root)
    kw = {"db": db, "root": root}
    with pytest.raises(InputError, match="no calibration sample"):
        L.record_rating("ana", "nope", {}, "meets", **kw)
    with pytest.raises(InputError, match="rating must be one of"):
        L.record_rating("ana", "s0", {}, "great", **kw)
    with pytest.raises(InputError, match="not rated"):
        L.record_rating("ana", "s0", {"zzz": True}, "meets", **kw)
    with pytest.raises(InputError, match="name"):
        L.record_rating("  ", "s0", {}, "meets", **kw)
    junk = tmp_path / "junk.db"
    junk.write_text("this is not sqlite")
    with pytest.raises(UserError, match="not a SQLite file"):
        L.record_rating("ana", "s0", {}, "meets", db=junk, root=root)


def test_shipped_library_covers_every_seed_item() -> None:
    """Every item with seed indicators has at least three samples at different reference ratings,
    and every sample's labels name exactly the item's applicable indicators."""
    from simulator.content.library import load_library

    lib = load_library()
    shipped = L.samples()
    seeded = [i for i in lib.items.values() if any(ind.source == "seed" for ind in i.indicators)]
    assert seeded, "no seed items in the rubrics"
    for item in seeded:
        mine = [s for s in shipped if s.item == item.id]
        assert len(mine) >= 3, item.id
        assert len({s.reference.rating for s in mine}) >= 3, item.id
        for s in mine:
            expected = {i.id for i in item.indicators_for(s.transcript.variant)}
            assert set(s.reference.indicators) == expected, s.id
