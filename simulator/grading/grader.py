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

import hashlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol

from pydantic import BaseModel, Field

from simulator.core.errors import InputError
from simulator.content.rubric import Indicator, Item, Rating
from simulator.core.transcript import Transcript

if TYPE_CHECKING:
    import argparse

    from simulator.content.library import Library

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


ENGINES: dict[str, EngineFn] = {}
_ENGINE_MODULES = {"semantic": "simulator.grading.semantic", "llm": "simulator.grading.llm"}


def engine(name: str) -> Callable[[EngineFn], EngineFn]:
    """Registers a grading engine under `name` (like an inspect_ai scorer)."""

    def register(fn: EngineFn) -> EngineFn:
        ENGINES[name] = fn
        return fn

    return register


def get_engine(name: str) -> EngineFn:
    if name not in ENGINES and name in _ENGINE_MODULES:
        import importlib

        importlib.import_module(_ENGINE_MODULES[name])
    try:
        return ENGINES[name]
    except KeyError:
        known = sorted(set(ENGINES) | set(_ENGINE_MODULES))
        raise InputError("<grader>", None, "engine", f"no grading engine {name!r}; known: {', '.join(known)}") from None


def default_engine() -> str:
    """semantic unless the settings name a real (not embedded) grader model."""
    try:
        from simulator.core.settings import get_settings
    except ImportError:
        return "semantic"
    try:
        return "semantic" if get_settings().is_embedded("grader") else "llm"
    except Exception:  # settings that cannot be read must not stop an offline grade
        return "semantic"


# --- Thresholds (data, calibrated) --------------------------------------------------------------

DEFAULT_RATING = {"exceeds_share": 0.8, "meets_share": 0.4}


def load_thresholds(path: Path | None = None) -> dict[str, Any]:
    """The calibrated thresholds; defaults when the file has not been written yet."""
    path = path or THRESHOLDS_PATH
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
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


def find_injections(transcript: Transcript) -> list[Evidence]:
    """Candidate text addressed to the grader rather than the interviewer, as quotable spans."""
    found: list[Evidence] = []
    for idx, turn in transcript.candidate_turns():
        for m in _INJECTION.finditer(turn.text):
            found.append(Evidence(turn=idx, quote=normalise(m.group(0))))
    return found


def is_injection(text: str) -> bool:
    return bool(_INJECTION.search(text))


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

        sims = similarity([ind.text, *ind.cues], sentences).max(axis=0)
        return sentences[int(sims.argmax())]
    except Exception:  # the reference sentence is a nicety; the indicator text still says it
        words = set(re.findall(r"[a-z]{4,}", ind.text.lower()))
        scored = sorted(sentences, key=lambda s: -len(words & set(re.findall(r"[a-z]{4,}", s.lower()))))
        return scored[0] if scored else None


def build_feedback(item: Item, verdicts: list[IndicatorVerdict], variant: str | None) -> Feedback:
    by_id = {i.id: i for i in item.indicators_for(variant)}
    ref_sentences = [s.strip() for s in _SENT_SPLIT.split(item.reference_answer or "") if len(s.split()) >= 4]
    fb = Feedback()
    for v in verdicts:
        ind = by_id.get(v.id)
        if ind is None:
            continue
        if v.polarity == "positive" and v.present is True:
            fb.strengths.append(Strength(id=v.id, text=v.text, quotes=v.evidence))
        elif v.polarity == "positive":
            fb.missed.append(_would_take(item, ind, ref_sentences))
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


def level_reading(item: Item, rating: Rating, library: "Library | None") -> str | None:
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
          ledger: Any = None, library: "Library | None" = None, **options: Any) -> Grade:
    """Grades one transcript against one item; the same rules whichever engine judges."""
    name = engine or default_engine()
    fn = get_engine(name)
    judgement = fn(transcript, item, model=model, ledger=ledger, **options)
    applicable = {i.id: i for i in item.indicators_for(transcript.variant)}
    verdicts: list[IndicatorVerdict] = []
    seen: set[str] = set()
    for v in judgement.verdicts:
        if v.id in applicable and v.id not in seen:
            seen.add(v.id)
            verdicts.append(enforce_evidence(transcript, v))
    for ind_id, ind in applicable.items():  # an engine that skipped one: not enough evidence
        if ind_id not in seen:
            verdicts.append(IndicatorVerdict(id=ind.id, text=ind.text, polarity=ind.polarity, present=None,
                                             note="no verdict from the engine"))
    order = list(applicable)
    verdicts.sort(key=lambda v: order.index(v.id))
    flags = list(dict.fromkeys(judgement.flags))
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
        feedback=build_feedback(item, verdicts, transcript.variant),
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


def live_evidence(transcript: Transcript, item: Item) -> dict[str, bool]:
    """Positive indicator id -> shown yet, for the interviewer deciding what to probe next.

    Always the semantic engine (cheap, offline); sentence vectors are cached, so calling this
    after every candidate turn only embeds the new turn.
    """
    from simulator.grading.semantic import judge_positives

    return judge_positives(transcript, item)


# --- CLI ---------------------------------------------------------------------------------------


def cmd_grade(args: "argparse.Namespace") -> int:
    """`mockpanel grade FILE [--item ID] [--engine semantic|llm] [--json]`."""
    from simulator.content.library import load_library
    from simulator.core.transcript import load_transcript

    transcript = load_transcript(args.file)
    library = load_library()
    item_id = getattr(args, "item", None) or transcript.item
    if item_id not in library.items:
        raise InputError(args.file, None, "item", f"no item {item_id!r}; see 'mockpanel rubrics list'")
    item = library.items[item_id]
    if transcript.variant and transcript.variant not in {v.id for v in item.variants}:
        raise InputError(args.file, None, "variant", f"item {item_id!r} has no variant {transcript.variant!r}")
    result = grade(transcript, item, engine=getattr(args, "engine", None), library=library)
    if getattr(args, "json", False):
        print(result.model_dump_json())
    else:
        print_report(result, item)
    return 0


def print_report(result: Grade, item: Item) -> None:
    """A readable report for the terminal."""
    from rich.console import Console
    from rich.markup import escape

    con = Console(highlight=False)
    colour = {"exceeds": "green", "meets": "yellow", "below": "red"}[result.rating]
    title = item.title + (f" ({result.variant})" if result.variant else "")
    con.print(f"[bold]{escape(title)}[/bold]  rating: [bold {colour}]{result.rating.upper()}[/]")
    con.print(escape(result.reason))
    if result.level_reading:
        con.print(f"[dim]{escape(result.level_reading)}[/dim]")
    if result.flags:
        con.print(f"[bold red]flags:[/] {', '.join(result.flags)}")
    con.print()
    for v in result.indicators:
        mark = {True: "[green]✓[/]", False: "[dim]·[/]", None: "[yellow]?[/]"}[v.present]
        if v.polarity == "negative":
            mark = {True: "[red]✗[/]", False: "[dim]·[/]", None: "[yellow]?[/]"}[v.present]
        con.print(f" {mark} [{v.polarity[:3]}] {escape(v.text)}")
        for ev in v.evidence[:2]:
            con.print(f"     [dim]turn {ev.turn}:[/] “{escape(ev.quote)}”")
    fb = result.feedback
    if fb.missed:
        con.print("\n[bold]What it would have taken[/bold]")
        for m in fb.missed:
            con.print(f" - {escape(m.text)}: {escape(m.would_take)}")
    if fb.practise_next:
        con.print("\n[bold]Practise next[/bold]")
        for p in fb.practise_next:
            con.print(f" - {escape(p)}")
    con.print(f"\n[dim]engine {result.engine} · model {result.model} · "
              + " · ".join(f"{k} {v}" for k, v in result.versions.items() if k != "model") + "[/dim]")
