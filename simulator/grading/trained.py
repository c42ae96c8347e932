"""The trained engine: the judge model (`simulator.models.crossencoder`) reads each applicable
indicator beside each passage of the candidate's own words and decides shows / rejects / none.

How a verdict is reached:

1. Passages. Each candidate turn (chat, the coding pane, what the candidate says to the AI
   assistant; never `/commands`) is split into sentences; a turn of two to six sentences is also
   a passage whole, so an answer spread over sentences is read together. Code is read in blocks.
   Every passage is a verbatim span of its turn, so its quote checks. Its context is the last
   thing the interviewer, a persona or the assistant said before the turn.
2. Passages that can never be evidence, flagged: text addressed to the grader (the shared
   detector every engine uses; the judge's own "speaks to the grader" reading is not used: on real
   answers it fired on most sentences, blocking evidence and flagging honest candidates) and
   restatements of the item's own text (indicators, cues, anchors, question, follow-ups, reference
   answer) word for word or nearly; a whole turn whose sentences are mostly restated goes with them.
3. An indicator is shown when its best passage's P(shows) reaches the threshold for its
   polarity; that passage is the quote. No passage, no credit: an indicator with no passage over
   the threshold is not shown, and a fired negative quotes the passage that shows it. A later
   passage that clearly rejects what an earlier one showed takes the credit back.

Thresholds are data (`simulator/data/judge/thresholds.json`), tuned on `evals/data/dev.jsonl`
by `python -m evals.tune_judge`; the blind split is only ever measured.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from simulator.content.rubric import Indicator, Item
from simulator.core.transcript import Transcript
from simulator.grading.engine import engine
from simulator.grading.semantic import phrases, spans
from simulator.grading.verdict import Evidence, IndicatorVerdict, Judgement, addresses_grader, restatement_share, short_hash, wished
from simulator.models import crossencoder

if TYPE_CHECKING:
    import numpy as np

ENGINE_VERSION = "trained-2"  # 2: what did not happen credits no positive; short and stemmed restatements
THRESHOLDS_PATH = crossencoder.DATA / "judge" / "thresholds.json"
DEFAULTS: dict[str, float] = {
    "positive": 0.5,       # P(shows) a positive needs
    "negative": 0.6,       # P(shows) a negative needs to fire
    "retract": 0.85,       # P(rejects) of a later passage that takes a shown indicator back
    "restatement": 0.6,    # share of a passage's word trigrams found in the item's own text
}
MAX_WHOLE_SENTENCES = 6


@lru_cache(maxsize=1)
def params() -> dict[str, float]:
    try:
        data = json.loads(THRESHOLDS_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        data = {}
    return {**DEFAULTS, **{k: float(v) for k, v in data.items() if k in DEFAULTS}}


@dataclass
class Passage:
    turn: int
    text: str
    context: str
    blocked: str = ""
    whole: bool = False  # the whole turn, read together beside its sentences


def _context_before(transcript: Transcript, idx: int) -> str:
    for j in range(idx - 1, -1, -1):
        t = transcript.turns[j]
        if not t.is_candidate and t.channel != "command" and t.text.strip():
            return t.text
    return ""


def _code_blocks(text: str) -> list[str]:
    blocks = [b.strip("\n") for b in re.split(r"\n\s*\n", text)]
    return [b for b in blocks if b.strip()]


def passages(transcript: Transcript) -> list[Passage]:
    out: list[Passage] = []
    for idx, turn in transcript.candidate_turns():
        if turn.channel == "command" or not turn.text.strip():
            continue
        context = _context_before(transcript, idx)
        if turn.channel == "code":
            out += [Passage(idx, b, context) for b in _code_blocks(turn.text)]
            continue
        sents = spans(turn.text)
        out += [Passage(idx, s, context) for s in sents]
        if 2 <= len(sents) <= MAX_WHOLE_SENTENCES:
            out.append(Passage(idx, turn.text.strip(), context, whole=True))
    return out


@dataclass
class Reading:
    """What the judge read: the passages that may be evidence, P(none/shows/rejects) for each
    applicable indicator beside each of them (indicators x passages x labels), and the passages
    that can never be evidence."""

    indicators: list[Indicator]
    usable: list[Passage]
    probs: np.ndarray | None
    blocked: list[Passage]

    @property
    def flags(self) -> list[str]:
        """`injection` for text to the grader, `rubric-restatement` for the item's own text restated."""
        return sorted({"injection" if x.blocked == "addressed to the grader" else "rubric-restatement" for x in self.blocked})


def sort_passages(transcript: Transcript, item: Item, restatement: float) -> tuple[list[Passage], list[Passage]]:
    """The candidate's passages in two piles: those that may be evidence, and those that never can
    (text to the grader; the item's own text restated, by at least `restatement` of its trigrams)."""
    ps = passages(transcript)
    for x in ps:
        if addresses_grader(x.text):
            x.blocked = "addressed to the grader"
        elif restatement_share(x.text, item) >= restatement:
            x.blocked = "restates the item's own text"
    for x in ps:
        # a whole turn is no better than its sentences: one whose sentences are mostly the item's
        # own text restated is blocked with them, though the glue between them dilutes its overlap
        if x.whole and not x.blocked:
            parts = [y for y in ps if y.turn == x.turn and not y.whole]
            restated = sum(len(y.text) for y in parts if y.blocked == "restates the item's own text")
            if parts and restated >= 0.5 * sum(len(y.text) for y in parts):
                x.blocked = "restates the item's own text"
    return [x for x in ps if not x.blocked], [x for x in ps if x.blocked]


def read(transcript: Transcript, item: Item, p: dict[str, float] | None = None, top_k: int | None = None) -> Reading:
    """Blocks the passages that can never be evidence (flagged), then reads every applicable
    indicator beside every other passage; with `top_k`, beside only the `top_k` passages the
    sentence encoder finds nearest to the indicator's own text and cues (the rest read as
    P(none) = 1: a passage far from every phrasing of an indicator does not show it)."""
    p = {**params(), **(p or {})}
    usable, blocked = sort_passages(transcript, item, p["restatement"])
    indicators = item.indicators_for(transcript.variant)
    cells = nearest(indicators, usable, top_k) if top_k and len(usable) > top_k else [
        (k, j) for k in range(len(indicators)) for j in range(len(usable))]
    probs = None
    if cells:
        import numpy as np

        scores = crossencoder.score([crossencoder.pair_text(indicators[k].text, usable[j].context, usable[j].text) for k, j in cells])
        probs = np.zeros((len(indicators), len(usable), len(crossencoder.LABELS)), dtype=np.float32)
        probs[:, :, 0] = 1.0
        ks, js = zip(*cells)
        probs[list(ks), list(js)] = scores
        # what did not happen ("next time I'd...") shows no positive but one about looking back
        probs[wished([x.text for x in usable], indicators).T] = (1.0, 0.0, 0.0)
    return Reading(indicators, usable, probs, blocked)


def nearest(indicators: list[Indicator], usable: list[Passage], top_k: int) -> list[tuple[int, int]]:
    """(indicator, passage) cells: for each indicator, the `top_k` passages most similar to any of
    its phrasings (its text and cues) by the sentence encoder."""
    import numpy as np

    from simulator.models.embedding import embed

    owned = [(k, ph) for k, ind in enumerate(indicators) for ph in phrases(ind)]
    sims = embed([x.text for x in usable]) @ embed([ph for _, ph in owned], keep=True).T  # passages x phrases
    owner = np.array([k for k, _ in owned])
    cells: list[tuple[int, int]] = []
    for k in range(len(indicators)):
        best = sims[:, owner == k].max(axis=1)
        cells += [(k, int(j)) for j in np.argsort(-best, kind="stable")[:top_k]]
    return cells


def judge(transcript: Transcript, item: Item, p: dict[str, float] | None = None) -> tuple[list[IndicatorVerdict], list[str]]:
    """The verdicts for the item's applicable indicators, and the flags."""
    p = {**params(), **(p or {})}
    r = read(transcript, item, p)
    indicators, usable, probs = r.indicators, r.usable, r.probs
    n = len(usable)
    verdicts: list[IndicatorVerdict] = []
    for k, ind in enumerate(indicators):
        present = False
        evidence: list[Evidence] = []
        confidence = 0.0
        note = ""
        if probs is not None:
            block = probs[k]
            best = int(block[:, 1].argmax())
            confidence = float(block[best, 1])
            if confidence >= p[ind.polarity]:
                present = True
                evidence = [Evidence(turn=usable[best].turn, quote=usable[best].text)]
                later = [j for j in range(n) if usable[j].turn > usable[best].turn and float(block[j, 2]) >= p["retract"]]
                if later:
                    present = False
                    evidence = []
                    note = f"shown, then rejected in turn {usable[later[0]].turn}"
        verdicts.append(IndicatorVerdict(id=ind.id, text=ind.text, polarity=ind.polarity, present=present,
                                         evidence=evidence, note=note, confidence=round(confidence, 4)))
    return verdicts, r.flags


def _fingerprint() -> str:
    return f"{ENGINE_VERSION}:{crossencoder.model_id()}:{short_hash(json.dumps(params(), sort_keys=True))}"


@engine("trained", fingerprint=_fingerprint)
def trained_engine(transcript: Transcript, item: Item, *, model: str | None = None, ledger: Any = None,
                   **options: Any) -> Judgement:
    p = {**params(), **options.get("params", {})}
    verdicts, flags = judge(transcript, item, p)
    return Judgement(verdicts=verdicts, model=crossencoder.model_id(), engine_version=ENGINE_VERSION,
                     prompt_version=short_hash(json.dumps(p, sort_keys=True)), flags=flags)
