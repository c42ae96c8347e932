"""The feedback downloads, the markdown escaping the pages rely on, and calibration agreement."""

from __future__ import annotations

import html
import json
import re
from html.parser import HTMLParser

from simulator.app.ui import md_escape
from simulator.calibration.agreement import agreement_over_time, agreement_with_others
from simulator.content.rubric import Anchor, Anchors, Indicator, Item
from simulator.core.transcript import Transcript, Turn
from simulator.grading.report import evidence_by_turn, report_html, report_json, report_markdown, segments, status
from simulator.grading.verdict import Evidence, Feedback, Fired, Grade, IndicatorVerdict, Missed, Strength
from simulator.storage import CalibrationRating, open_store

ATTACK = "<script>alert('x')</script> & <b>bold</b>"


def item() -> Item:
    return Item(
        id="demo", kind="work_simulation", title="Demo <item>", question="Lead the conversation.", round="work-simulation",
        level="mid", personas=["pm"],
        indicators=[
            Indicator(id="metrics", text="Asks about metrics", polarity="positive", source="seed"),
            Indicator(id="power", text="Discusses sample size", polarity="positive", source="seed"),
            Indicator(id="vanity", text="Relies on vanity metrics", polarity="negative", source="seed"),
        ],
        anchors=Anchors(exceeds=Anchor(text="Rigorous", source="seed"), meets=Anchor(text="Clear metrics", source="seed"),
                        below=Anchor(text="Vanity metrics", source="seed")),
    )


def transcript() -> Transcript:
    return Transcript(item="demo", turns=[
        Turn(speaker="pm", text="Hi, where do we start?"),
        Turn(speaker="candidate", text=f"What is the primary metric? Also {ATTACK}"),
        Turn(speaker="pm", text="Completions."),
        Turn(speaker="candidate", text="Then we count completions."),
    ])


def grade() -> Grade:
    ev = Evidence(turn=1, quote="What is the primary metric?")
    bad = Evidence(turn=3, quote="we count completions")
    return Grade(
        item="demo", variant=None, rating="meets",
        indicators=[
            IndicatorVerdict(id="metrics", text="Asks about metrics", polarity="positive", present=True, evidence=[ev]),
            IndicatorVerdict(id="power", text="Discusses sample size", polarity="positive", present=None),
            IndicatorVerdict(id="vanity", text="Relies on vanity metrics", polarity="negative", present=True, evidence=[bad]),
        ],
        feedback=Feedback(
            strengths=[Strength(id="metrics", text="Asks about metrics", quotes=[ev])],
            missed=[Missed(id="power", text="Discusses sample size", would_take="Ask how much traffic there is.", source="cue")],
            fired=[Fired(id="vanity", text="Relies on vanity metrics", quotes=[bad])],
            practise_next=["Avoid: Relies on vanity metrics"],
        ),
        engine="semantic", model="all-MiniLM-L6-v2", versions={"rubric": "abc"}, reason="1 of 2 shown.",
    )


def test_status_names_met_missed_fired_and_avoided() -> None:
    g = grade()
    assert [status(v) for v in g.indicators] == ["met", "missed", "fired"]
    assert status({"polarity": "negative", "present": False}) == "avoided"


def test_segments_highlight_each_quote_and_keep_the_text_whole() -> None:
    text = "We ask about the metric. Then the metric again."
    segs = segments(text, [("the metric", "m"), ("THEN", "t")])
    assert "".join(s.text for s in segs) == text
    assert [(s.text, s.indicators) for s in segs if s.highlighted] == [("the metric", ("m",)), ("Then", ("t",)), ("the metric", ("m",))]
    assert segments("abc", [("zzz", "x")]) == [segments("abc", [])[0]]


def test_evidence_is_grouped_by_turn() -> None:
    assert evidence_by_turn(grade()) == {1: [("What is the primary metric?", "metrics")], 3: [("we count completions", "vanity")]}


def test_html_report_escapes_everything_the_user_wrote_and_highlights_evidence() -> None:
    page = report_html(grade(), transcript(), item(), [{"date": "2026-11-01", "rating": "below", "met": 0, "fired": 1}])
    assert "<script>" not in page and "<b>bold</b>" not in page
    assert html.escape(ATTACK) in page
    assert '<mark title="metrics">What is the primary metric?</mark>' in page
    assert "Demo &lt;item&gt;" in page

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: set[str] = set()

        def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
            self.tags.add(tag)

    parser = Tags()
    parser.feed(page)
    assert parser.tags <= {"html", "head", "meta", "title", "style", "body", "h1", "h2", "p", "blockquote", "ul", "li",
                           "span", "strong", "em", "div", "mark", "br", "pre", "small"}
    assert "@media print" in page


def test_markdown_and_json_reports_carry_the_rating_indicators_and_transcript() -> None:
    g, t, it = grade(), transcript(), item()
    md = report_markdown(g, t, it)
    assert "**Rating: meets**" in md and "> Clear metrics" in md
    assert "- **met**: Asks about metrics" in md and "- **fired**: Relies on vanity metrics" in md
    assert "turn 2: \u201cWhat is the primary metric?\u201d" in md  # as the candidate saw it: the opening is turn 1
    assert "Discusses sample size: Ask how much traffic there is." in md
    assert "## Transcript: Demo <item>" in md
    data = json.loads(report_json(g, t, it))
    assert data["grade"]["rating"] == "meets"
    assert Transcript.model_validate(data["transcript"]) == t
    assert data["item"]["id"] == "demo"


def test_md_escape_makes_any_text_render_literally() -> None:
    text = "**b** _i_ `c` [l](u) ![i](u) <a href=x> # h $x$ :red[r] 1. a\nnext | t ~s~"
    escaped = md_escape(text)
    assert re.sub(r"\\(.)", r"\1", escaped).replace("  \n", "\n") == text
    assert not re.search(r"(?<!\\)[*_`\[\]()<>#$:|~!]", escaped)  # every markup character is escaped


def test_calibration_agreement_over_time_and_with_other_interviewers(tmp_path) -> None:  # type: ignore[no-untyped-def]
    log = open_store(str(tmp_path / "cal.db"))
    for rater, sample, rating, ref in [
        ("ann", "s1", "meets", "meets"), ("ann", "s2", "below", "meets"), ("ann", "s3", "exceeds", "exceeds"),
        ("bo", "s1", "meets", "meets"), ("bo", "s2", "meets", "meets"), ("cy", "s9", "below", "below"),
    ]:
        log.add_rating(CalibrationRating(rater=rater, sample_id=sample, item_id="i", rating=rating, reference=ref))
    trend = agreement_over_time([r for r in log.ratings() if r.rater == "ann"])
    assert [round(t["exact agreement"], 3) for t in trend] == [1.0, 0.5, 0.667]
    assert trend[0]["kappa"] == 1.0 and 0 < trend[-1]["kappa"] < 1
    others = agreement_with_others("ann", log.ratings())
    assert others == [{"interviewer": "bo", "samples": 2, "exact agreement": 0.5, "kappa": 0.0}]
