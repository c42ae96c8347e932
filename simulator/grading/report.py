"""A graded session as a document: Markdown, JSON and a printable HTML page.

The feedback page and its downloads are built from the same pieces here, so what a candidate
reads and what they keep agree. Everything the candidate or a content file wrote is escaped in
the HTML (`html.escape`), because a transcript is user text.

A turn is cited by its number as the candidate saw it (`Transcript.turn_label`); the grade keeps
its transcript indices, so stored grades stay as they are. A work simulation's scenario (which
hidden constraints were uncovered, `simulator.grading.scenario`) is shown beside the grade.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from simulator.content.rubric import Item
from simulator.core.transcript import Transcript

if TYPE_CHECKING:
    from simulator.grading.scenario import Scenario


def status(indicator: Any) -> str:
    """met / missed for a positive indicator, fired / avoided for a negative one."""
    positive = _get(indicator, "polarity") == "positive"
    present = bool(_get(indicator, "present"))
    if positive:
        return "met" if present else "missed"
    return "fired" if present else "avoided"


def _get(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


def evidence_by_turn(grade: Any) -> dict[int, list[tuple[str, str]]]:
    """turn index -> [(quote, indicator id)] over every indicator's evidence."""
    out: dict[int, list[tuple[str, str]]] = {}
    for ind in _get(grade, "indicators", []) or []:
        for ev in _get(ind, "evidence", []) or []:
            turn, quote = _get(ev, "turn"), _get(ev, "quote")
            if isinstance(turn, int) and quote:
                out.setdefault(turn, []).append((str(quote), str(_get(ind, "id"))))
    return out


@dataclass(frozen=True)
class Segment:
    text: str
    indicators: tuple[str, ...] = ()

    @property
    def highlighted(self) -> bool:
        return bool(self.indicators)


def segments(text: str, quotes: list[tuple[str, str]]) -> list[Segment]:
    """Splits a turn into plain and quoted runs; a quote not found verbatim is matched ignoring case."""
    marks: list[set[str]] = [set() for _ in text]
    lowered = text.lower()
    for quote, ind in quotes:
        q = quote.strip()
        if not q:
            continue
        start = text.find(q)
        if start < 0:
            start = lowered.find(q.lower())
        while start >= 0:
            for i in range(start, start + len(q)):
                marks[i].add(ind)
            nxt = text.find(q, start + len(q))
            start = nxt
    out: list[Segment] = []
    for ch, m in zip(text, marks):
        key = tuple(sorted(m))
        if out and out[-1].indicators == key:
            out[-1] = Segment(out[-1].text + ch, key)
        else:
            out.append(Segment(ch, key))
    return out


def scenario_lines(scenario: Scenario | None) -> dict[str, list[str]]:
    """A scenario as plain sentences: "headline" (one line), "uncovered" (each fact, the question
    that drew it out and its turn as the candidate saw it) and "ask_next" (what was not uncovered,
    by topic only: the fact stays for the next attempt to find). Empty without hidden constraints."""
    if scenario is None:
        return {"headline": [], "uncovered": [], "ask_next": []}
    uncovered = []
    for f in scenario.uncovered:
        cite = f" ({scenario.cite(f)})" if scenario.cite(f) else ""
        how = f": you asked \u201c{f.question}\u201d{cite}" if f.question else ""
        uncovered.append(f"{f.fact.rstrip('.')}{f' ({f.topic})' if f.topic else ''}{how}")
    ask_next = [f"Ask {f.persona_name} about {f.topic}." if f.topic else f"Ask {f.persona_name}, for example: \u201c{f.ask}\u201d"
                for f in scenario.missed]
    return {"headline": [scenario.headline], "uncovered": uncovered, "ask_next": ask_next}


SCENARIO_SECTIONS = (("uncovered", "What you uncovered"), ("ask_next", "What to ask next time"))


# --- Documents -------------------------------------------------------------------------------


def report_data(grade: Any, transcript: Transcript, item: Item, history: list[dict[str, Any]] | None = None,
                scenario: Scenario | None = None) -> dict[str, Any]:
    """The JSON download: the grade as the grader returned it (its evidence names transcript
    indices), the transcript, the item named, each index's turn number as the candidate saw it
    (`turn_numbers`, index -> number) and the scenario uncovered (null for an item without one)."""
    g = grade.model_dump(mode="json") if hasattr(grade, "model_dump") else dict(grade)
    return {
        "item": {"id": item.id, "title": item.title, "kind": item.kind, "level": item.level},
        "grade": g,
        "transcript": transcript.model_dump(mode="json"),
        "turn_numbers": {str(i): n for i, n in transcript.shown_numbers().items()},
        "scenario": scenario.model_dump(mode="json") if scenario is not None else None,
        "history": history or [],
    }


def report_json(grade: Any, transcript: Transcript, item: Item, history: list[dict[str, Any]] | None = None,
                scenario: Scenario | None = None) -> str:
    return json.dumps(report_data(grade, transcript, item, history, scenario), indent=2, ensure_ascii=False) + "\n"


FEEDBACK_SECTIONS = (("strengths", "Strengths"), ("missed", "What it would have taken"), ("fired", "Watch out"), ("practise_next", "Practise next"))


def missed_advice(entry: Any, transcript: Transcript | None = None) -> str:
    """What a missed positive would have taken, and the candidate's own "next time I'd..." about it
    (cited by its turn as they saw it, given the `transcript`), which did not count."""
    advice = str(_get(entry, "would_take"))
    said = _get(entry, "you_said")
    if said:
        where = f" ({transcript.turn_label(int(_get(said, 'turn')))})" if transcript is not None else ""
        advice += (f" You said \u201c{_get(said, 'quote')}\u201d{where}: that is what you would do next time, not what you"
                   " did. Say what happened, or that it did not.")
    return advice


def feedback_lines(grade: Any, transcript: Transcript | None = None) -> dict[str, list[str]]:
    """Each feedback section as plain sentences (the grader gives strengths, missed and fired as records)."""
    fb = _get(grade, "feedback", {}) or {}
    out: dict[str, list[str]] = {}
    for key, _title in FEEDBACK_SECTIONS:
        lines: list[str] = []
        for entry in _get(fb, key, []) or []:
            if isinstance(entry, str):
                lines.append(entry)
            elif key == "missed":
                lines.append(f"{_get(entry, 'text')}: {missed_advice(entry, transcript)}")
            else:
                quotes = "; ".join(f"\u201c{_get(q, 'quote')}\u201d" for q in _get(entry, "quotes", []) or [])
                lines.append(f"{_get(entry, 'text')}" + (f" ({quotes})" if quotes else ""))
        out[key] = lines
    return out


def report_markdown(grade: Any, transcript: Transcript, item: Item, history: list[dict[str, Any]] | None = None,
                    scenario: Scenario | None = None) -> str:
    numbers = transcript.shown_numbers()
    rating = str(_get(grade, "rating"))
    lines = [f"# Feedback: {item.title}", "", f"**Rating: {rating}** (item `{item.id}`, {item.level})", ""]
    anchor = item.anchors.get(rating) if rating in ("exceeds", "meets", "below") else None  # type: ignore[arg-type]
    if anchor:
        lines += [f"> {anchor.text}", ""]
    if _get(grade, "reason"):
        lines += [str(_get(grade, "reason")), ""]
    reading = _get(grade, "level_reading")
    if reading:
        lines += [f"_{reading}_", ""]
    sc = scenario_lines(scenario)
    if sc["headline"]:
        lines += [f"## {sc['headline'][0]}", ""]
        for key, title in SCENARIO_SECTIONS:
            if sc[key]:
                lines += [f"**{title}**", ""] + [f"- {x}" for x in sc[key]] + [""]
    lines += ["## Indicators", ""]
    for ind in _get(grade, "indicators", []) or []:
        lines.append(f"- **{status(ind)}**: {_get(ind, 'text')}")
        for ev in _get(ind, "evidence", []) or []:
            lines.append(f"  - {transcript.turn_label(_get(ev, 'turn'), numbers)}: \u201c{_get(ev, 'quote')}\u201d")
    fb = feedback_lines(grade, transcript)
    for key, title in FEEDBACK_SECTIONS:
        if fb[key]:
            lines += ["", f"## {title}", ""] + [f"- {x}" for x in fb[key]]
    if history:
        lines += ["", "## Earlier attempts", ""]
        for h in history:
            lines.append(f"- {h.get('date', '')}: {h.get('rating', '')} ({h.get('met', 0)} met, {h.get('fired', 0)} fired)")
    engine = _get(grade, "engine")
    model = _get(grade, "model")
    lines += ["", f"_Graded by {engine}{f' ({model})' if model else ''}._", "", "---", ""]
    lines.append(transcript.to_markdown(title=f"Transcript: {item.title}").replace("# Transcript", "## Transcript", 1))
    return "\n".join(lines).rstrip() + "\n"


_CSS = """
body { font: 15px/1.5 system-ui, sans-serif; max-width: 52rem; margin: 2rem auto; color: #111; padding: 0 1rem; }
h1 { font-size: 1.6rem; } h2 { font-size: 1.2rem; margin-top: 1.6rem; border-bottom: 1px solid #ccc; }
.rating { font-size: 1.2rem; font-weight: 600; } blockquote { color: #444; border-left: 3px solid #999; margin: .5rem 0; padding-left: .8rem; }
.met { color: #14632b; } .missed { color: #8a5a00; } .fired { color: #a11; } .avoided { color: #555; }
.turn { margin: .6rem 0; } .who { font-weight: 600; } mark { background: #fff0a8; padding: 0 .1em; }
pre { background: #f5f5f5; padding: .6rem; white-space: pre-wrap; }
@media print { body { margin: 0; max-width: none; } a { color: inherit; } }
"""


def report_html(grade: Any, transcript: Transcript, item: Item, history: list[dict[str, Any]] | None = None,
                scenario: Scenario | None = None) -> str:
    e = html.escape
    numbers = transcript.shown_numbers()
    rating = str(_get(grade, "rating"))
    parts = [
        "<!doctype html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f"<title>Feedback: {e(item.title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>Feedback: {e(item.title)}</h1>",
        f'<p class="rating">Rating: {e(rating)}</p>',
    ]
    if rating in ("exceeds", "meets", "below"):
        parts.append(f"<blockquote>{e(item.anchors.get(rating).text)}</blockquote>")  # type: ignore[arg-type]
    if _get(grade, "reason"):
        parts.append(f"<p>{e(str(_get(grade, 'reason')))}</p>")
    reading = _get(grade, "level_reading")
    if reading:
        parts.append(f"<p><em>{e(str(reading))}</em></p>")
    sc = scenario_lines(scenario)
    if sc["headline"]:
        parts.append(f"<h2>{e(sc['headline'][0])}</h2>")
        for key, title in SCENARIO_SECTIONS:
            if sc[key]:
                parts.append(f"<p><strong>{title}</strong></p><ul>" + "".join(f"<li>{e(x)}</li>" for x in sc[key]) + "</ul>")
    parts.append("<h2>Indicators</h2><ul>")
    for ind in _get(grade, "indicators", []) or []:
        st_ = status(ind)
        quotes = "".join(
            f"<li>{e(transcript.turn_label(_get(ev, 'turn'), numbers))}: \u201c{e(str(_get(ev, 'quote')))}\u201d</li>" for ev in _get(ind, "evidence", []) or []
        )
        parts.append(f'<li><span class="{st_}"><strong>{st_}</strong></span>: {e(str(_get(ind, "text")))}' + (f"<ul>{quotes}</ul>" if quotes else "") + "</li>")
    parts.append("</ul>")
    fb = feedback_lines(grade, transcript)
    for key, title in FEEDBACK_SECTIONS:
        if fb[key]:
            parts.append(f"<h2>{title}</h2><ul>" + "".join(f"<li>{e(x)}</li>" for x in fb[key]) + "</ul>")
    if history:
        parts.append("<h2>Earlier attempts</h2><ul>")
        parts += [f"<li>{e(str(h.get('date', '')))}: {e(str(h.get('rating', '')))} ({int(h.get('met', 0))} met, {int(h.get('fired', 0))} fired)</li>" for h in history]
        parts.append("</ul>")
    parts.append("<h2>Transcript</h2>")
    marks = evidence_by_turn(grade)
    for i, turn in enumerate(transcript.turns):
        who = turn.speaker if turn.channel == "chat" else f"{turn.speaker} ({turn.channel})"
        if turn.channel == "code":
            body = f"<pre>{e(turn.text)}</pre>"
        else:
            body = "".join(
                f'<mark title="{e(", ".join(s.indicators))}">{e(s.text)}</mark>' if s.highlighted else e(s.text)
                for s in segments(turn.text, marks.get(i, []))
            ).replace("\n", "<br>")
        num = f"{numbers[i]}. " if i in numbers else ""
        parts.append(f'<div class="turn"><span class="who">{num}{e(who)}:</span> {body}</div>')
    engine, model = _get(grade, "engine"), _get(grade, "model")
    parts.append(f"<p><small>Graded by {e(str(engine))}{e(f' ({model})') if model else ''}.</small></p></body></html>")
    return "\n".join(parts) + "\n"
