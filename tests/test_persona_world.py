"""Personas that listen (issue #12): a world per persona with disclosure rules, what a message
asks mapped to one piece of knowledge or to none, honest answers, no repeated lines, commands as
notes, and the LLM reply check against the world. Offline voice, in-memory store, virtual clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from simulator.content.library import load_library
from simulator.core.errors import InputError
from simulator.dialogue import intent
from simulator.practice.session import COACH, Session
from simulator.storage import open_store

LIB = load_library()
WORK_SIM = next(i.id for i in LIB.items.values() if "jordan-lee" in i.personas)
HIDDEN = {c.id for c in LIB.persona("jordan-lee").constraints}


def _jordan(seed: int = 0) -> Session:
    s = Session.start(WORK_SIM, store=open_store(":memory:"), clock="virtual", seed=seed)
    s.opening()
    return s


def _acts(turns: list[Any]) -> list[tuple[str, str | None]]:
    return [(m["act"], m.get("id")) for t in turns for m in (t.meta.get("plan") or {}).get("moves", [])]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_an_unrelated_question_with_a_constraint_word_gets_the_world_not_the_secret(seed: int) -> None:
    s = _jordan(seed)
    acts = _acts(s.respond("What's your team size? How many engineers and PMs are on the recommendations feature?"))
    assert ("tell", "team") in acts
    assert not [a for a in acts if a[0] == "disclose"], acts
    assert "latency" not in s.transcript().turns[-1].text.lower()


@pytest.mark.parametrize("question,fact", [
    ("How do users feel about the current autocomplete?", "current-autocomplete"),
    ("What decision will this pilot feed into?", "decision"),
    ('What does "developer productivity" mean to you?', "productivity-meaning"),
    ("Who signs off on the launch?", "stakeholders"),
])
def test_world_questions_are_answered_from_the_world(question: str, fact: str) -> None:
    acts = _acts(_jordan().respond(question))
    assert ("tell", fact) in acts
    assert ("unknown", None) not in acts


def test_asked_for_everything_she_names_subjects_never_facts_and_never_denies() -> None:
    s = _jordan()
    for _ in range(3):
        turns = s.respond("Is there anything else I should know?")
        acts = _acts(turns)
        assert ("inventory", None) in acts and ("unknown", None) not in acts
        assert not [a for a in acts if a[0] == "disclose"]
    for q in ("How much traffic can the experiment get?", "Is engineering worried about latency from the LLM calls?",
              "How noisy is the historical data on developer session lengths?"):
        assert [a for a in _acts(s.respond(q)) if a[0] == "disclose"]
    assert ("recap", None) in _acts(s.respond("Tell me every constraint."))


def test_a_dismissed_constraint_gets_a_gentle_push_back_every_time() -> None:
    s = _jordan()
    assert ("pushback", "api-latency") in _acts(s.respond("Latency won't matter much."))
    assert ("pushback", "api-latency") in _acts(s.respond("Honestly, latency won't matter much."))


@pytest.mark.parametrize("line", [
    "We don't need a long test, the noise will average out in a week.",  # no regex cue: the act examples
    "If it gets a bit slower, meh, the suggestions are worth it.",
    "Two weeks is plenty. We're not extending past that, whatever the data looks like.",
    "ok so we'll just ship it to all users anyway and watch the dashboard",  # the "ok so" says nothing
    "Does anyone really care about a few hundred milliseconds, though?",  # a question that asks nothing
    "Two weeks. That's it. We're not extending.",  # no sentence alone: the statements read together
])
def test_waving_a_concern_away_in_any_words_gets_a_push_back(line: str) -> None:
    assert "pushback" in [a for a, _ in _acts(_jordan().respond(line))]


@pytest.mark.parametrize(("text", "fact"), [
    ("Model-call budget. Number, please.", "budget"),  # "Number, please." asks with the sentence beside it
    ("Traffic ceiling.", "traffic-cap"),                 # a bare name of something she knows asks for it
    ("Pilot costs. Who pays.", "budget"),                # fragments, no question mark: one question
    ("Team. Headcount.", "team"),
])
def test_terse_requests_without_a_question_mark_are_answered(text: str, fact: str) -> None:
    acts = _acts(_jordan().respond(text))
    assert any(a[1] == fact and a[0] in ("tell", "disclose") for a in acts), acts


@pytest.mark.parametrize("text", ["Makes sense.", "Fair enough.", "Two weeks."])
def test_a_short_reply_that_names_nothing_she_knows_is_not_a_question(text: str) -> None:
    acts = _acts(_jordan().respond(text))
    assert not [a for a in acts if a[0] in ("tell", "disclose", "unknown", "specify")], acts


def test_asked_for_all_the_constraints_she_names_subjects_and_gives_none() -> None:
    """"What are all the constraints on this experiment?" asks for everything, not for the one
    constraint it happens to sound like; "any constraints on the rollout percentage?" names one."""
    acts = _acts(_jordan().respond("What are all the constraints on this experiment?"))
    assert ("inventory", None) in acts and not [a for a in acts if a[0] == "disclose"], acts
    assert ("disclose", "traffic-cap") in _acts(_jordan().respond("Any constraints on the rollout percentage?"))


def test_a_concern_waved_away_is_met_with_a_line_for_that_not_for_a_plan() -> None:
    """"I like it, but..." answers a plan; "latency won't matter much" gets a push back of its own."""
    waved = LIB.persona("jordan-lee").lines.pushback_waved
    plan_only = set(LIB.persona("jordan-lee").lines.pushback) - set(waved)
    assert waved and plan_only
    for line in ("Latency won't matter much.", "Does anyone really care about a few hundred milliseconds, though?"):
        s = _jordan()
        [reply] = s.respond(line)
        move = next(m for m in reply.meta["plan"]["moves"] if m["act"] == "pushback")
        assert move.get("waved") is True
        assert any(w in reply.text for w in waved) and not any(x in reply.text for x in plan_only), reply.text


@pytest.mark.parametrize("line", [
    "Latency is a real risk, so p95 added latency stays a guardrail under 200 ms.",
    "Acceptance rate is accepted suggestions over suggestions shown, per active coding session.",
    "Got it, engineering is worried about the API latency. Noted.",
])
def test_a_plan_that_respects_the_constraints_gets_no_push_back(line: str) -> None:
    acts = [a for a, _ in _acts(_jordan().respond(line))]
    assert "pushback" not in acts and "clarify" not in acts, acts


def test_a_vague_metric_without_a_vague_word_gets_a_clarifying_question() -> None:
    [reply] = _jordan().respond("Let's measure how much devs use the AI thing.")
    assert ("clarify", None) in _acts([reply])
    assert "'how much devs use the AI thing'" in reply.text


def test_a_vague_metric_put_as_a_question_to_confirm_gets_a_clarifying_question() -> None:
    """"..., right?" proposes the metric; a question that only asks what success means does not."""
    assert ("clarify", None) in _acts(_jordan().respond("so more clicks = success, right?"))
    assert ("clarify", None) not in _acts(_jordan().respond("What does success look like for leadership?"))


def test_a_false_premise_about_her_world_is_set_straight() -> None:
    acts = _acts(_jordan().respond("Also, as your users are mostly students doing homework, sessions will be short."))
    assert ("tell", "customers") in acts or "pushback" in [a for a, _ in acts], acts
    assert not [a for a in acts if a[0] == "disclose"]


def test_a_fact_already_told_is_told_again_when_asked_plainly() -> None:
    s = _jordan()
    assert ("tell", "stakeholders") in _acts(s.respond("Who are the stakeholders?"))
    acts = _acts(s.respond("Also, who are the stakeholders here?"))
    assert ("tell", "stakeholders") in acts and ("acknowledge", None) not in acts, acts


def test_a_clarifying_question_is_not_asked_twice_in_the_same_words() -> None:
    s = _jordan(1)
    for line in ("I'd track engagement.", "Let's say productivity goes up.", "Maybe satisfaction overall.",
                 "We'll keep an eye on quality.", "And usage, in general.", "Value, I suppose."):
        s.respond(line)
    said = [intent.normalise(x) for t in s.transcript().turns if not t.is_candidate for x in intent.sentences(t.text)]
    said = [x for x in said if len(x) > 12]
    assert len(said) == len(set(said)), [x for x in said if said.count(x) > 1]


def test_small_talk_and_off_topic_are_not_i_dont_know() -> None:
    s = _jordan()
    assert ("small_talk", None) in _acts(s.respond("Hi Jordan, how are you?"))
    assert ("off_topic", None) in _acts(s.respond("Who won the football last night?"))


@pytest.mark.parametrize(("line", "act"), [
    ("how has the week been treating you?", "small_talk"),
    ("doing ok today?", "small_talk"),
    ("did you get out hiking at all this weekend?", "off_topic"),
    ("are you a tea or a coffee person?", "off_topic"),
])
def test_small_talk_is_not_asking_how_the_candidate_is_doing(line: str, act: str) -> None:
    """The intent encoder learns her `chatter` as a class of its own: a how-are-you or a question
    about her weekend lies nearer it than "how am I doing?" (lines written for this test)."""
    acts = _acts(_jordan().respond(line))
    assert (act, None) in acts and not any(a == "withhold" for a, _ in acts), acts


def test_asked_how_they_are_doing_she_still_declines_to_grade() -> None:
    for line in ("how am I getting on so far?", "honestly, is my plan any good?"):
        assert ("withhold", "candidate-score") in _acts(_jordan().respond(line)), line


def test_no_line_is_said_twice_while_another_is_left() -> None:
    s = _jordan(3)
    for n in range(14):
        s.respond(f"Point {n}: I'm noting that down for the plan.")
    said = [intent.normalise(x) for t in s.transcript().turns if not t.is_candidate for x in intent.sentences(t.text)]
    said = [x for x in said if len(x) > 12]
    assert len(said) == len(set(said)), [x for x in said if said.count(x) > 1]


def test_asked_again_she_says_it_again_without_denying() -> None:
    s = _jordan()
    s.respond("How much traffic can we allocate to this experiment?")
    acts = _acts(s.respond("Sorry, what was the traffic limit again?"))
    assert ("disclose", "traffic-cap") in acts and ("unknown", None) not in acts


def test_hint_and_time_are_notes_and_repeat_says_her_last_line() -> None:
    s = _jordan()
    last = s.transcript().turns[-1].text
    [note] = s.respond("/hint")
    assert note.speaker == COACH and "traffic" in note.text and "5%" not in note.text
    [clock] = s.respond("/time")
    assert clock.speaker == COACH and "left" in clock.text
    [again] = s.respond("/repeat")
    assert again.text == last and again.speaker == "jordan-lee"


def test_two_questions_about_the_round_in_one_sentence_are_both_answered() -> None:
    """"this section" names what it asks about: the clause is read on its own, not as pointing back."""
    from simulator.dialogue.comprehension import Comprehension
    from simulator.dialogue.intent import Matcher

    read = Comprehension.trained(Matcher.shared()).read
    asks = read(LIB.personas["interviewer-ml-deep-dive"], "So how long is this section, and what happens after it?", "", []).asks
    assert {"format", "next-steps"} <= set(asks), asks


def test_an_interviewer_answers_questions_about_the_round_and_the_question_stands() -> None:
    s = Session.start("lead-team-conflict", store=open_store(":memory:"), clock="virtual")
    s.opening()
    acts = _acts(s.respond("Is it fine if I assume the company was a startup?"))
    assert ("tell", "assumptions") in acts and not [a for a in acts if a[0] in ("follow_up", "probe")]
    assert ("withhold", "scoring") in _acts(s.respond("How am I doing so far?"))


def test_a_shared_word_does_not_outrank_the_encoders_clear_choice() -> None:
    """"writes" is one of the team's own words, but the question is about trust (reviewed probes)."""
    acts = _acts(_jordan().respond("Have developers told you whether they actually trust code the AI writes?"))
    assert ("tell", "user-trust") in acts and ("tell", "team") not in acts, acts


@pytest.mark.parametrize("seed", [0, 1, 2, 3])
def test_a_fact_told_again_does_not_open_with_the_same_word_twice(seed: int) -> None:
    s = Session.start("lead-team-conflict", store=open_store(":memory:"), clock="virtual", seed=seed)
    s.opening()
    leads = LIB.persona(LIB.items["lead-team-conflict"].personas[0]).lines.again
    assert leads
    for _ in range(3):
        [t] = s.respond("Is it fine if I assume the company was a startup?")
        for lead in leads:
            if t.text.startswith(lead):
                rest = t.text[len(lead):].split()
                assert rest and rest[0].strip(",.:!").lower() != lead.split()[0].strip(",.:!").lower(), t.text


def test_an_interviewer_greeted_before_the_answer_greets_back_and_waits() -> None:
    s = Session.start("lead-team-conflict", store=open_store(":memory:"), clock="virtual")
    s.opening()
    acts = _acts(s.respond("Hi Hannah, lovely to meet you."))
    assert ("small_talk", None) in acts and not [a for a in acts if a[0] in ("follow_up", "probe")]


def test_an_llm_reply_with_a_figure_the_world_does_not_hold_is_caught() -> None:
    s = _jordan()
    [t] = s.respond("How big is the team?")
    from simulator.dialogue.plan import Plan

    plan = Plan.load(t.meta["plan"])
    assert s.director.check("We have four engineers, a designer and me.", plan)["ok"]
    bad = s.director.check("We have 35 engineers and a 10% traffic cap.", plan)
    assert not bad["ok"] and "35" in bad["invented"] and "traffic-cap" in bad["leaks"]


def test_a_probe_line_of_an_unknown_kind_is_a_one_line_error(tmp_path: Path) -> None:
    from evals.probes import load_probes

    f = tmp_path / "p.yaml"
    f.write_text(f"probes:\n  - id: x\n    item: {WORK_SIM}\n    persona: jordan-lee\n    turns:\n"
                 "      - say: hi\n        kind: chit-chat\n")
    with pytest.raises(InputError) as exc:
        load_probes(f, LIB)
    assert "kind" in str(exc.value) and "chit-chat" in str(exc.value)


@pytest.mark.parametrize("split", ["reviewed", "reviewed-3", "dev"])
def test_probe_sets_hold_the_hard_lines(split: str) -> None:
    """Probes written by others (blind: by someone who never saw the persona files or the engine,
    and never read for tuning; reviewed: an earlier blind set whose failures were read): no hidden
    fact before it is asked, no do-not broken, no line repeated unasked, no invented figure."""
    from evals.probes import run_probes

    m = run_probes(Path(__file__).parents[1] / "evals" / "data" / "probes" / split, lib=LIB)["metrics"]
    assert m["leaks"] == 0 and m["do_not_violations"] == 0 and m["repeated_lines"] == 0
    assert m["invented_facts"] == 0


def test_personas_show_lists_the_world_with_its_disclosure_rules(capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.cli.main import main

    assert main(["personas", "show", "jordan-lee"]) == 0
    out = capsys.readouterr().out
    assert "Their world" in out and "the team building the feature  [free]" in out
    assert "how the candidate is doing  [never]" in out
    assert "5%" not in out.split("Their world")[1].split("Tensions")[0]  # topics, never the facts


@pytest.mark.parametrize("question", ["sory, whats the budjet for the AI calls", "u mean the budjet is fixd?"])
def test_a_question_with_typos_is_read_as_if_spelt_right(question: str) -> None:
    s = _jordan()
    acts = _acts(s.respond(question))
    assert ("tell", "budget") in acts, acts
    assert s.transcript().turns[-2].text == question  # what is kept is what was typed


def test_asked_for_the_answer_she_declines_in_the_words_of_what_she_will_not_give() -> None:
    p = LIB.persona("jordan-lee")
    acts = _acts(_jordan().respond("Just tell me which duration you'd pick for the test."))
    assert ("withhold", "design-answer") in acts, acts
    assert not [a for a in acts if a[0] == "disclose"]
    assert any(k.id == "design-answer" and k.disclosure == "never" for k in p.knowledge())


def test_a_list_of_questions_gets_each_world_fact_but_a_hidden_one_only_as_before() -> None:
    """Each question of a list may ask a world fact; a hidden constraint is heard only from the
    clause as a whole, as before the list was cut (cut up, a piece let one through unasked)."""
    acts = _acts(_jordan().respond("ok so who's building this, what the recommendations do, and what decision this feeds into?"))
    assert {("tell", "team"), ("tell", "decision")} <= set(acts), acts
    from simulator.dialogue.comprehension import Comprehension
    from simulator.dialogue.intent import Matcher

    comp = Comprehension.trained(Matcher.shared())
    jordan = LIB.persona("jordan-lee")
    k, _, _ = comp.best(jordan, "how much traffic can the experiment get?", "", world_only=True)
    assert k is None or not k.hidden


@pytest.mark.parametrize("again", ["Again?", "Sorry?", "Come again?", "sorry, say that again please",
                                   "Please restate what you just said. I want to get it down right.",
                                   "Sorry, could you say that bit once more, my notes are a mess",  # a reason after it
                                   "Um, can you say it one more time? The call cut out."])
def test_a_bare_request_to_hear_it_again_gets_what_she_last_told(again: str) -> None:
    """What her last line told, told again; a line that told nothing, once more word for word."""
    s = _jordan()
    s.respond("How much traffic can the experiment get?")
    [reply] = s.respond(again)
    [move] = reply.meta["plan"]["moves"]
    assert (move["act"], move["id"], move.get("again")) == ("disclose", "traffic-cap", True)
    assert "5%" in reply.text
    [said] = s.respond("Latency won't matter much.")
    [reply] = s.respond(again)
    assert ("repeat", None) in _acts([reply]) and reply.text == said.text


def test_a_concern_waved_away_in_a_tag_question_gets_a_push_back_not_the_fact() -> None:
    """"..., right?" on a statement that waves a concern away asks nothing: she pushes back and
    keeps the constraint (a premise put to confirm, "correct me if that's wrong", gets the fact)."""
    acts = _acts(_jordan().respond("Latency is a solved problem in 2024, it's all edge compute now, right?"))
    assert ("pushback", "api-latency") in acts and not [a for a in acts if a[0] == "disclose"], acts
    acts = _acts(_jordan().respond("I'm proceeding on the assumption that the historical usage data is consistent "
                                   "enough for a standard two-week test. Please correct me if that's wrong."))
    assert ("disclose", "session-variance") in acts, acts


@pytest.mark.parametrize(("text", "fact"), [
    ("Sorry, how big a share of users can the test get?", "traffic-cap"),
    ("Um, sorry, what is it the engineers are worried about?", "api-latency"),
    ("Sorry sorry, what does the old usage data look like?", "session-variance"),
])
def test_an_apology_before_a_question_does_not_hide_it(text: str, fact: str) -> None:
    """"Sorry, ..." or "um," opening a question: the same question without it."""
    assert ("disclose", fact) in _acts(_jordan().respond(text)), text


@pytest.mark.parametrize(("text", "asked", "fact"), [
    ("Response times? Meh. Nobody notices a few hundred milliseconds.",
     "Response times? Is that what engineering is worried about?", "api-latency"),
    ("Usage history? Doesn't matter, two weeks is always enough.",
     "Usage history? What does it look like?", "session-variance"),
    ("Exposure limits? Nah, not a problem, we just send everyone.",
     "Exposure limits? How much of the traffic can the test get?", "traffic-cap"),
])
def test_a_bare_question_the_candidate_answers_by_waving_it_away_asks_nothing(text: str, asked: str, fact: str) -> None:
    """"Latency? Don't care.": the candidate's own answer makes the question a dismissal; she pushes
    back and keeps the constraint. The same bare question followed by a real one is told."""
    acts = _acts(_jordan().respond(text))
    assert ("pushback", fact) in acts and not [a for a in acts if a[0] == "disclose"], acts
    assert ("disclose", fact) in _acts(_jordan().respond(asked)), asked


@pytest.mark.parametrize(("text", "fact"), [
    ("Since every developer can be in the pilot, I'll split fifty-fifty from day one. Is that a fair assumption?", "traffic-cap"),
    ("Since engineering has no worries about performance, I'm not bothering with a latency guardrail, yeah? "
     "Or am I talking rubbish?", "api-latency"),  # a tag, then put up to be corrected
    ("We'll assume usage is flat across developers, so two weeks will do. Is my understanding of the data correct?",
     "session-variance"),
])
def test_a_premise_put_up_to_be_corrected_gets_the_fact(text: str, fact: str) -> None:
    """Beyond a bare tag: "is that a fair assumption?", "or am I talking rubbish?", "is my
    understanding of the data correct?" ask her to set it right, tag or not."""
    assert ("disclose", fact) in _acts(_jordan().respond(text))


@pytest.mark.parametrize(("text", "fact"), [
    ("I'd also want to know whether engineering has raised any risks in relation to this feature.", "api-latency"),
    ("If it is not too much trouble, I was wondering, perhaps, whether there might be some limit on how many "
     "users we are permitted to include in this kind of trial.", "traffic-cap"),
    ("I want the hard limit on enrolment first.", "traffic-cap"),  # a want that names what is to be told
    ("It would be really useful to understand how much session lengths vary between developers.", "session-variance"),
])
def test_a_question_put_as_a_statement_is_answered(text: str, fact: str) -> None:
    assert ("disclose", fact) in _acts(_jordan().respond(text))


def test_a_question_before_a_recorded_answer_is_answered_not_taken_as_the_answer() -> None:
    """Application screen, video step: "could you clarify the format...?" gets the step's own words
    and time again, and the step waits for the answer; the answer then completes it."""
    s = Session.start("ds2-video-ab-test-risk", store=open_store(":memory:"), clock="virtual", seed=0)
    s.opening()
    acts = [a for a, _ in _acts(s.respond("Before I record, could you clarify the format: is it a single take, "
                                          "and what is the time limit?"))]
    assert acts == ["ask", "timed"] and not s.finished
    s.respond("I'd tell the PM the lift is promising but not significant yet, so launching now risks shipping "
              "noise; I'd extend the test two weeks and stage the rollout behind guardrails.")
    assert s.finished


@pytest.mark.parametrize("thanks", ["Thanks, that's really useful.", "Cheers for that, Jordan.", "Perfect, thank you!",
                                    "ok thx", "Much appreciated."])  # written for this test
def test_thanks_midway_gets_a_youre_welcome_not_a_greeting(thanks: str) -> None:
    s = _jordan()
    s.respond("Who is building the feature?")
    turns = s.respond(thanks)
    assert _acts(turns) == [("thanks", None)]
    jordan = LIB.persona("jordan-lee")
    assert turns[-1].text in jordan.lines.thanks and turns[-1].text not in jordan.lines.small_talk


def test_a_greeting_is_still_greeted_and_thanks_with_a_question_gets_the_answer() -> None:
    s = _jordan()
    assert _acts(s.respond("Hi Jordan, nice to meet you.")) == [("small_talk", None)]
    assert ("tell", "team") in _acts(s.respond("Thanks. Who is building the feature?"))
    interviewer = next(i.id for i in LIB.items.values() if i.kind == "behavioural")
    s = Session.start(interviewer, store=open_store(":memory:"), clock="virtual", seed=0)
    s.opening()
    assert _acts(s.respond("Thanks, that's helpful."))[0] == ("thanks", None)


@pytest.mark.parametrize("line", ["Is there a canteen on site, by the way?", "Which VPN client does the company use?",
                                  "Do you have a favourite hiking trail?"])  # written for this test
def test_an_interviewer_brings_an_unrelated_question_back_not_hands_it_back(line: str) -> None:
    """Not "I'd rather hear how you'd approach it": the question is not about the problem."""
    interviewer = next(i.id for i in LIB.items.values() if i.kind == "behavioural")
    s = Session.start(interviewer, store=open_store(":memory:"), clock="virtual", seed=0)
    s.opening()
    assert ("off_topic", None) in _acts(s.respond(line))


def test_an_interviewer_asked_how_the_candidate_is_doing_still_hands_it_back() -> None:
    interviewer = next(i.id for i in LIB.items.values() if i.kind == "behavioural")
    s = Session.start(interviewer, store=open_store(":memory:"), clock="virtual", seed=0)
    s.opening()
    acts = [a for a, _ in _acts(s.respond("Am I doing alright so far?"))]
    assert "off_topic" not in acts and {"deflect", "withhold"} & set(acts)


@pytest.mark.parametrize("text", [
    "And who is it meant for?",
    "Who else is in that meeting?",
    "So who gets a seat in the room when it's decided?",
])
def test_a_plain_question_that_names_no_constraint_is_never_pushed_back_on(text: str) -> None:
    """A short "who...?" lies near the dismissals to the act reader; waving a concern away needs a
    concern's subject, so it is read as a question, not met with "I wouldn't wave that away"."""
    acts = _acts(_jordan().respond(text))
    assert not [a for a in acts if a[0] == "pushback"], acts


@pytest.mark.parametrize(("text", "fact"), [
    ("morning jordan ☕ how big a slice of traffic can the test get", "traffic-cap"),
    ("ok focus mode 🤓 what's engineering worried about with this thing", "api-latency"),
])
def test_an_emoji_between_a_greeting_and_a_question_does_not_hide_it(text: str, fact: str) -> None:
    assert ("disclose", fact) in _acts(_jordan().respond(text)), text


def test_a_question_put_again_as_a_correction_is_asked() -> None:
    """"No, sorry. I meant how many...": a statement in form, a question in fact."""
    s = _jordan()
    s.respond("How large is it?")
    acts = _acts(s.respond("No, sorry, wrong word. I meant how many of our users can be put into the experiment."))
    assert ("disclose", "traffic-cap") in acts, acts


@pytest.mark.parametrize(("before", "text", "fact"), [
    ("Who on the engineering side knows this feature best?", "What were they nervous about when it was proposed?", "api-latency"),
    ("How much of our traffic can the pilot get?", "Does that apply to every experiment, or only new ones?", "traffic-cap"),
    ("What does the historical data on session lengths look like?", "Is it a normal distribution, or does it have a long tail?",
     "session-variance"),
])
def test_a_follow_up_that_leans_on_the_question_before_is_read_with_it(before: str, text: str, fact: str) -> None:
    """"What were they nervous about?" after a question about the engineers asks what worries them;
    "does that apply to every experiment?" after the traffic question presses on the cap. Alone, the
    first reads as what users said, the others as too vague to answer."""
    s = _jordan()
    s.respond(before)
    acts = _acts(s.respond(text))
    assert fact in {kid for act, kid in acts if act == "disclose"}, acts


@pytest.mark.parametrize(("before", "text"), [
    ("How do users feel about the autocomplete they have now?", "Any plans for the holidays?"),
    ("What's engineering worried about?", "Side question, how slow is the office wifi these days?"),
    ("What budget is there for the model calls?", "Is there anything else I should know about?"),
])
def test_a_question_that_changes_the_subject_does_not_ride_on_the_one_before(before: str, text: str) -> None:
    s = _jordan()
    first = {kid for _, kid in _acts(s.respond(before)) if kid}
    again = {kid for act, kid in _acts(s.respond(text)) if act in ("tell", "disclose")}
    assert not first & again, (first, again)


@pytest.mark.parametrize("text", [
    "Should the pilot run for two weeks or four? You decide.",
    "I keep going back and forth on the guardrail. Your call.",
    "Okay, enough from me on the split, just give me your number.",
    "haha ok be honest, am i doing alright so far?",
])
def test_the_decision_handed_back_in_so_many_words_is_declined(text: str) -> None:
    """"Your call.", "you decide", "give me your number": a request for the answer without a
    question word; she declines it (the design, or how the candidate is doing), never tells it."""
    acts = _acts(_jordan().respond(text))
    assert [a for a in acts if a[0] == "withhold"], acts


@pytest.mark.parametrize("text", ["Can you tell me what the budget is?", "Your call volume must be huge."])
def test_asking_to_be_told_or_naming_calls_is_no_request_for_the_answer(text: str) -> None:
    assert not intent.asks_for_answer(text)


@pytest.mark.parametrize("again", [
    "Sorry, the last bit you said, could you say it once more?",
    "Could you go back over the last point you made?",
])
def test_asked_for_the_last_thing_she_said_she_says_it_again(again: str) -> None:
    s = _jordan()
    assert ("tell", "team") in _acts(s.respond("How big is the team building this?"))
    acts = _acts(s.respond(again))
    assert ("tell", "team") in acts, acts


def test_a_part_named_to_hear_again_is_said_again_whatever_else_it_sounds_like() -> None:
    """"The bit about session lengths, say it again please?": what she told, not a push back or chatter."""
    s = _jordan()
    s.respond("What does the historical data on session lengths look like?")
    acts = _acts(s.respond("The bit about session lengths, say it again please?"))
    assert ("disclose", "session-variance") in acts and not [a for a in acts if a[0] in ("pushback", "off_topic")], acts


@pytest.mark.parametrize("text", ["Anything I've overlooked?", "Any other restrictions I haven't asked about?"])
def test_asked_what_they_missed_she_names_subjects(text: str) -> None:
    acts = _acts(_jordan().respond(text))
    assert any(a[0] == "inventory" for a in acts), acts


def test_a_question_about_them_is_read_after_the_question_before_it_in_the_same_message() -> None:
    """"So the engineers, do they like the plan? What is their worry with it, broadly?": "their" is
    the engineers'; alone, the second question is too vague to answer."""
    acts = _acts(_jordan().respond("So the engineers, do they like the plan? What is their worry with it, broadly?"))
    assert ("disclose", "api-latency") in acts, acts


@pytest.mark.parametrize(("before", "text", "fact"), [
    ("What have testers said about the AI suggestions so far?", "And the engineering folks?", "api-latency"),
    ("How do testers feel about the AI suggestions? Any complaints?", "Fair. What about the engineers, then?", "api-latency"),
    ("What have testers said about the AI suggestions so far?", "And engineering? What's their big complaint?", "api-latency"),
])
def test_the_question_before_asked_of_a_new_subject_is_asked(before: str, text: str, fact: str) -> None:
    """"And the engineers?" after what users said asks what the engineers said: the question before,
    its subject swapped. Alone it reads as the team (lines written for this test)."""
    s = _jordan()
    s.respond(before)
    acts = _acts(s.respond(text))
    assert ("disclose", fact) in acts, acts


@pytest.mark.parametrize(("before", "text"), [
    ("What have testers said about the AI suggestions so far?", "And the weather over there?"),
    ("Who decides whether this launches?", "What about lunch?"),
])
def test_a_new_subject_the_question_before_cannot_take_asks_nothing_of_it(before: str, text: str) -> None:
    s = _jordan()
    s.respond(before)
    acts = _acts(s.respond(text))
    assert not [a for a in acts if a[0] in ("tell", "disclose")], acts


@pytest.mark.parametrize("text", ["Is that a strict cap?", "Is that fixed, or could it change?"])
def test_a_fact_pressed_is_the_fact_the_question_before_asked(text: str) -> None:
    """"Is that a strict cap?" after the budget question presses on the budget: not off the topic (what
    it reads as alone), and not the traffic cap."""
    s = _jordan()
    assert ("tell", "budget") in _acts(s.respond("Is there money set aside for the model calls?"))
    acts = _acts(s.respond(text))
    assert ("tell", "budget") in acts and not [a for a in acts if a[0] == "disclose"], acts


@pytest.mark.parametrize("text", ["Is there a limit on that?", "Is that a hard cap, or is there wiggle room?"])
def test_a_plain_question_on_what_was_just_asked_presses_it_not_waves_it_away(text: str) -> None:
    """Alone, "Is there a limit on that?" reads near the dismissals and would get a push back on all
    three constraints; after the budget question it asks about the budget."""
    s = _jordan()
    s.respond("Is there money set aside for the model calls?")
    acts = _acts(s.respond(text))
    assert ("tell", "budget") in acts and "pushback" not in [a for a, _ in acts], acts


def test_a_question_about_what_they_feared_is_asked_not_waved_away() -> None:
    s = _jordan()
    s.respond("Which engineers are closest to the feature?")
    acts = _acts(s.respond("What were they worried about back when it got pitched?"))
    assert ("disclose", "api-latency") in acts and ("pushback", None) not in acts, acts


def test_a_word_corrected_with_a_star_is_read_corrected() -> None:
    assert intent.mended("What dies the pilot decide? *does") == "What does the pilot decide?"
    assert intent.mended("I *really* mean it") == "I *really* mean it"
    assert ("tell", "decision") in _acts(_jordan().respond("What dies the pilot decide at the end? *does"))


@pytest.mark.parametrize(("item", "text"), [
    ("lead-team-conflict", "Would you rather one long story, or two shorter examples?"),
    ("lead-team-conflict", "Should I tell it as a STAR story or just as it happened?"),
    ("ds2-presentation-ambiguous-metrics", "Shall I go through every slide, or jump to the metrics?"),
])
def test_offered_ways_to_answer_the_interviewer_says_how_the_round_runs(item: str, text: str) -> None:
    """"One story or two?" asks how the round runs, not for the answer (lines written for this test)."""
    s = Session.start(item, store=open_store(":memory:"), clock="virtual", seed=0)
    s.opening()
    acts = _acts(s.respond(text))
    assert ("tell", "format") in acts and "withhold" not in [a for a, _ in acts], acts


def test_before_i_answer_asks_about_the_round_not_for_the_answer() -> None:
    """"Before I answer, how does this part work?": the models read "answer" as a request for one."""
    s = Session.start("lead-team-conflict", store=open_store(":memory:"), clock="virtual", seed=0)
    s.opening()
    assert ("tell", "format") in _acts(s.respond("Before I answer, how does this part of the interview work?"))


def test_a_choice_of_design_is_still_the_candidates_to_make() -> None:
    s = Session.start("ds2-coding-churn-model", store=open_store(":memory:"), clock="virtual", seed=0)
    s.opening()
    acts = [a for a, _ in _acts(s.respond("Should I use gradient boosting or logistic regression here?"))]
    assert "tell" not in acts and {"withhold", "deflect"} & set(acts), acts
    assert intent.offers_how_to_answer("Should I give one example, or two?")
    assert not intent.offers_how_to_answer("Can I assume a read-heavy load, or should I talk through both?")


def test_a_dismissal_tagged_in_french_is_pushed_back_on() -> None:
    acts = _acts(_jordan().respond("Latency, the engineers can tune that later, non ?"))  # without the tag: a disclosure
    assert "pushback" in [a for a, _ in acts], acts


@pytest.mark.parametrize(("item", "text"), [
    (WORK_SIM, "Be straight with me, did I mess that up?"),
    (WORK_SIM, "Was that a pass, or am I way off?"),
    ("lead-team-conflict", "Did I do okay with that one?"),
    ("ds2-presentation-ambiguous-metrics", "So, did I convince you?"),
])
def test_asked_how_they_did_every_persona_declines_to_say(item: str, text: str) -> None:
    """A candidate asking to be judged gets the persona's "not now" on how they are doing, not a
    question back or "let's stay on topic" (lines written for this test)."""
    s = Session.start(item, store=open_store(":memory:"), clock="virtual", seed=0)
    s.opening()
    acts = [a for a, _ in _acts(s.respond(text))]
    assert "withhold" in acts and not {"off_topic", "tell", "disclose"} & set(acts), acts
    assert not intent.asks_how_they_did("Is it okay if I assume a year of logs?")
    assert not intent.asks_how_they_did("Did I mention the budget?")


def test_an_assumption_put_up_with_a_tag_is_answered_with_the_fact_unless_it_waves_it_away() -> None:
    """"I take it we can put as many users in as we like, yes?" asks to be put right: she says the
    cap. "I'm assuming latency won't matter much, right?" waves a concern away: she pushes back."""
    acts = _acts(_jordan().respond("I take it we can put as many users in the test as we like, yes?"))
    assert ("disclose", "traffic-cap") in acts, acts
    acts = _acts(_jordan().respond("I'm assuming latency won't matter much, right?"))
    assert "pushback" in [a for a, _ in acts] and not [a for a in acts if a[0] == "disclose"], acts


def test_a_negative_put_as_a_question_is_put_right_with_the_fact() -> None:
    """"There's no cap on that?" asks to be corrected: she says the cap. With a tag, "Nobody's going
    to care about latency, right?" waves it away: she pushes back."""
    for text in ("So we'll put everyone in, half and half. There's no cap on that?",
                 "We can roll it to all users straight away. Nothing stopping us there?"):
        assert intent.asks_to_be_corrected(text)
        assert ("disclose", "traffic-cap") in _acts(_jordan().respond(text)), text
    assert not intent.asks_to_be_corrected("Nobody's going to care about latency, right?")
    acts = _acts(_jordan().respond("Nobody's going to care about latency, right?"))
    assert "pushback" in [a for a, _ in acts] and not [a for a in acts if a[0] == "disclose"], acts


def test_even_for_a_smaller_case_presses_the_fact_just_asked_for() -> None:
    """"Even with just one team?" after the traffic question asks the cap again for a smaller case
    (not how big the team is); with nothing asked before it presses nothing (lines written for this test)."""
    s = _jordan()
    s.respond("How much of our traffic could the test get?")
    acts = _acts(s.respond("Even with just one team?"))
    assert ("disclose", "traffic-cap") in acts and ("tell", "team") not in acts, acts
    s = _jordan()
    s.respond("Is there money set aside for the model calls?")
    assert _acts(s.respond("Even for a pilot this small?")) == [("tell", "budget")]
    assert intent.presses_even("What, even with two teams?") and not intent.presses_even("Even better, what does the feature do?")
    assert not [a for a in _acts(_jordan().respond("Even for a small pilot?")) if a[0] in ("disclose", "tell")]
