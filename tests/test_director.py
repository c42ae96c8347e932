"""The director keeps a persona true to its file: facts only when asked, tensions, do-nots, checks."""

from __future__ import annotations

from typing import Any

import pytest
from dialogue_fixtures import library

from simulator.dialogue import voice
from simulator.dialogue.director import Director, match_option
from simulator.dialogue.intent import Matcher, asks_for_answer, clauses, is_question, listed_questions, telegraphic, vague_terms
from simulator.dialogue.plan import Move, Plan
from simulator.models.seam import Reply
from simulator.practice.session import Session
from simulator.storage.sqlite import Store

LIB = library()
FACTS = {c.id: c for c in LIB.personas["pm-test"].constraints}


def _session(item: str = "sim-test", **kw: Any) -> Session:
    return Session.start(item, store=Store(":memory:"), lib=LIB, clock="virtual", **kw)


def _acts(turn: Any) -> list[str]:
    return [m["act"] for m in turn.meta["plan"]["moves"]]


def _leaked(text: str) -> set[str]:
    low = text.lower()
    return {cid for cid, c in FACTS.items() if any(m.lower() in low for m in c.leak_markers)}


def test_intent_cues() -> None:
    assert is_question("What percentage of users can we use?")
    assert is_question("Tell me about the traffic limits")
    assert not is_question("We will use five percent.")
    assert asks_for_answer("What metric should we use?")
    assert asks_for_answer("Could you suggest a design?")
    assert not asks_for_answer("What metric are you tracking today?")
    assert vague_terms("Success means better productivity.") == ["productivity", "success"]


def test_a_question_asked_mid_sentence_without_its_mark() -> None:
    """Chat without punctuation: an auxiliary before its subject asks, wherever it stands; the
    statements English inverts ("only then can we", "so do we") and punctuated statements do not."""
    assert is_question("ok on the infra side does anyone worry the calls slow things down")
    assert is_question("quick one, have you seen how long people stay in the editor")
    assert not is_question("only then can we say it worked")
    assert not is_question("they like it and so do we")
    assert not is_question("we will see how it goes, and then can we talk budget.")
    assert not is_question("I'd randomise by team because developers share code")


def test_a_need_an_order_or_a_doubt_asks_without_a_question_mark() -> None:
    """Statements that ask (lines written for this test): a need without its subject or spelt by
    ear, an order to explain, an "I'd be interested in", a doubt about who or what, a what after a
    comma or after "then"; statements that say what the candidate wants to see or did do not."""
    for line in ("Need to know how many of the devs end up in treatment",
                 "i need too no what eng is nervous about",
                 "need a sense of how much the weekly usage moves around",
                 "explain me the rollout limits pls",
                 "please describe who uses the IDE day to day",
                 "I'd be interested in whatever the engineers flagged",
                 "not clear to me who signs off on the result",
                 "so the flag system, what actually stops us going wide",
                 "ok and if it works, then what",
                 "am I making sense so far",
                 "on the data side how noisy is the weekly usage"):
        assert is_question(line), line
    for line in ("I'd want to see a lift in engagement.",
                 "To me, what matters is the acceptance rate",
                 "I'd randomise by team, which is what we did before",
                 "I know how it is with legacy data",
                 "Need to finish the power calculation first."):
        assert not is_question(line), line


def test_a_conditional_question_asks_in_its_main_clause() -> None:
    """"If/when ..., would it ...": the question comes after the comma, before "it" or "there"; a
    statement that opens the same way, or says "is it" without a comma before it, does not ask."""
    assert is_question("if I pulled a month of session times, would it look like a tidy bell curve")
    assert is_question("When we launch, will there be a holdout")
    assert not is_question("When I built it, it was fine")
    assert not is_question("When I built my last team, I hired two analysts")
    assert not is_question("the problem is it takes too long")


def test_questions_asked_without_a_mark_in_more_shapes() -> None:
    """A request to be told, a question word or an auxiliary after a comma or a dash, a modal in the
    main clause after an "if"; the statements that open the same ways still tell."""
    for q in ("pls let me know how many people the pilot can include",
              "before I write the plan, how much time do we have",
              "the budget for model calls, is finance worried about it",
              "you mentioned 'guardrails' - are those already agreed",
              "if we gave it to every team would the servers keep up",
              "wait can we ship it to everyone",
              "hows the old autocomplete doing with users"):
        assert is_question(q), q
    for s in ("You want to know if I blame others for the failure.",
              "- Independent reviewer: model risk / compliance, can block release",
              "if the plan does well we ship it",
              "when it flags someone, how often it's right",
              "I shipped it, was proud of it."):
        assert not is_question(s), s


def test_the_other_half_of_an_either_or_question_stays_with_it() -> None:
    """"..., or is it ...?" asks about the same thing as its first half; a second question on another
    subject ("..., and is latency a worry?") is still cut off and read on its own."""
    assert clauses("is the traffic steady, or is it all over the shop?") == ["is the traffic steady, or is it all over the shop?"]
    assert clauses("do we have a cap or is it 5%") == ["do we have a cap or is it 5%"]
    assert clauses("how much traffic can we use, and is latency a worry?") == ["how much traffic can we use", "is latency a worry?"]
    assert clauses("is there a budget, or how long do we have?") == ["is there a budget", "how long do we have?"]
    # the second alternative with its verb left out is no question of its own
    assert clauses("is it mostly research, or shipping features too?") == ["is it mostly research, or shipping features too?"]


def test_a_list_of_questions_is_cut_at_each_question_word() -> None:
    """"who's building this, what the recommendations do, and what decision...": three asks; a
    condition before its question ("if we had 5%, how long...") is not a question of its own."""
    assert listed_questions("who's actually building this, what exactly the recommendations do inside the editor") == [
        "who's actually building this", "what exactly the recommendations do inside the editor"]
    assert listed_questions("If we had 5%, how long would we need?") == []
    assert clauses("Also - what have users said about trust, and how do they feel about today's autocomplete?") == [
        "Also - what have users said about trust", "how do they feel about today's autocomplete?"]
    assert is_question("Also - what have users said about trust")


def test_a_message_in_bare_fragments_is_read_as_one_phrase() -> None:
    """"Pilot costs. Who pays." is one question in pieces; a reply ("Got it. Thanks."), a long
    sentence or a question mark is not."""
    assert telegraphic(["Pilot costs.", "Who pays."]) == "Pilot costs Who pays"
    assert telegraphic(["Got it.", "Thanks."]) is None
    assert telegraphic(["Two weeks.", "Not running it a single day longer than that."]) is None
    assert telegraphic(["Budget.", "How much?"]) is None
    assert telegraphic(["Budget."]) is None


@pytest.mark.parametrize(("text", "asks"), [
    ("I was hoping you might be able to shed some light on whether there is any restriction on enrolment.", True),
    ("Repeat the ceiling.", True),
    ("Number, please.", True),
    ("Give me a minute to think.", False),
    ("Say that again for me, the part about the history data.", True),
    ("I'd also want to know whether engineering has raised any risks.", True),
    ("Let's measure acceptance rate and retention.", False),
    # wants and orders that ask to be told something; a want that states the plan does not
    ("I want the hard limit on enrolment first.", True),
    ("Need the numbers for session spread before I pick a duration.", True),
    ("I want the guardrail limit to be 300 ms.", False),
    ("I need the rollout to be staged over two weeks.", False),
    ("Give me the platform lead's biggest worry.", True),
    ("Give me a second to sketch the design.", False),
    ("It would be really useful to understand how the flags are configured.", True),
    ("I'd find it helpful to know who owns the final call.", True),
    ("Interested to hear what the internal testers said.", True),
    ("Lay out the budget position for me.", True),
    ("Show me how users rate the current autocomplete.", True),
    ("I'd like a read on how steady usage is week to week.", True),
    ("Define engagement for me, the way the board means it.", True),
    ("I'd welcome any thoughts on my plan so far.", True),
    ("Let's keep the metric simple.", False),
])
def test_requests_without_a_question_mark(text: str, asks: bool) -> None:
    assert is_question(text) is asks


@pytest.mark.parametrize("text", ["Right metric?", "For audit purposes, state which metric you consider the correct primary metric.",
                                  "Go on, just tell me what target you'd use."])
def test_more_ways_of_asking_for_the_answer(text: str) -> None:
    assert asks_for_answer(text)


@pytest.mark.parametrize("text", [
    "not sure how big a rollout the tooling allows for something new",
    "I need a sense of how much engagement bounces around before I can say how long to run this.",
    "r the devs on the platform team ok with waiting on the model",
    "which brings me to the thing I actually need from you: is engineering worried about the wait",
])
def test_a_hint_or_a_typo_still_asks(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize("text", ["be honest, did i pass that one", "I should be grateful if you could clarify the cap.",
                                  "what I'd really like to know is whether the data is noisy", "u got any sense of the spread"])
def test_a_request_without_a_question_mark_asks(text: str) -> None:
    assert is_question(text)


@pytest.mark.parametrize("text", ["R and D is where I worked.", "I need to leave at five.", "Not sure it matters."])
def test_a_statement_does_not_ask(text: str) -> None:
    assert not is_question(text)


@pytest.mark.parametrize(("text", "wants_answer"), [
    ("How would you have instrumented it if it were your team?", True),
    ("Would you use a feature store here or not?", True),
    ("Which duration you recommend for us?", True),
    ("what holdout size would you pick", True),
    ("What sample size do you think we need?", True),
    ("What tools do you use on the team?", False),
    ("Which cloud do you use?", False),
    ("What would you like me to focus on?", False),
    ("Which metrics would you want on the dashboard?", True),
    ("Could you tell me what an ideal rollout plan for us would cover?", True),
    ("so is caching the answer, then?", True),
    ("What would you want from the team in the first month?", False),
    ("What did the last good release include?", False),
])
def test_a_request_for_the_answer_is_told_from_a_question_about_the_work(text: str, wants_answer: bool) -> None:
    assert asks_for_answer(text) is wants_answer
    assert vague_terms("Success is the acceptance rate per suggestion.") == []
    assert vague_terms("What do you mean by productivity?") == []


@pytest.mark.parametrize(("text", "terms"), [
    ("ok, say, usage goes up = win", ["usage"]),
    ("Let's just say 'productivity goes up'.", ["productivity"]),
    ("We'll just keep an eye on performance in general.", ["performance"]),
    ("so more clicks = success, right?", ["success"]),  # put as a question to confirm: proposed, not asked
    ("If p95 latency goes up by more than 50 ms we stop.", []),
    ("Performance matters to engineering, I know.", []),
])
def test_a_metric_named_in_passing_is_still_vague(text: str, terms: list[str]) -> None:
    assert vague_terms(text) == terms


def test_opening_brings_the_opening_tension_and_no_fact() -> None:
    s = _session()
    [turn] = s.opening()
    assert _acts(turn) == ["opening", "tension"]
    assert "count code completions" in turn.text
    assert not _leaked(turn.text)


def test_a_fact_is_disclosed_only_in_reply_to_a_question_about_it() -> None:
    s = _session()
    s.opening()
    statements = ["I want to understand the users first.", "We care about traffic and who sees the feature.",
                  "Let me think out loud about the rollout."]
    for line in statements:
        for t in s.respond(line):
            assert "traffic-cap" not in _leaked(t.text), line
    [reply] = s.respond("How much of the traffic can the experiment get?")
    assert _acts(reply)[0] == "disclose" and "5%" in reply.text
    assert reply.meta["plan"]["allowed"] == ["traffic-cap"]
    assert reply.meta["check"]["ok"] is True


def test_a_paraphrased_question_is_recognised_semantically() -> None:
    m = Matcher()
    assert m.semantic, "the embedding helper must be importable"
    d = Director([LIB.items["sim-test"]], LIB.personas, matcher=m)
    d.opening()
    [plan] = d.react(_empty(), "Is there a ceiling on the share of developers we can expose to the test?", 30.0)
    assert [m_.id for m_ in plan.moves if m_.act == "disclose"] == ["traffic-cap"]


def test_deflects_when_asked_for_the_metrics() -> None:
    s = _session()
    s.opening()
    [t] = s.respond("What metric should we use for success?")
    assert "deflect" in _acts(t)
    assert "your call" in t.text


def test_asks_for_a_definition_of_a_vague_metric_once() -> None:
    s = _session()
    s.opening()
    [t] = s.respond("Our goal should be to improve productivity.")
    assert "clarify" in _acts(t) and "productivity" in t.text
    [t2] = s.respond("Yes, productivity is the goal.")
    assert "clarify" not in _acts(t2)


def test_pushes_back_when_a_plan_ignores_a_disclosed_constraint() -> None:
    s = _session()
    s.opening()
    s.respond("What percentage of users can we put in the pilot?")
    [t] = s.respond("We will put half of the users in the experiment.")
    assert "pushback" in _acts(t)
    [t2] = s.respond("We'll keep it within the 5% cap.")
    assert "pushback" not in _acts(t2)


def test_topic_and_late_tensions_are_introduced() -> None:
    s = _session()
    s.opening()
    [t] = s.respond("How long do you expect the test to run?")
    assert t.meta["plan"]["moves"][-1] == {"act": "tension", "id": "timeline"}
    for line in ["Okay.", "Let me summarise what I heard."]:
        s.respond(line)
    assert set(s.director.state["tensions"]) == {"vanity", "timeline", "spillover"}


def test_session_time_runs_out_and_closes() -> None:
    s = _session()
    s.opening()
    s.director.state["item_start"] = -40 * 60.0  # the 40 minutes are gone
    [t] = s.respond("One more thought.")
    assert _acts(t)[-1] == "closing" and s.finished


def test_check_flags_unasked_facts_and_do_not_rules() -> None:
    d = Director([LIB.items["sim-test"]], LIB.personas, matcher=Matcher(semantic=False))
    plan = Plan(kind="persona", speaker="pm-test", persona="pm-test", item="sim-test", allowed=[])
    assert d.check("Sounds good, go ahead.", plan)["ok"]
    bad = d.check("Remember we only have 5% of traffic. I recommend a switchback test.", plan)
    assert bad["leaks"] == ["traffic-cap"] and bad["violations"] == ["no-design"] and not bad["ok"]
    assert d.check("We have 5% of traffic.", plan.model_copy(update={"allowed": ["traffic-cap"]}))["ok"]


class FakeLLM:
    """Stands in for an online model: returns the queued replies in order."""

    def __init__(self, replies: list[str]) -> None:
        self.replies = replies
        self.calls: list[list[dict[str, str]]] = []

    def __call__(self, messages: list[dict[str, str]], plan: dict[str, Any], purpose: str, ledger: Any, said: str = "") -> Any:
        self.calls.append(messages)
        return Reply(self.replies.pop(0), model="openai/fake")


def test_llm_reply_that_leaks_is_regenerated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    s = _session()
    fake = FakeLLM(["Hello! FYI we only have 5% of traffic.", "Hello, glad to chat about the pilot."])
    monkeypatch.setattr(voice, "_chat", fake)
    [t] = s.opening()
    assert t.text == "Hello, glad to chat about the pilot."
    check = t.meta["check"]
    assert check["regenerated"] and not check["replaced"] and check["first"]["leaks"] == ["traffic-cap"]
    assert len(fake.calls) == 2
    assert fake.calls[0][0]["role"] == "system" and "Robin Test" in fake.calls[0][0]["content"]
    assert fake.calls[0][-1]["content"].startswith("<plan>")
    assert "5%" not in fake.calls[0][-1]["content"]  # an unasked fact is never even in the prompt


def test_llm_reply_that_fails_twice_is_replaced_by_the_scripted_line(monkeypatch: pytest.MonkeyPatch) -> None:
    s = _session()
    monkeypatch.setattr(voice, "_chat", FakeLLM(["I recommend you use acceptance rate.", "You should use latency as the guardrail."]))
    [t] = s.opening()
    assert t.meta["check"]["replaced"] and t.text == voice.render(Plan.load(t.meta["plan"]))
    assert "count code completions" in t.text


def test_scripted_voice_is_deterministic_for_a_seed_and_varies_across_seeds() -> None:
    texts = {}
    for seed in range(6):
        s = _session(seed=seed)
        s.opening()
        texts[seed] = [t.text for t in s.respond("Sounds good.")]
        s2 = _session(seed=seed)
        s2.opening()
        assert [t.text for t in s2.respond("Sounds good.")] == texts[seed]
    assert len({tuple(v) for v in texts.values()}) > 1


def test_knockout_option_matching() -> None:
    opts = ["Less than 1 year", "1-2 years", "3-5 years", "5+ years"]
    assert match_option("less than 1 year", opts) == "Less than 1 year"
    assert match_option("2", opts) == "1-2 years"
    assert match_option("I have 3-5 years", opts) == "3-5 years"
    assert match_option("lots", opts) is None


def _empty() -> Any:
    from simulator.core.transcript import Transcript

    return Transcript(item="sim-test")


def test_online_path_through_the_seam_checks_and_regenerates(monkeypatch: pytest.MonkeyPatch) -> None:
    """An LLM voice (a litellm custom provider standing in for a real model) gets the persona
    prompt first and the plan last; its leaking reply is caught and regenerated."""
    from litellm import CustomLLM

    from simulator.core.settings import reset_settings
    from simulator.models import seam as model

    replies = ["Sure. By the way, latency is a big worry for engineering.", "Sure, happy to help you plan the pilot."]
    seen: list[list[dict[str, Any]]] = []

    class Fake(CustomLLM):
        def completion(self, *args: Any, **kwargs: Any) -> Any:
            seen.append(kwargs["messages"])
            response = kwargs["model_response"]
            response.choices[0].message.content = replies[len(seen) - 1]
            return response

    model.register("fake/persona", Fake())
    monkeypatch.setenv("MOCKPANEL_PERSONA_MODEL", "fake/persona")
    reset_settings()
    try:
        s = _session()
        [t] = s.opening()
    finally:
        model.unregister("fake/persona")
        reset_settings()
    assert t.text == replies[1]
    assert t.meta["model"] == "fake/persona"
    assert t.meta["check"]["regenerated"] and t.meta["check"]["first"]["leaks"] == ["latency"]
    first = seen[0]
    assert first[0]["role"] == "system" and "Robin Test" in first[0]["content"]
    assert first[-1]["role"] == "system" and first[-1]["content"].startswith("<plan>")
    assert "count completions" in first[-1]["content"]  # the opening tension, in words, for the LLM


def test_an_interviewer_reply_that_gives_the_answer_away_is_flagged() -> None:
    d = Director([LIB.items["q-test"]], LIB.personas, matcher=Matcher(semantic=False))
    plan = Plan(persona="interviewer-test", speaker="interviewer", kind="interviewer", item="q-test", allowed=[])
    assert d.check("What would you look at first?", plan)["ok"]
    bad = d.check("Hint: I would set up monitoring alerts.", plan)
    assert bad["violations"] == ["gives-away:monitoring"]


def test_a_persona_says_no_sentence_twice_while_a_fresh_line_is_left() -> None:
    """Thanked again and again, a persona moves on to its acknowledgements before any small-talk
    line comes round a second time; a line of two sentences counts as said once either was."""
    from simulator.content.library import load_library
    from simulator.dialogue import intent

    panel = load_library().personas["panel-product-manager"]
    voice.register(panel)
    lines = panel.lines.small_talk + panel.lines.acknowledge
    said: list[str] = []
    for turn in range(len(lines)):
        plan = Plan(kind="persona", speaker="Maya", persona=panel.id, seed=3, turn=turn, item="x", moves=[Move(act="small_talk")])
        said.append(voice.render(plan, "\n".join(said)))
    sentences = [intent.normalise(s) for text in said for s in intent.sentences(text)]
    assert len(sentences) == len(set(sentences)), said
    assert said[0] in panel.lines.small_talk and said[-1] in panel.lines.acknowledge


def test_an_answer_off_the_question_is_brought_back_and_the_question_is_not_said_over_and_over() -> None:
    """The first time an answer drifts, the interviewer points back naming what the question is
    about; the next time it points back without it. The question itself is said once, in the
    opening, and again only when the candidate asks (/repeat)."""
    from simulator.content.library import load_library

    s = Session.start("lead-team-conflict", store=Store(":memory:"), lib=load_library(), clock="virtual", seed=1)
    question = s.opening()[-1].text.split(". ")[-1]
    drift = ("ok so, i mentored a junior who kept shipping notebooks with no tests. i paired with her weekly for two"
             " months, we wrote a checklist together, and by the end she was reviewing other people's PRs.")
    first, second = (s.respond(drift)[-1] for _ in range(2))
    assert _acts(first) == ["redirect"] and "about handling conflict in the team" in first.text
    assert question not in first.text, first.text
    assert _acts(second) == ["redirect"] and question not in second.text and "handling conflict" not in second.text
    [again] = s.respond("/repeat")
    assert question in again.text


@pytest.mark.parametrize("line", ["Could you repeat the question?", "Sorry, what was the question again?",
                                  "can u give me the question once more pls"])
def test_asked_for_the_question_the_interviewer_says_it_again(line: str) -> None:
    """Typed, not only /repeat: the question once more, never a hand-back ("If I gave you my take...")."""
    from simulator.content.library import load_library

    s = Session.start("lead-team-conflict", store=Store(":memory:"), lib=load_library(), clock="virtual", seed=1)
    question = s.opening()[-1].text.split(". ")[-1]
    [reply] = s.respond(line)
    assert _acts(reply) == ["repeat"] and reply.text == question


def test_say_that_again_gets_the_interviewers_last_line() -> None:
    from simulator.content.library import load_library

    s = Session.start("lead-team-conflict", store=Store(":memory:"), lib=load_library(), clock="virtual", seed=1)
    s.opening()
    [told] = s.respond("What happens after this interview?")
    [again] = s.respond("Sorry, could you say that once more, the line dropped")
    assert _acts(again) == ["repeat"] and again.text == told.text


def test_a_persona_without_lines_naming_the_topic_restates_the_question_once() -> None:
    """A persona file without `redirect_topic` lines still brings the answer back: with its
    `redirect` line and the question."""
    from simulator.content.library import load_library

    lib = load_library()
    hannah = lib.personas["interviewer-behavioural"]
    lib.personas[hannah.id] = hannah.model_copy(update={"lines": hannah.lines.model_copy(update={"redirect_topic": []})})
    s = Session.start("lead-team-conflict", store=Store(":memory:"), lib=lib, clock="virtual", seed=1)
    question = s.opening()[-1].text.split(". ")[-1]
    first = s.respond("I once organised the office move to a new building; we packed everything in two days.")[-1]
    assert _acts(first) == ["redirect"] and question in first.text
    assert any(first.text.startswith(line) for line in hannah.lines.redirect), first.text


def test_an_item_says_what_it_is_about() -> None:
    """`Item.subject`: the authored topic, else the title with its first letter lowered unless it
    starts an acronym."""
    from simulator.content.library import load_library

    items = load_library().items
    assert items["lead-team-conflict"].subject() == "handling conflict in the team"
    assert items["viva-sql-vs-nosql"].subject() == "SQL vs NoSQL"
    assert items["mle-production-readiness"].subject() == "whether a model is ready for production"


def test_a_second_question_pointing_back_is_a_question_of_its_own() -> None:
    """"..., and what happens after it?" points back but asks its own thing; a bare pointing clause
    ("define it for me?") is still read with what comes before it."""
    from simulator.dialogue.comprehension import _asking

    text = "How long does this part run, and what happens after it?"
    assert _asking(text, [text], text) == ["How long does this part run", "what happens after it?"]
    text = "We'll track engagement. Define it for me?"
    assert _asking("Define it for me?", ["We'll track engagement.", "Define it for me?"], text) == [
        "We'll track engagement. Define it for me?"]


def test_asked_how_long_is_left_the_interviewer_says_the_time_on_the_clock() -> None:
    """"How many minutes have I got?": the time left on the item, in the interviewer's voice (the
    /time note's figure), and the rest of the message is still answered."""
    s = Session.start("lead-team-conflict", store=Store(":memory:"), clock="virtual")
    s.opening()
    turns = s.respond("Sorry, how many minutes have I got left for this one?")
    moves = [m for t in turns for m in t.meta["plan"]["moves"]]
    assert [m["act"] for m in moves] == ["time_left"] and moves[0]["id"] == "format", moves
    left = s.time_left()
    assert left is not None and f"about {round(left / 60)} minutes" in turns[0].text, turns[0].text
    acts = [m["act"] for t in s.respond("How long do we have, and what happens after this interview?") for m in t.meta["plan"]["moves"]]
    assert "time_left" in acts and "tell" in acts, acts


def test_a_question_about_time_spent_is_not_a_question_about_time_left() -> None:
    from simulator.dialogue.intent import asks_time_left

    assert asks_time_left("How long have I got for this bit?") and asks_time_left("time check?")
    assert not asks_time_left("How much time do you spend on feature engineering?")
    assert not asks_time_left("How long should the experiment run?")


def test_an_llm_voice_saying_the_time_left_is_not_inventing_a_figure() -> None:
    """The clock's minutes come from the plan: a model that says them says nothing the world lacks,
    and one that makes up another figure is still caught."""
    s = Session.start("lead-team-conflict", store=Store(":memory:"), clock="virtual")
    s.opening()
    [t] = s.respond("How long have I got for this one?")
    plan = Plan.load(t.meta["plan"])
    minutes = round((plan.moves[0].left_s or 0) / 60)
    assert s.director.check(f"You have about {minutes} minutes left, so take your time.", plan)["ok"]
    assert "47" in s.director.check("You have about 47 minutes left.", plan).get("invented", [])
