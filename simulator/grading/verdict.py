"""What a grade is made of, and the rules every engine's verdicts obey.

The data that crosses the grading boundary (Evidence, IndicatorVerdict, Feedback, Grade) as
pydantic models; what an engine hands back (Judgement); the shared rules: verbatim evidence,
injection detection, the rating rule and version hashes. See `simulator.grading.grader` for how
they fit together.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, Field

from simulator.content.rubric import Indicator, Item, Rating
from simulator.core.errors import InputError
from simulator.core.transcript import Transcript

if TYPE_CHECKING:
    import numpy as np

THRESHOLDS_PATH = Path(__file__).resolve().parents[1] / "data" / "thresholds.json"

# --- Output models (the JSON a grade is) -------------------------------------------------------


class Evidence(BaseModel):
    turn: int = Field(ge=0, description="Index of the candidate turn in the transcript.")
    quote: str


class IndicatorVerdict(BaseModel):
    id: str
    text: str
    polarity: Literal["positive", "negative"]
    present: bool | None
    evidence: list[Evidence] = Field(default_factory=list)
    note: str = ""
    confidence: float | None = None


class Strength(BaseModel):
    id: str
    text: str
    quotes: list[Evidence]


class Missed(BaseModel):
    id: str
    text: str
    would_take: str = Field(description="What showing it would have taken.")
    source: Literal["reference_answer", "cue", "anchor", "indicator"]
    you_said: Evidence | None = Field(default=None, description="The candidate's own words on it that did not count: what they "
                                                                "would do next time, not what they did.")


class Fired(BaseModel):
    id: str
    text: str
    quotes: list[Evidence]


class Feedback(BaseModel):
    strengths: list[Strength] = Field(default_factory=list)
    missed: list[Missed] = Field(default_factory=list)
    fired: list[Fired] = Field(default_factory=list)
    practise_next: list[str] = Field(default_factory=list, max_length=2)


class Grade(BaseModel):
    item: str
    variant: str | None
    rating: Rating
    indicators: list[IndicatorVerdict]
    feedback: Feedback
    engine: str
    model: str
    versions: dict[str, str]
    flags: list[str] = Field(default_factory=list)
    reason: str
    level_reading: str | None = None
    confidence: float | None = None


# --- Engines -----------------------------------------------------------------------------------


@dataclass
class Judgement:
    """What an engine hands back; the shared rules turn it into a Grade."""

    verdicts: list[IndicatorVerdict]
    model: str
    engine_version: str
    prompt_version: str
    flags: list[str] = field(default_factory=list)
    confidence: float | None = None


class EngineFn(Protocol):
    def __call__(self, transcript: Transcript, item: Item, *, model: str | None = None,
                 ledger: Any = None, **options: Any) -> Judgement: ...


# --- Thresholds (data, calibrated) --------------------------------------------------------------

DEFAULT_RATING = {"exceeds_share": 0.8, "meets_share": 0.4}


def load_thresholds(path: Path | None = None) -> dict[str, Any]:
    """The calibrated thresholds; defaults when the file has not been written yet."""
    path = path or THRESHOLDS_PATH
    try:
        data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        data = {}
    except (OSError, json.JSONDecodeError) as exc:
        raise InputError(path, None, None, f"cannot read thresholds: {exc}") from None
    data.setdefault("rating", {})
    for k, v in DEFAULT_RATING.items():
        data["rating"].setdefault(k, v)
    return data


# --- Shared rules ------------------------------------------------------------------------------

_WS = re.compile(r"\s+")
_QUOTE_TRIM = " \t\n\"'“”‘’`«»…"


def normalise(text: str) -> str:
    return _WS.sub(" ", text).strip()


def verify_quote(turn_text: str, quote: str) -> bool:
    """A quote counts only if it is a verbatim span of the turn (whitespace-normalised).

    Surrounding quotation marks and ellipses a model adds are trimmed first; nothing inside the
    quote is forgiven, so a paraphrase or a stitched-together quote fails.
    """
    q = normalise(quote).strip(_QUOTE_TRIM)
    q = q.removesuffix("...").removeprefix("...").strip()
    return len(q) >= 2 and q in normalise(turn_text)


def check_evidence(transcript: Transcript, evidence: list[Evidence]) -> tuple[list[Evidence], list[Evidence]]:
    """(verified, rejected): a quote must name a candidate turn and be a span of it."""
    ok: list[Evidence] = []
    bad: list[Evidence] = []
    for ev in evidence:
        turn = transcript.turns[ev.turn] if 0 <= ev.turn < len(transcript.turns) else None
        if turn is not None and turn.is_candidate and verify_quote(turn.text, ev.quote):
            ok.append(Evidence(turn=ev.turn, quote=normalise(ev.quote).strip(_QUOTE_TRIM)))
        else:
            bad.append(ev)
    return ok, bad


def enforce_evidence(transcript: Transcript, verdict: IndicatorVerdict) -> IndicatorVerdict:
    """Drops unverifiable quotes; a presence claim left with none becomes unsupported (None)."""
    ok, bad = check_evidence(transcript, verdict.evidence)
    out = verdict.model_copy(update={"evidence": ok})
    if verdict.present and not ok:
        why = "unsupported: no quote is a verbatim span of a candidate turn"
        out = out.model_copy(update={"present": None, "note": f"{why}. {verdict.note}".strip()})
    elif bad:
        out = out.model_copy(update={"note": f"{len(bad)} unverifiable quote(s) dropped. {verdict.note}".strip()})
    return out


_INJECTION = re.compile(
    r"(?:note|message|instruction)s?\s+(?:to|for)\s+(?:the\s+)?(?:grader|evaluator|assessor|scorer|judge|ai|model|llm|reviewer)"
    r"|\b(?:dear|hey|hi)\s+(?:grader|evaluator|assessor|scorer|judge)\b"
    r"|\bignore\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier|preceding|your)\s+(?:instructions|prompts?|rules|guidelines)"
    r"|\bdisregard\s+(?:all\s+|any\s+)?(?:the\s+)?(?:previous|prior|above|earlier|your)\b"
    r"|\b(?:give|award|assign|rate|score|mark|grade)\s+(?:me|this|this\s+answer|this\s+response|the\s+candidate|it)\s+(?:as\s+|an?\s+|the\s+)?"
    r"(?:top|highest|high|full|maximum|max|perfect|exceeds|excellent|10|five|5)\b"
    r"|\b(?:rate|rating|score|mark)\s+(?:this|me|it)\s+(?:as\s+)?[\"']?exceeds"
    r"|\byou\s+are\s+now\s+(?:a|an|the)\s+(?:grader|judge|evaluator|assistant|model)\b"
    r"|\b(?:all|every)\s+indicators?\s+(?:are|is|were|as)\s+(?:present|met|satisfied)"
    r"|\bmark\s+(?:all|every)\s+(?:the\s+)?indicators?"
    r"|(?:^|\n)\s*\[?(?:system|admin|developer)\]?\s*(?:note|message|override|prompt)?\s*:"
    r"|\b(?:output|give|assign|award|return)\s+(?:me\s+|us\s+)?(?:the\s+|a\s+)?(?:highest|top|maximum|max|full|perfect|best)\s+"
    r"(?:possible\s+)?(?:score|rating|grade|marks)"
    r"|\b(?:shown|demonstrated|met|covered|satisfied)\s+(?:every|all)\s+(?:the\s+|of\s+the\s+)?(?:positive\s+)?indicators?",
    re.IGNORECASE,
)


# Forms that forge structure rather than ask: a fake turn or role ("assistant: ...", "[2] interviewer:"),
# a closing or opening delimiter ("</transcript>", "<system>"), a verdict as JSON or key=value.
_FORGED = re.compile(
    r"(?:^|\n|[.!?]\s+)\s*(?:\[\d+\]\s*)?(?:assistant|system|interviewer|grader|evaluator|judge|user|model)\s*(?:\(.*?\))?\s*:"
    r"|</?\s*(?:transcript|system|instructions?|prompt|candidate|grader|assistant|rubric|evaluation)\b[^>]*>"
    r"|\{\s*\"?[\w -]+\"?\s*:\s*(?:true|false|\"?(?:present|met|exceeds|meets|below)\"?)"
    r"|\b(?:rating|verdict|grade|score)\s*[:=]\s*[\"']?(?:exceeds|meets|below|\d+\s*/\s*\d+|pass)\b"
    r"|\bthe\s+candidate\s+(?:clearly|fully|has\s+clearly|has\s+fully)\s+(?:demonstrat|show|met|meet|satisf|exceed|track|mention|cover)\w*",
    re.IGNORECASE,
)
# Addressed to a grader in another language: the word for the grader or for "indicators/rubric"
# (an interview in English never needs them), and a rating word beside it.
_FOREIGN = re.compile(
    r"\b(?:evaluador|evaluadora|calificador|examinador|bewerter|bewerterin|pr[üu]fer|gutachter|[ée]valuateur|[ée]valuatrice|correcteur|"
    r"avaliador|avaliadora|valutatore|esaminatore|beoordelaar|indicadores|indikatoren|indicateurs|indicatori|r[úu]brica|rubrik)\b"
    r"|评分|评审|考官|评估者|指标|評価者|採点|評価基準|मूल्यांकनकर्ता|परीक्षक|संकेतक",
    re.IGNORECASE,
)
# Letters spaced or dotted apart ("g r a d e r", "e.x.c.e.e.d.s") are read joined up as well.
_SPACED = re.compile(r"\b(?:[A-Za-z][ .\-_*]){3,}[A-Za-z]\b")


def _despaced(text: str) -> str:
    return _SPACED.sub(lambda m: re.sub(r"[ .\-_*]", "", m.group(0)), text)


def find_injections(transcript: Transcript) -> list[Evidence]:
    """Candidate text addressed to the grader rather than the interviewer, as quotable spans."""
    found: list[Evidence] = []
    for idx, turn in transcript.candidate_turns():
        for pattern in (_INJECTION, _FORGED, _FOREIGN):
            for m in pattern.finditer(turn.text):
                quote = normalise(m.group(0))
                if quote:
                    found.append(Evidence(turn=idx, quote=quote))
        joined = _despaced(turn.text)
        if joined != turn.text and not any(e.turn == idx for e in found):
            for m in _SPACED.finditer(turn.text):
                if _INJECTION.search(_despaced(m.group(0))) or re.search(r"grader|evaluator|exceeds|rating|score", _despaced(m.group(0)), re.I):
                    found.append(Evidence(turn=idx, quote=normalise(m.group(0))))
    return found


def is_injection(text: str) -> bool:
    if _INJECTION.search(text) or _FORGED.search(text) or _FOREIGN.search(text):
        return True
    joined = _despaced(text)
    return joined != text and bool(_INJECTION.search(joined) or re.search(r"\b(?:grader|evaluator)\b", joined, re.I))


def addresses_grader(text: str) -> bool:
    """Text to the grader rather than the interviewer: an injection in any disguise, or a sentence
    that names a grader, evaluator or scorer. Never evidence, whatever the engine."""
    return is_injection(text) or bool(re.search(r"\b(?:grader|evaluator|scorer)\b", text, re.I))


def rate(verdicts: list[IndicatorVerdict], rules: dict[str, float] | None = None) -> tuple[Rating, int, int, int]:
    """(rating, positives shown, applicable positives, negatives fired) by the rule in the docstring."""
    rules = {**DEFAULT_RATING, **(rules or {})}
    positives = [v for v in verdicts if v.polarity == "positive"]
    shown = sum(1 for v in positives if v.present is True)
    fired = sum(1 for v in verdicts if v.polarity == "negative" and v.present is True)
    total = max(1, len(positives))
    if shown / total >= rules["exceeds_share"] - 1e-9 and fired == 0 and shown > 0:
        return "exceeds", shown, len(positives), fired
    if shown > 0 and (shown - fired) / total >= rules["meets_share"] - 1e-9:
        return "meets", shown, len(positives), fired
    return "below", shown, len(positives), fired


def rubric_version(item: Item, variant: str | None) -> str:
    """Changes when anything the grade depends on in the item changes."""
    payload = {
        "id": item.id,
        "variant": variant,
        "indicators": [i.model_dump(mode="json") for i in item.indicators_for(variant)],
        "anchors": item.anchors.model_dump(mode="json"),
        "reference_answer": item.reference_answer,
    }
    return short_hash(json.dumps(payload, sort_keys=True))


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


# --- Feedback ----------------------------------------------------------------------------------


# --- The item's own words earn nothing ----------------------------------------------------------

#: What did not happen: "next time I'd...", "if I were doing it again", "ideally...", "I should have...".
#: In an account of what was done it is none (docs/labelling.md, rule 3); in a plan it is a wish.
COUNTERFACTUAL = re.compile(
    r"\b(?:next time|if i (?:were|was) (?:doing|to do) (?:it|this|that) again|if i did (?:it|this|that) again|"
    r"doing it (?:again|over)|in hindsight|with hindsight|in a perfect world|ideally|"
    r"(?:i|we) (?:would|should|could|might)(?: not)? have|(?:i|we)'d have|(?:i|we) would like to|i'd like to|i wish)\b", re.I)
#: Indicators about looking back ("Draws a lesson...", "Reflects on whether it was the right call"):
#: for them "next time I'd..." is the evidence itself.
REFLECTION = re.compile(r"\b(?:lessons?|learn\w*|reflect\w*|differently|hindsight|retrospect\w*)\b", re.I)


def counterfactual(text: str) -> bool:
    """The text says what did not happen (or is only wished for)."""
    return bool(COUNTERFACTUAL.search(text))


def credits_counterfactual(polarity: str, text: str) -> bool:
    """Whether what did not happen may be evidence for an indicator: for a negative (an admission,
    "I should have written a spec", may show it) and for one about looking back, yes; for any other
    positive, no."""
    return polarity == "negative" or bool(REFLECTION.search(text))


def wished(texts: list[str], indicators: list[Indicator]) -> np.ndarray:
    """texts x indicators: True where the text says what did not happen and the indicator does not
    take that as evidence (the cells no engine may credit)."""
    import numpy as np

    return np.outer([counterfactual(t) for t in texts], [not credits_counterfactual(i.polarity, i.text) for i in indicators])


#: Share of a passage's word trigrams that, when found in the item's own text, make it a restatement.
RESTATEMENT_SHARE = 0.6
_WORD = re.compile(r"[a-z0-9]+")
_ITEM_TRIGRAMS: dict[str, frozenset[tuple[str, ...]]] = {}


#: Words a claim about oneself adds to the rubric's text ("I always simplify complex data for clarity").
_CLAIM_WORDS = frozenset({"i", "we", "my", "our", "always", "also", "really", "just", "so", "and", "um", "uh",
                          "yeah", "then", "usually", "basically", "actually"})


def _stem(word: str) -> str:
    """A crude stem, the same for a verb's forms: "traces", "traced", "tracing" and "trace" are "trac"."""
    for suffix, rest in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ed", ""), ("es", ""), ("s", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            word = word[: -len(suffix)] + rest
            break
    return word[:-1] if word.endswith("e") and len(word) >= 4 else word


def _trigrams(text: str) -> set[tuple[str, ...]]:
    """Word trigrams, stemmed, without the words a claim about oneself adds: "I simplify complex data
    for clarity" is the indicator "Simplifies complex data for clarity" restated."""
    ws = [_stem(w) for w in _WORD.findall(text.lower()) if w not in _CLAIM_WORDS]
    return {tuple(ws[i : i + 3]) for i in range(len(ws) - 2)}



def _item_trigrams(item: Item) -> frozenset[tuple[str, ...]]:
    """Word trigrams of everything the item itself says: what a candidate cannot buy credit with."""
    key = rubric_version(item, None)
    if key in _ITEM_TRIGRAMS:
        return _ITEM_TRIGRAMS[key]
    texts = [item.question, item.title, item.reference_answer or "", *(item.follow_ups or [])]
    for ind in item.indicators:
        texts += [ind.text, *(ind.cues or [])]
    a = item.anchors
    texts += [a.exceeds.text, a.meets.text, a.below.text]
    for v in item.variants or []:
        texts += [v.question, v.instructions or ""]
    out: set[tuple[str, ...]] = set()
    for t in texts:
        out |= _trigrams(t)
    _ITEM_TRIGRAMS[key] = frozenset(out)
    return _ITEM_TRIGRAMS[key]


def restatement_share(text: str, item: Item) -> float:
    """Share of the passage's word trigrams that come from the item's own text. Short text (one or
    two trigrams once the words a claim adds are dropped: "I simplify complex data") is all or
    nothing: 1 when every trigram is the item's, else 0; text under three such words, 0."""
    mine = _trigrams(text)
    if len(mine) < 3:
        return 1.0 if mine and mine <= _item_trigrams(item) else 0.0
    return len(mine & _item_trigrams(item)) / len(mine)


def restatement_reason(text: str, item: Item, share: float = RESTATEMENT_SHARE) -> str:
    """"restates the item's own text" when a quote is the rubric, the question, a cue, an anchor or
    the reference answer pasted back word for word or nearly; "" otherwise."""
    return "restates the item's own text" if restatement_share(text, item) >= share else ""


_SENTENCE = re.compile(r"(?<=[.!?])\s+|\n+")


def find_restatements(transcript: Transcript, item: Item) -> list[Evidence]:
    """Candidate sentences (or whole turns) that restate the item's own text: flagged whether or
    not an engine chose them as evidence."""
    found: list[Evidence] = []
    for idx, turn in transcript.candidate_turns():
        if turn.channel == "command":
            continue
        pieces = [turn.text, *(s for s in _SENTENCE.split(turn.text) if s.strip())]
        for piece in pieces:
            if restatement_reason(piece, item):
                found.append(Evidence(turn=idx, quote=normalise(piece)))
                break
    return found


def enforce_substance(item: Item, verdict: IndicatorVerdict) -> tuple[IndicatorVerdict, bool]:
    """Whatever the engine: a quote that restates the item's own text earns no positive, and a
    positive left with no quote is not shown; a negative it shows still fires (pasting the rubric
    must never raise a grade, and may lower it). (verdict, whether a restatement was dropped)"""
    if verdict.polarity != "positive":
        return verdict, False
    kept = [e for e in verdict.evidence if not restatement_reason(e.quote, item)]
    if len(kept) == len(verdict.evidence):
        return verdict, False
    update: dict[str, object] = {"evidence": kept}
    if verdict.present and not kept:
        update["present"] = False
        update["note"] = f"the only evidence restated the item's own text. {verdict.note}".strip()
    return verdict.model_copy(update=update), True
