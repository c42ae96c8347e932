"""The director's plan is typed and versioned; sessions saved before versioning still resume."""

from __future__ import annotations

import pytest
from dialogue_fixtures import library

from simulator.core.errors import InputError
from simulator.dialogue.plan import PLAN_VERSION, STATE_VERSION, Plan, upgrade_state
from simulator.practice.session import Session
from simulator.storage import open_store

V1 = {"kind": "persona", "speaker": "pm-test", "persona": "pm-test", "seed": 0, "turn": 1, "channel": "chat",
      "item": "sim-test", "moves": [{"act": "opening"}], "allowed": [], "instructions": "Greet."}


def test_an_unversioned_plan_is_upgraded_on_read() -> None:
    plan = Plan.load(V1)
    assert plan.version == PLAN_VERSION and plan.acts() == ["opening"]
    assert plan.saved()["version"] == PLAN_VERSION and "instructions" not in plan.saved()


def test_a_plan_from_a_newer_mockpanel_or_with_unknown_fields_is_refused() -> None:
    with pytest.raises(InputError, match="newer than this mockpanel"):
        Plan.load({**V1, "version": PLAN_VERSION + 1})
    with pytest.raises(Exception, match="extra"):
        Plan.load({**V1, "surprise": 1})
    with pytest.raises(InputError, match="newer"):
        upgrade_state({"version": STATE_VERSION + 1})
    assert upgrade_state({"turn": 3}) == {"turn": 3, "version": STATE_VERSION}


def test_a_session_saved_by_mockpanel_0_1_resumes(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Pending plans and director state written before versioning (plain dicts) still speak."""
    store = open_store(str(tmp_path / "old.db"))
    s = Session.start("sim-test", store=store, lib=library(), clock="virtual")
    row = store.get(s.id)
    old_state = {k: v for k, v in (row.state or {}).items() if k != "version"}
    s.close()
    store.update(s.id, state=old_state, pending=[V1])
    again = Session.open(s.id, store=store, lib=library(), clock="virtual")
    assert [p.version for p in again.pending] == [PLAN_VERSION]
    turns = again.opening()
    assert turns and turns[0].meta["plan"]["version"] == PLAN_VERSION
    assert again.director.state["version"] == STATE_VERSION
