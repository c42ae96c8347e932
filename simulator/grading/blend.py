"""The blend engine: the semantic engine's scores and the trained judge's reading of the same
transcript, weighed by a small logistic model per polarity.

Each reader alone fails in its own way on text written unlike the rubric's cues: the semantic
engine matches topics, so it over-credits positives and rarely fires negatives; the judge finds
nearly every indicator "shown" somewhere in a long transcript. What separates them is relative:
how far an indicator's best evidence stands above the item's other indicators, in both readers.
The blend reads those figures (`FEATURES`) and a logistic model per polarity decides. The judge
reads each indicator beside only the `JUDGE_TOP_K` passages the sentence encoder finds nearest to it
(leave-one-item-out on the tuning split: as good as reading every passage; a 20-turn grade in half
the time).

The model is data (`simulator/data/judge/blend.json`, a `BlendModel` with its provenance), fitted
by `python -m evals.fit_blend` on labelled transcripts whose voices are unlike the cues (the
tuning split and the held-out set); the blind split is only ever measured.

Evidence: a shown indicator quotes the semantic engine's best eligible sentence for it, else the
passage the judge found best. No passage, no credit. Passages either reader blocks (text to the
grader, the rubric restated) are never evidence, and their flags are kept.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field

from simulator.content.rubric import Item
from simulator.core.errors import ModelError
from simulator.core.transcript import Transcript
from simulator.grading import semantic, trained
from simulator.grading.engine import engine
from simulator.grading.verdict import Evidence, IndicatorVerdict, Judgement, short_hash
from simulator.models import crossencoder

if TYPE_CHECKING:
    import numpy as np

ENGINE_VERSION = "blend-3"  # 2: the judge reads each indicator beside its JUDGE_TOP_K nearest passages; 3: the readers' rules of semantic/3
MODEL_PATH = crossencoder.DATA / "judge" / "blend.json"

#: What the logistic model reads for each indicator (its row of the feature matrix), in order.
FEATURES = (
    "semantic_best",         # best eligible similarity (0 when no sentence may count)
    "semantic_raw",          # best similarity over every sentence, eligible or not
    "semantic_shown",        # the semantic engine's verdict: 1 shown, 0.5 undecided, 0 not
    "semantic_raw_lift",     # semantic_raw minus the mean over the item's indicators of its polarity
    "semantic_best_lift",    # the same for semantic_best
    "judge_shows",           # the judge's best P(shows) over passages
    "judge_rejects",         # its best P(rejects)
    "judge_lift",            # judge_shows minus the mean over the item's indicators of its polarity
    "judge_distinct",        # at that best passage: P(shows) minus the best other indicator's
    "judge_share",           # share of passages with P(shows) >= 0.5
    "judge_second",          # the second best P(shows)
    "judge_rejects_at_best", # P(rejects) at the best passage
    "log_passages",          # log(1 + passages the judge may read)
    "log_words",             # log(1 + the candidate's words; a flagged transcript is read without its blocked text)
    # how the quote each reader would give is said (0/1; 0 when there is none)
    "semantic_hypothetical", # "next time I'd...", "ideally we would..."
    "semantic_hedged",       # "maybe", "I think", "probably"
    "semantic_question",     # it asks rather than says
    "semantic_echo",         # share of its content words the interviewer or persona said just before
    "judge_hypothetical",
    "judge_hedged",
    "judge_echo",
    "past_question",         # the question asks what the candidate did (where "next time I'd..." is not what happened)
    "semantic_hypothetical_past",  # semantic_hypothetical in such a question
    "judge_hypothetical_past",
    "semantic_rubric_words", # share of the quote's content words that are the indicator's own words (a claim in the rubric's words)
    "judge_rubric_words",
    "semantic_number",       # the quote has a figure in it (concrete, not a paraphrase of the rubric)
    "judge_number",
)
#: Questions about what the candidate did, not what they would do.
PAST_QUESTION = re.compile(r"\b(?:tell me about (?:a|an|the)|describe (?:a|an|your)|walk (?:me|us) through (?:a|an|one)|"
                           r"(?:give|share) (?:me )?(?:a specific|an) example|have you|how have you|did you|you've faced|"
                           r"a time (?:when|you)|a past|your experience)\b", re.I)
NUMBER = re.compile(r"\d")
#: The judge reads each indicator beside this many passages, the nearest by the sentence encoder
#: (None: beside every passage).
JUDGE_TOP_K: int | None = 8
HYPOTHETICAL = re.compile(r"\b(?:would|could|next time|ideally|i'd|we'd|should have|plan to|going to|if i (?:had|were)|in hindsight)\b", re.I)
HEDGED = re.compile(r"\b(?:maybe|perhaps|probably|possibly|i think|i guess|i suppose|not sure|kind of|sort of|might)\b", re.I)


class PolarityModel(BaseModel):
    """A logistic model over standardised features: P = sigmoid(((x - mean) / scale) . weights + bias)."""

    model_config = ConfigDict(extra="forbid")

    mean: list[float]
    scale: list[float]
    weights: list[float]
    bias: float
    threshold: float = Field(0.5, ge=0.0, le=1.0)


class BlendModel(BaseModel):
    """The blend's weights and where they came from (written by `python -m evals.fit_blend`)."""

    model_config = ConfigDict(extra="forbid")

    version: int = 1
    features: list[str]
    positive: PolarityModel
    negative: PolarityModel
    judge_model: str = ""  # the judge the features were read with (its model id)
    judge_top_k: int | None = None  # the passages it read per indicator (JUDGE_TOP_K when fitted)
    fitted: dict[str, Any] = Field(default_factory=dict)  # data, its sha256, command, cross-validated figures


@lru_cache(maxsize=1)
def load_model() -> BlendModel:
    try:
        model = BlendModel.model_validate_json(MODEL_PATH.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError("mockpanel-blend", f"{MODEL_PATH}: the weights are missing or unreadable ({exc})",
                         "reinstall mockpanel or run `python -m evals.fit_blend`") from exc
    if tuple(model.features) != FEATURES:
        raise ModelError("mockpanel-blend", f"{MODEL_PATH}: features {model.features} are not this engine's",
                         "run `python -m evals.fit_blend`")
    if model.judge_top_k != JUDGE_TOP_K:
        raise ModelError("mockpanel-blend", f"{MODEL_PATH}: fitted with the judge reading {model.judge_top_k} passages per "
                         f"indicator, the engine reads {JUDGE_TOP_K}", "run `python -m evals.fit_blend`")
    return model


class Analysis:
    """Both readers' view of one transcript: the features (indicators x FEATURES) and what each
    found, so the verdicts can quote it."""

    def __init__(self, transcript: Transcript, item: Item) -> None:
        import numpy as np

        sp = semantic.params()
        inds = item.indicators_for(transcript.variant)
        self.indicators = inds
        self.scored, units = semantic.score(transcript, inds, sp, semantic.topic_of(item, transcript.variant))
        self.semantic = semantic.decide(self.scored, sp)
        self.reading = trained.read(transcript, item, top_k=JUDGE_TOP_K)
        flags = set(self.reading.flags)
        if any(u.blocked == "addressed to the grader" for u in units):
            flags.add("injection")
        self.flags = sorted(flags)
        words = sum(len(t.text.split()) for _, t in transcript.candidate_turns() if t.channel != "command")
        n = len(inds)
        best = np.array([s.best for s in self.scored], dtype=np.float64)
        raw = np.array([s.raw for s in self.scored], dtype=np.float64)
        shown = np.array([1.0 if v.present is True else 0.5 if v.present is None else 0.0 for v in self.semantic])
        pos = np.array([i.polarity == "positive" for i in inds])
        probs = self.reading.probs
        if probs is not None and probs.shape[1]:
            shows, rejects = probs[:, :, 1].astype(np.float64), probs[:, :, 2].astype(np.float64)
            js, jr = shows.max(axis=1), rejects.max(axis=1)
            self.best_passage = shows.argmax(axis=1)
            arg = self.best_passage
            distinct = np.array([shows[k, arg[k]] - (np.delete(shows[:, arg[k]], k).max() if n > 1 else 0.0) for k in range(n)])
            share = (shows >= 0.5).mean(axis=1)
            second = np.sort(shows, axis=1)[:, -2] if shows.shape[1] > 1 else np.zeros(n)
            rej_at = rejects[np.arange(n), arg]
        else:
            js = jr = distinct = share = second = rej_at = np.zeros(n)
            self.best_passage = np.zeros(n, dtype=int)
        past = float(bool(PAST_QUESTION.search(item.prompt_for(transcript.variant))))
        rows = []
        for k in range(n):
            same = pos == pos[k]
            unit = self.scored[k].unit
            passage = self.reading.usable[int(self.best_passage[k])] if self.reading.usable else None
            sem = _manner(transcript, unit.turn, unit.text, question=True) if unit else (0.0,) * 4
            jud = _manner(transcript, passage.turn, passage.text) if passage else (0.0,) * 3
            own = set(semantic.content_words(inds[k].text))
            rows.append([best[k], raw[k], shown[k], raw[k] - raw[same].mean(), best[k] - best[same].mean(),
                         js[k], jr[k], js[k] - js[same].mean(), distinct[k], share[k], second[k], rej_at[k],
                         math.log1p(len(self.reading.usable)), math.log1p(words), *sem, *jud,
                         past, sem[0] * past, jud[0] * past,
                         _share_in(unit.text, own) if unit else 0.0, _share_in(passage.text, own) if passage else 0.0,
                         float(bool(unit and NUMBER.search(unit.text))), float(bool(passage and NUMBER.search(passage.text)))])
        self.features = np.array(rows, dtype=np.float64).reshape(n, len(FEATURES))

    def evidence(self, k: int) -> Evidence | None:
        """The quote for indicator k: semantic's best eligible sentence, else the judge's best passage."""
        s = self.scored[k]
        if s.unit is not None:
            return Evidence(turn=s.unit.turn, quote=s.unit.text)
        if self.reading.usable:
            x = self.reading.usable[int(self.best_passage[k])]
            return Evidence(turn=x.turn, quote=x.text)
        return None


def analyse(transcript: Transcript, item: Item) -> Analysis:
    """Both readers' view, the way the blend decides on it (and is fitted on): nothing but substance
    buys a grade, so a transcript with text to the grader or the rubric pasted back is read as if
    that text were not there (its figures, such as the answer's length, must not move), and keeps
    its flags."""
    a = Analysis(transcript, item)
    if a.flags:
        flags = a.flags
        a = Analysis(_without_blocked(transcript, a.reading.blocked), item)
        a.flags = flags
    return a


def _without_blocked(transcript: Transcript, blocked: list[trained.Passage]) -> Transcript:
    """The transcript with the blocked sentences (never a whole turn's passage) cut out of their turns."""
    turns = list(transcript.turns)
    for x in blocked:
        if not x.whole:
            turn = turns[x.turn]
            turns[x.turn] = turn.model_copy(update={"text": turn.text.replace(x.text, "").strip()})  # code keeps its lines
    return transcript.model_copy(update={"turns": turns})


def _manner(transcript: Transcript, turn: int, text: str, question: bool = False) -> tuple[float, ...]:
    """Hypothetical, hedged, (a question,) and the share of its content words just said to the candidate."""
    echo = _share_in(text, semantic.prior_words(transcript, turn))
    head = (float(bool(HYPOTHETICAL.search(text))), float(bool(HEDGED.search(text))))
    return (*head, float(text.rstrip().endswith("?")), echo) if question else (*head, echo)


def _share_in(text: str, words: set[str]) -> float:
    """Share of the text's content words that are among `words`."""
    cw = semantic.content_words(text)
    return sum(1 for w in cw if w in words) / max(1, len(cw))


def probabilities(features: np.ndarray, polarity_positive: np.ndarray, model: BlendModel) -> np.ndarray:
    """P(shown) for each row of the feature matrix, by its polarity's logistic model."""
    import numpy as np

    out = np.zeros(features.shape[0])
    for pol, m in ((True, model.positive), (False, model.negative)):
        rows = polarity_positive == pol
        if rows.any():
            z = (features[rows] - np.array(m.mean)) / np.array(m.scale)
            out[rows] = 1.0 / (1.0 + np.exp(-(z @ np.array(m.weights) + m.bias)))
    return out


def verdicts(transcript: Transcript, item: Item, model: BlendModel | None = None) -> tuple[list[IndicatorVerdict], list[str]]:
    import numpy as np

    model = model or load_model()
    a = analyse(transcript, item)
    pos = np.array([i.polarity == "positive" for i in a.indicators])
    p = probabilities(a.features, pos, model)
    out: list[IndicatorVerdict] = []
    for k, ind in enumerate(a.indicators):
        threshold = (model.positive if ind.polarity == "positive" else model.negative).threshold
        quote = a.evidence(k) if p[k] >= threshold else None
        present = quote is not None
        note = f"blend {p[k]:.2f} {'≥' if p[k] >= threshold else '<'} {threshold:.2f}"
        if p[k] >= threshold and quote is None:
            note += ": no passage to quote, so no credit"
        out.append(IndicatorVerdict(id=ind.id, text=ind.text, polarity=ind.polarity, present=present,
                                    evidence=[quote] if quote else [], note=note, confidence=round(float(p[k]), 4)))
    return out, a.flags


def _fingerprint() -> str:
    try:
        weights = short_hash(MODEL_PATH.read_text(encoding="utf-8"))
    except OSError:
        weights = "none"
    return f"{ENGINE_VERSION}:{weights}:{semantic._fingerprint()}:{trained._fingerprint()}"


@engine("blend", fingerprint=_fingerprint)
def blend_engine(transcript: Transcript, item: Item, *, model: str | None = None, ledger: Any = None,
                 **options: Any) -> Judgement:
    vs, flags = verdicts(transcript, item)
    m = load_model()
    return Judgement(verdicts=vs, model=f"blend({m.judge_model or crossencoder.model_id()})", engine_version=ENGINE_VERSION,
                     prompt_version=short_hash(json.dumps(m.model_dump(mode="json"), sort_keys=True)), flags=flags)
