"""The personas' ask verifier (`make train-asks`): shipped, carded, current, used, and never in the way."""

from __future__ import annotations

from dataclasses import replace

from simulator.content.library import load_library
from simulator.dialogue.comprehension import Bars, Comprehension
from simulator.dialogue.director import Director
from simulator.dialogue.intent import Matcher, Verifier
from simulator.models import verifier
from training.asks import read_examples

LIB = load_library()
JORDAN = LIB.personas["jordan-lee"]
HIDDEN = {k.id: k for k in JORDAN.knowledge() if k.hidden}


def test_the_model_is_shipped_small_and_carded() -> None:
    assert verifier.available()
    assert verifier.MODEL_PATH.stat().st_size < 30_000_000
    card = verifier.card()
    for key in ("base_model", "data", "data_sha256", "command", "sha256", "hyperparameters"):
        assert card[key], key
    assert verifier.model_id().startswith("mockpanel-asks@") and "unknown" not in verifier.model_id()


def test_the_model_was_trained_on_the_current_cues() -> None:
    """Changing any persona's ask_cues or near_misses (or the intent encoder, which picks the hard
    negatives) needs `make train-asks`."""
    _, digest, _ = read_examples(verifier.card()["hyperparameters"]["seed"])
    assert verifier.card()["data_sha256"] == digest, "the persona cues changed since the ask verifier was trained: make train-asks"


def test_it_reads_the_question_beside_the_fact() -> None:
    """Lines written for this test, in none of the training data."""
    latency = HIDDEN["api-latency"].says[0]
    cap = HIDDEN["traffic-cap"].says[0]
    asks, other = verifier.score([
        ("would bolting a model call onto every keystroke make the editor feel sluggish?", latency),
        ("would bolting a model call onto every keystroke make the editor feel sluggish?", cap),
    ])
    assert asks > 0.5 > other
    near_miss, = verifier.score([("how long does the nightly build take to finish these days?", latency)])
    assert near_miss < 0.5


def test_the_director_reads_hidden_asks_with_it() -> None:
    item = next(i for i in LIB.items.values() if "jordan-lee" in i.personas)
    d = Director([item], LIB.personas)
    assert d.comprehension.verifier is Verifier.shared() and d.comprehension.verifier is not None
    lexical = Director([item], LIB.personas, matcher=Matcher(semantic=False))
    assert lexical.comprehension.verifier is None  # no embedding, no trained models


class _Broken:
    def score(self, pairs: object) -> object:
        raise RuntimeError("corrupt model")


def test_a_broken_verifier_falls_back_to_the_intent_encoder() -> None:
    """The verifier only ever adds a way in: without it (or with it failing), a question is read
    exactly as by the intent encoder alone."""
    question = "Is there a ceiling on how many users we can put into the new variant?"
    alone = Comprehension(Matcher.shared(), Bars(), Matcher.intent())
    broken = Verifier()
    broken._model = _Broken()
    with_broken = Comprehension(Matcher.shared(), Bars(), Matcher.intent(), broken)
    assert with_broken.read(JORDAN, question, "", []).asks == alone.read(JORDAN, question, "", []).asks
    assert broken.asks(question, HIDDEN["traffic-cap"].says[0]) is None and not broken.available


def test_the_verifier_lets_in_an_ask_the_encoder_only_places_near() -> None:
    """With the rescue bar out of reach the question is missed; with the shipped bars it is heard."""
    question = "could we put a third of all developers into treatment from day one?"  # written for this test
    shipped = Comprehension.trained(Matcher.shared())
    without = Comprehension.trained(Matcher.shared(), replace(Bars(), verified=1.01))
    assert "traffic-cap" in shipped.read(JORDAN, question, "", []).asks
    assert "traffic-cap" not in without.read(JORDAN, question, "", []).asks
    # and a question near a constraint in words that the verifier reads as asking something else
    assert not shipped.read(JORDAN, "who decides how big the rollout can be?", "", []).asks.keys() & HIDDEN.keys()


def test_the_encoders_first_choice_stands_when_the_verifier_confirms_it() -> None:
    """"servers", "developers", "day one" are none of the traffic cap's own words, so the anchoring
    rule hands the question to another fact; the encoder ranks the cap first and the verifier reads
    the question as asking for it, so it stands."""
    question = "can the servers cope if we put tons of developers in the test on day one?"  # written for this test
    shipped = Comprehension.trained(Matcher.shared())
    without = Comprehension.trained(Matcher.shared(), replace(Bars(), verified_first=False))
    assert "traffic-cap" in shipped.read(JORDAN, question, "", []).asks
    assert "traffic-cap" not in without.read(JORDAN, question, "", []).asks


def test_the_verifier_vetoes_the_encoders_way_in_when_it_all_but_rules_it_out() -> None:
    """Another service's latency lies among engineering's latency asks for the encoder (a near copy of
    "what's the p95 of suggestions?"); the verifier, reading it beside what the constraint says, gives
    it almost nothing, so it is not heard as asking for the constraint."""
    question = "what's the p99 latency of the billing service these days?"  # written for this test
    shipped = Comprehension.trained(Matcher.shared())
    without = Comprehension.trained(Matcher.shared(), replace(Bars(), veto=0.0))
    assert "api-latency" in without.read(JORDAN, question, "", []).asks
    assert not shipped.read(JORDAN, question, "", []).asks.keys() & HIDDEN.keys()
    # and an ask the encoder places among the asks is not vetoed
    assert "api-latency" in shipped.read(JORDAN, "would the editor feel sluggish if every keystroke waits on the model?", "", []).asks


def test_a_work_question_her_world_does_not_hold_is_told_no_fact_of_it() -> None:
    """Near a world fact in words, asking something else: the encoder alone tells her nearest fact
    ("which logging library?" gets the team); the verifier, reading the question beside what the
    fact says, rules it out, so she asks what is meant instead of answering another question."""
    unheld = ["Which code review tool does the squad use, Gerrit or GitHub?",  # written for this test
              "How many story points does the team close per sprint?",
              "Which logging library does the backend use?",
              "Who's the product designer's manager?"]
    shipped = Comprehension.trained(Matcher.shared())
    without = Comprehension.trained(Matcher.shared(), replace(Bars(), world_veto=0.0))
    assert sum(bool(without.read(JORDAN, q, "", []).asks) for q in unheld) >= 3
    for q in unheld:
        reading = shipped.read(JORDAN, q, "", [])
        assert not reading.asks and reading.near, (q, reading)
    # what her world does hold is still told
    for q, fact in [("Who is building the feature?", "team"), ("What have users said about the suggestions so far?", "user-trust"),
                    ("How much is budgeted for the model calls?", "budget")]:
        assert fact in shipped.read(JORDAN, q, "", []).asks
