"""Feedback that knows the scenario: which hidden constraints a work simulation's candidate
uncovered and by which question, with turns numbered as the candidate saw them."""

from __future__ import annotations

import json
from functools import cache

from simulator.content.library import load_library
from simulator.core.transcript import Transcript, Turn
from simulator.grading.report import report_html, report_json, report_markdown, scenario_lines
from simulator.grading.scenario import SCENARIO_VERSION, Scenario, item_scenario, scenario_of
from simulator.grading.verdict import Evidence, Feedback, Grade, IndicatorVerdict
from simulator.practice.session import Session
from simulator.storage import open_store

ITEM = "ds2-work-sim-ab-test-ai-recs"
TRAFFIC = "How much traffic can we allocate to this experiment?"
WORRY = "What worries engineering about this feature?"


@cache
def played() -> tuple[Transcript, Scenario]:
    """A Jordan Lee session: small talk, the traffic question, a /hint (a command and the coach's
    note: not in the conversation), the engineering question, then /end."""
    s = Session.start(ITEM, store=open_store(":memory:"), clock="virtual")
    s.opening()
    for line in ["Hi Jordan, thanks. What's your team size?", f"Great. {TRAFFIC} I'd like to size it.", "/hint", WORRY, "/end"]:
        s.respond(line)
    t = s.transcript()
    sc = item_scenario(t, s.lib.items[ITEM], s.lib)
    assert sc is not None
    return t, sc


def test_a_played_session_says_which_hidden_constraints_were_uncovered_and_by_which_question() -> None:
    t, sc = played()
    assert sc.version == SCENARIO_VERSION and sc.item == ITEM
    assert sc.headline == "Hidden constraints uncovered: 2 of 3"
    by_id = {f.id: f for f in sc.facts}
    traffic, worry, history = by_id["traffic-cap"], by_id["api-latency"], by_id["session-variance"]
    assert traffic.uncovered and traffic.question == TRAFFIC  # the asking sentence, not the whole turn
    assert worry.uncovered and worry.question == WORRY
    assert not history.uncovered and history.question is None and history.number is None
    # the candidate's turn before the reply that disclosed it; numbered as the chat showed it
    assert t.turns[traffic.turn].is_candidate and TRAFFIC in t.turns[traffic.turn].text  # type: ignore[index]
    moves = t.turns[traffic.reply_turn].meta["plan"]["moves"]  # type: ignore[index]
    assert {"act": "disclose", "id": "traffic-cap"}.items() <= moves[0].items()
    assert (traffic.turn, traffic.number) == (3, 4)
    assert (worry.turn, worry.number) == (7, 6)  # "/hint" and the coach's note are not in the conversation
    assert Scenario.model_validate_json(sc.model_dump_json()) == sc


def test_no_scenario_for_an_item_whose_personas_hold_no_hidden_constraint() -> None:
    lib = load_library()
    item = next(i for i in lib.items.values() if not any(lib.personas[p].constraints for p in i.personas))
    assert item_scenario(Transcript(item=item.id, turns=[Turn(speaker="candidate", text="Hello.")]), item, lib) is None
    assert scenario_of(Transcript(item="x"), []) is None
    assert scenario_lines(None) == {"headline": [], "uncovered": [], "ask_next": []}


def test_turn_numbers_skip_the_assistant_pane_commands_and_empty_turns() -> None:
    t = Transcript(item="x", turns=[
        Turn(speaker="interviewer", text="Write fit()."),                 # 1
        Turn(speaker="candidate", text="/ai write fit", channel="assistant"),
        Turn(speaker="assistant", text="def fit(): ...", channel="assistant"),
        Turn(speaker="candidate", text="def fit(x): return x", channel="code"),  # 2
        Turn(speaker="candidate", text="/time", channel="command"),
        Turn(speaker="interviewer", text="12 minutes left.", channel="command"),
        Turn(speaker="interviewer", text=""),
        Turn(speaker="candidate", text="It returns x unchanged."),       # 3
    ])
    assert t.shown_numbers() == {0: 1, 3: 2, 7: 3}
    assert [t.turn_label(i) for i in (0, 1, 4, 6, 7, 99)] == [
        "turn 1", "in the assistant pane", "a command", "an empty turn", "turn 3", "turn #99 (not in this transcript)"]
    md = t.to_markdown()
    assert "**3. candidate:**" in md and "**candidate (command):**" in md and "**7." not in md


def test_a_rounds_part_keeps_the_rounds_numbers() -> None:
    def asked(item: str, text: str) -> Turn:
        return Turn(speaker="interviewer", text=text, meta={"plan": {"item": item}})

    t = Transcript(item="a", metadata={"items": ["a", "b"]}, turns=[
        asked("a", "Question A?"), Turn(speaker="candidate", text="Answer A."),
        Turn(speaker="candidate", text="/time", channel="command"),
        asked("b", "Question B?"), Turn(speaker="candidate", text="Answer B."),
    ])
    a, b = t.per_item()
    assert a.shown_numbers() == {0: 1, 1: 2}
    assert b.shown_numbers() == {0: 3, 1: 4}  # not 1 and 2: the round was one conversation
    assert Transcript.model_validate_json(b.to_json()).shown_numbers() == b.shown_numbers()


def _grade(t: Transcript, turn: int, quote: str) -> Grade:
    ev = Evidence(turn=turn, quote=quote)
    return Grade(item=ITEM, variant=None, rating="meets", engine="semantic", model="m", versions={}, reason="r",
                 indicators=[IndicatorVerdict(id="ask", text="Asks targeted questions", polarity="positive", present=True,
                                              evidence=[ev])],
                 feedback=Feedback())


def test_reports_show_the_scenario_and_cite_turns_as_the_candidate_saw_them() -> None:
    t, sc = played()
    item = load_library().items[ITEM]
    g = _grade(t, 7, WORRY)  # stored as the transcript index: unchanged
    md = report_markdown(g, t, item, scenario=sc)
    assert "## Hidden constraints uncovered: 2 of 3" in md
    assert f"you asked \u201c{TRAFFIC}\u201d (turn 4)" in md and f"you asked \u201c{WORRY}\u201d (turn 6)" in md
    assert "Feature flag infrastructure has a 5% traffic cap for new experiments" in md
    assert "Ask Jordan Lee about what the historical usage data looks like." in md
    assert "Historical data shows high variance" not in md  # not uncovered: left for the next attempt
    assert f"  - turn 6: \u201c{WORRY}\u201d" in md and f"**6. candidate:**\n\n{WORRY}" in md
    page = report_html(g, t, item, scenario=sc)
    assert "<h2>Hidden constraints uncovered: 2 of 3</h2>" in page
    assert f"<li>turn 6: \u201c{WORRY}\u201d</li>" in page and "(turn 4)" in page
    assert '<span class="who">6. candidate:</span>' in page
    data = json.loads(report_json(g, t, item, scenario=sc))
    assert data["grade"]["indicators"][0]["evidence"][0]["turn"] == 7  # the stored grade, as it was
    assert data["turn_numbers"]["7"] == 6 and "5" not in data["turn_numbers"]
    assert Scenario.model_validate(data["scenario"]) == sc
    assert json.loads(report_json(g, t, item))["scenario"] is None
