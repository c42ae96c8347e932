"""The personas' intent encoder (`make train-intent`): shipped, carded, current, and used."""

from __future__ import annotations

import json

import numpy as np

from simulator.content.library import load_library
from simulator.dialogue.director import Director
from simulator.dialogue.intent import Matcher
from simulator.models import embedding
from training.intent import read_cues

LIB = load_library()
CARD = json.loads((embedding.INTENT_PATH.parent / "card.json").read_text(encoding="utf-8"))


def test_the_model_is_shipped_small_and_carded() -> None:
    assert embedding.intent_available()
    assert embedding.INTENT_PATH.stat().st_size < 30_000_000
    for key in ("base_model", "data", "data_sha256", "command", "figures", "sha256"):
        assert CARD[key], key
    blind = CARD["figures"]["blind_probes"]  # measured, never a bar to pass: a blind set is not tuned to
    assert blind["set"].startswith("blind") and blind["replies"] > 0
    assert 0 <= blind["leaks"] <= blind["leak_opportunities"] and 0 <= blind["disclosed_when_asked"] <= blind["asked"]


def test_the_model_was_trained_on_the_current_cues() -> None:
    """Changing any persona's ask_cues (or the dev negatives) needs `make train-intent`."""
    _, digest = read_cues()
    assert CARD["data_sha256"] == digest, "the persona cues changed since the intent encoder was trained: make train-intent"


def test_what_it_is_measured_on_it_was_never_trained_on() -> None:
    """No training cue is word for word a hidden-constraint ask of the tuning sets, nor a line of the
    sets written since round 13 (`hidden-2`, `blind-18` to `-22`, `dev-3`, `dev-4`): a figure on text the model was trained on
    would flatter it. (Older blind sets share a few short generic lines with later cues, "Team
    size.", "how am i doing so far": evals/data/probes/README.md.)"""
    import re
    from pathlib import Path

    import yaml

    def norm(text: str) -> str:
        return re.sub(r"[^a-z0-9 ]", "", text.lower()).strip()

    cues = {norm(q) for q, _ in read_cues()[0]}
    data = Path(__file__).resolve().parents[1] / "evals" / "data"
    rows = {n: yaml.safe_load((data / "comprehension" / f"{n}.yaml").read_text(encoding="utf-8")) for n in ("hidden-tuning", "hidden-2")}
    held = [r["say"] for r in rows["hidden-tuning"] if r["asks"] != "none"] + [r["say"] for r in rows["hidden-2"]]
    for split in ("blind-18", "blind-19", "dev-3", "dev-4", "blind-20", "blind-21", "blind-22"):
        probes = yaml.safe_load((data / "probes" / split / "probes.yaml").read_text(encoding="utf-8"))["probes"]
        held += [t["say"] for p in probes for t in p["turns"]]
    assert len(held) > 500
    assert not [h for h in held if norm(h) in cues]


def test_questions_about_one_thing_lie_together() -> None:
    v = embedding.embed([
        "How much of our traffic can a new experiment get?",
        "is there a cap on the share of users in the treatment group",
        "How many engineers work on the feature?",
    ], model="intent")
    assert np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-4)
    assert float(v[0] @ v[1]) > float(v[0] @ v[2]) + 0.05  # the stock MiniLM has these backwards (0.19 vs 0.34)
    stock = embedding.embed(["How much of our traffic can a new experiment get?",
                             "is there a cap on the share of users in the treatment group",
                             "How many engineers work on the feature?"])
    assert float(stock[0] @ stock[1]) < float(stock[0] @ stock[2])


def test_the_director_reads_questions_with_it() -> None:
    item = next(i for i in LIB.items.values() if "jordan-lee" in i.personas)
    d = Director([item], LIB.personas)
    assert d.comprehension.knows is Matcher.intent() and d.comprehension.knows is not d.matcher
    lexical = Director([item], LIB.personas, matcher=Matcher(semantic=False))
    assert lexical.comprehension.knows is lexical.matcher  # no model, no encoder


def test_no_blind_probe_line_is_in_the_training_cues() -> None:
    """A blind figure on lines the encoder learned word for word would flatter it."""
    from evals.probes import load_probes
    from evals.runner import SHORT_NAMES

    def norm(text: str) -> str:
        return " ".join(text.lower().split())

    # Found by this test and left in (the set's figures include it): a generic line of the tenth
    # blind set that the engineers also wrote as a scoring cue (the first and seventh sets, which had
    # such lines too, are retired). No other line of any blind set may join it.
    known = {"probes-blind-10": {"how am i doing so far?"}}
    trained = {norm(q) for q, _ in read_cues()[0]}
    blind = [name for name in SHORT_NAMES if name.startswith("probes-blind")]
    assert len(blind) >= 5
    for name in blind:
        lines = [t.say for p in load_probes(SHORT_NAMES[name], LIB) for t in p.turns]
        assert len(lines) > 150, name
        assert {norm(x) for x in lines} & trained <= known.get(name, set()), name


def test_small_talk_is_not_read_as_asking_how_the_candidate_is_doing() -> None:
    """What Jordan never tells has a bar of its own (`Bars.ask_never`): "get up to anything fun?"
    lies near "how am I doing?" but is small talk, not a request for a score."""
    from simulator.dialogue.comprehension import Bars, Comprehension

    jordan = LIB.personas["jordan-lee"]
    read = Comprehension(Matcher.shared(), Bars(), Matcher.intent()).read
    assert "candidate-score" not in read(jordan, "How was your weekend? Get up to anything fun?", "", []).asks
    assert "candidate-score" in read(jordan, "honestly, how am I doing so far on this?", "", []).asks
