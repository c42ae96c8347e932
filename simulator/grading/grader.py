"""The grader: one interface, two engines, and the rules every grade obeys whichever engine ran.

An engine (`@engine("semantic")` in `simulator.grading.semantic`, `@engine("llm")` in `simulator.grading.llm`)
only decides, for each indicator that applies to the item and variant, whether the candidate
showed it (`present`: True, False, or None for "not enough evidence") and with which quotes.
Everything else is decided here, identically for both engines:

Evidence. Quotes come from candidate turns only and are checked in code to be a verbatim,
whitespace-normalised span of the turn they name (`verify_quote`). A verdict that claims
presence without one checked quote is never shown with the invented quote: the llm engine
re-judges it once and otherwise it becomes `present=None` ("unsupported").

Rating rule (`rate`). Let P be the applicable positive indicators, p how many are present
(None counts as not shown) and n how many negative indicators fired. Each fired negative cancels
one shown positive. With `share = p / |P|` and `net = (p - n) / |P|`:

- **exceeds**: `share >= exceeds_share` (0.8 by default: nearly all positives, e.g. 4 of 4 or
  4 of 5) and no negative fired;
- **meets**: `net >= meets_share` (0.4 by default: e.g. 2 of 3, 2 of 4, 2 of 5);
- **below**: otherwise, including an empty, one-word or off-topic answer (p = 0).

The two shares are data (`simulator/data/thresholds.json`, written by `evals/calibrate.py`). The
reason quotes the item's anchor for the rating, so the candidate reads the rubric's own words.
When the item names a competency, the progression framework's cell for the item's level (and
the next level up) gives the level-aware reading.

Injection. Text in a candidate turn addressed to the grader ("note to the grader", "ignore
previous instructions", "give this a top rating") earns nothing, changes nothing and is flagged
`injection`; both engines run the same detector (`find_injections`), the llm engine adds the
model's own report.

Versions. Every grade records the engine version, the model id, the prompt version (a hash of
the prompt template; for the semantic engine a hash of its thresholds and word lists) and the
rubric version (a hash of the item's applicable indicators, cues and anchors), so it can be
reproduced.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from simulator.content.rubric import Indicator, Item, Rating
from simulator.core.transcript import Transcript
from simulator.grading.engine import (
    default_engine,
    get_engine,
)
from simulator.grading.verdict import (
    Evidence,
    Feedback,
    Fired,
    Grade,
    IndicatorVerdict,
    Missed,
    Strength,
    counterfactual,
    credits_counterfactual,
    enforce_evidence,
    enforce_substance,
    find_injections,
    find_restatements,
    load_thresholds,
    normalise,
    rate,
    rubric_version,
)

if TYPE_CHECKING:

    from simulator.content.library import Library

_SENT_SPLIT = re.compile(r"(?<=[.!?])\s+|\n+")


def _would_take(item: Item, ind: Indicator, sentences: list[str] | None) -> Missed:
    """What showing a missed positive would have taken: the reference answer's closest sentence."""
    if item.reference_answer and sentences:
        best = _closest(ind, sentences)
        if best:
            return Missed(id=ind.id, text=ind.text, would_take=best, source="reference_answer")
    if ind.cues:
        return Missed(id=ind.id, text=ind.text, would_take=f"For example: “{ind.cues[0]}”", source="cue")
    return Missed(id=ind.id, text=ind.text, would_take=ind.text, source="indicator")


def _closest(ind: Indicator, sentences: list[str]) -> str | None:
    try:
        from simulator.models.embedding import similarity

        sims = similarity([ind.text, *ind.cues], sentences, keep=True).max(axis=0)  # the rubric's own text
        return sentences[int(sims.argmax())]
    except Exception:  # the reference sentence is a nicety; the indicator text still says it
        words = set(re.findall(r"[a-z]{4,}", ind.text.lower()))
        scored = sorted(sentences, key=lambda s: -len(words & set(re.findall(r"[a-z]{4,}", s.lower()))))
        return scored[0] if scored else None


def _wished(transcript: Transcript, inds: list[Indicator]) -> dict[str, Evidence]:
    """For missed positives, the candidate's own "next time I'd..." sentence about each: as close to
    it as the semantic engine's bar for a match, but what they would do, not what they did. Each
    sentence goes to the one indicator it is closest to."""
    inds = [i for i in inds if not credits_counterfactual(i.polarity, i.text)]
    said = [(idx, s.strip()) for idx, turn in transcript.candidate_turns() if turn.channel not in ("command", "code")
            for s in _SENT_SPLIT.split(turn.text) if counterfactual(s)]
    if not inds or not said:
        return {}
    try:
        from simulator.grading.semantic import params, phrases
        from simulator.models.embedding import embed

        vecs = embed([s for _, s in said])  # your words are never kept
        sims = [(embed(phrases(i), keep=True) @ vecs.T).max(axis=0) for i in inds]  # indicators x sentences
        bar = params()["positive"]
    except Exception:  # a nicety: the missed indicator is still named
        return {}
    out: dict[str, tuple[float, Evidence]] = {}
    for j, (turn, quote) in enumerate(said):
        k = max(range(len(inds)), key=lambda n: float(sims[n][j]))
        score = float(sims[k][j])
        if score >= bar and score > out.get(inds[k].id, (-1.0, None))[0]:
            out[inds[k].id] = (score, Evidence(turn=turn, quote=quote))
    return {key: ev for key, (_, ev) in out.items()}


def build_feedback(item: Item, verdicts: list[IndicatorVerdict], variant: str | None,
                   transcript: Transcript | None = None) -> Feedback:
    """Strengths, what the missed ones would have taken (with the candidate's own "next time I'd..."
    about it, when there is one: `transcript`), what fired, and what to practise next."""
    by_id = {i.id: i for i in item.indicators_for(variant)}
    ref_sentences = [s.strip() for s in _SENT_SPLIT.split(item.reference_answer or "") if len(s.split()) >= 4]
    fb = Feedback()
    missed_ids = {v.id for v in verdicts if v.polarity == "positive" and v.present is not True}
    wished = _wished(transcript, [by_id[i] for i in missed_ids if i in by_id]) if transcript is not None else {}
    for v in verdicts:
        ind = by_id.get(v.id)
        if ind is None:
            continue
        if v.polarity == "positive" and v.present is True:
            fb.strengths.append(Strength(id=v.id, text=v.text, quotes=v.evidence))
        elif v.polarity == "positive":
            missed = _would_take(item, ind, ref_sentences)
            missed.you_said = wished.get(ind.id)
            fb.missed.append(missed)
        elif v.present is True:
            fb.fired.append(Fired(id=v.id, text=v.text, quotes=v.evidence))
    practise: list[str] = []
    for f in fb.fired[:1]:
        practise.append(f"Avoid: {f.text.rstrip('.')} — say what you would do instead and why.")
    for m in fb.missed:
        if len(practise) >= 2:
            break
        practise.append(f"Practise showing: {m.text.rstrip('.')}.")
    if not practise:
        practise.append("Practise the same answer at the next level up: add the trade-offs and the business impact.")
    fb.practise_next = practise[:2]
    return fb


def level_reading(item: Item, rating: Rating, library: Library | None) -> str | None:
    """The progression framework's view of this answer at the item's level."""
    expected = item.expected_at_level
    comp = None
    if item.competency and library is not None:
        comp = library.progression.get(item.competency) or next(
            (c for c in library.progression.values() if c.name == item.competency), None)
    if comp is None:
        if expected:
            return f"Expected at {item.level}: {normalise(expected)}"
        return None
    here = comp.levels.at(item.level)
    order = ["junior", "mid", "senior", "principal"]
    lvl = "senior" if item.level == "lead" else item.level
    nxt = order[order.index(lvl) + 1] if lvl in order and order.index(lvl) + 1 < len(order) else None
    verdict = {
        "exceeds": f"This answer reads above the {item.level} expectation",
        "meets": f"This answer reads at the {item.level} expectation",
        "below": f"This answer reads below the {item.level} expectation",
    }[rating]
    text = f"{verdict} for {comp.name}. At {item.level}: {here}"
    if nxt and rating != "below":
        text += f" Next ({nxt}): {comp.levels.at(nxt)}"  # type: ignore[arg-type]
    return text


# --- The interface -----------------------------------------------------------------------------


def grade(transcript: Transcript, item: Item, *, engine: str | None = None, model: str | None = None,
          ledger: Any = None, library: Library | None = None, **options: Any) -> Grade:
    """Grades one transcript against one item; the same rules whichever engine judges."""
    name = engine or default_engine()
    fn = get_engine(name)
    judgement = fn(transcript, item, model=model, ledger=ledger, **options)
    applicable = {i.id: i for i in item.indicators_for(transcript.variant)}
    verdicts: list[IndicatorVerdict] = []
    seen: set[str] = set()
    restated = False
    for v in judgement.verdicts:
        if v.id in applicable and v.id not in seen:
            seen.add(v.id)
            checked, dropped = enforce_substance(item, enforce_evidence(transcript, v))
            restated = restated or dropped
            verdicts.append(checked)
    for ind_id, ind in applicable.items():  # an engine that skipped one: not enough evidence
        if ind_id not in seen:
            verdicts.append(IndicatorVerdict(id=ind.id, text=ind.text, polarity=ind.polarity, present=None,
                                             note="no verdict from the engine"))
    order = list(applicable)
    verdicts.sort(key=lambda v: order.index(v.id))
    flags = list(dict.fromkeys(judgement.flags))
    if not any(t.channel != "command" and t.text.strip() for _, t in transcript.candidate_turns()):
        flags.append("unanswered")  # ended before any answer: a grade, but not an attempt to count
    if (restated or find_restatements(transcript, item)) and "rubric-restatement" not in flags:
        flags.append("rubric-restatement")
    if find_injections(transcript) and "injection" not in flags:
        flags.append("injection")
    thresholds = load_thresholds()
    rating, shown, total, fired = rate(verdicts, thresholds.get("rating"))
    anchor = item.anchors.get(rating)
    reason = (f"{shown} of {total} positive indicator{'s' if total != 1 else ''} shown, "
              f"{fired} negative indicator{'s' if fired != 1 else ''} fired. Anchor ({rating}): {normalise(anchor.text)}")
    if "injection" in flags:
        reason += " Text addressed to the grader was ignored."
    if library is None and item.competency:
        try:
            from simulator.content.library import load_library

            library = load_library()
        except Exception:
            library = None
    return Grade(
        item=item.id,
        variant=transcript.variant,
        rating=rating,
        indicators=verdicts,
        feedback=build_feedback(item, verdicts, transcript.variant, transcript),
        engine=name,
        model=judgement.model,
        versions={
            "engine": judgement.engine_version,
            "model": judgement.model,
            "prompt": judgement.prompt_version,
            "rubric": rubric_version(item, transcript.variant),
        },
        flags=flags,
        reason=reason,
        level_reading=level_reading(item, rating, library),
        confidence=judgement.confidence,
    )


def grade_session(transcript: Transcript, library: Library, *, engine: str | None = None,
                  ledger: Any = None, **options: Any) -> list[tuple[Transcript, Grade]]:
    """A session graded item by item: each item of a round against its own turns."""
    out: list[tuple[Transcript, Grade]] = []
    for part in transcript.per_item():
        item = library.item(part.item)
        out.append((part, grade(part, item, engine=engine, ledger=ledger, library=library, **options)))
    return out


def grade_key(item: Item, variant: str | None, engine: str | None = None) -> tuple[str, str]:
    """(engine name, versions key) under which a grade of this item is stored: it changes when
    the rubric or the engine (code, thresholds, prompt, model) changes, and only then."""
    from simulator.grading.engine import fingerprint

    name = engine or default_engine()
    return name, f"{rubric_version(item, variant)}|{fingerprint(name)}"


def live_evidence(transcript: Transcript, item: Item) -> dict[str, bool]:
    """Positive indicator id -> shown yet, for the interviewer deciding what to probe next.

    Always the semantic engine (cheap, offline); sentence vectors are cached, so calling this
    after every candidate turn only embeds the new turn.
    """
    from simulator.grading.semantic import judge_positives

    return judge_positives(transcript, item)
