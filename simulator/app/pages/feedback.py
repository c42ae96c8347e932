"""Feedback: the rating against the anchors, each indicator with the candidate's own words as
evidence, the transcript with that evidence highlighted, what to do better, and the change since
earlier attempts at the same item. Downloadable as Markdown, JSON and a printable HTML page."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import streamlit as st

from simulator.app.ui import assessed, attempt_summary, damaged_notice, graded, library, md, md_escape, run_safely, store, user_id
from simulator.grading.report import (
    SCENARIO_SECTIONS,
    evidence_by_turn,
    feedback_lines,
    missed_advice,
    report_html,
    report_json,
    report_markdown,
    scenario_lines,
    segments,
    status,
)
from simulator.grading.scenario import item_scenario

if TYPE_CHECKING:
    from simulator.content.rubric import Item
    from simulator.core.transcript import Transcript
    from simulator.grading.scenario import Scenario
    from simulator.grading.verdict import Grade

RATING_COLOUR = {"exceeds": "green", "meets": "blue", "below": "red"}
STATUS_BADGE = {"met": ("met", "green"), "missed": ("missed", "orange"), "fired": ("fired", "red"), "avoided": ("avoided", "gray")}

lib = library()
st.title("Feedback")

rows = [r for r in store().list(user_id()) if r.turns > 0 and r.item_id in lib.items]
damaged_notice()
if not rows:
    st.info("No practice sessions yet: start one on the Practice page.")
    if st.button("Go to Practice", icon="💬"):
        st.switch_page("simulator/app/pages/practice.py")
    st.stop()

ids = [r.id for r in rows]
wanted = st.session_state.get("feedback_id")
default = ids.index(wanted) if wanted in ids else next((n for n, r in enumerate(rows) if r.status == "finished"), 0)
by_id = {r.id: r for r in rows}
sid = st.selectbox(
    "Session", ids, index=default, key="fb_session",
    format_func=lambda i: f"{lib.items[by_id[i].item_id].title}{f' [{by_id[i].variant}]' if by_id[i].variant else ''}"
    f" · {by_id[i].updated_at[:16].replace('T', ' ')} · {by_id[i].status} · {i}",
)
st.session_state["feedback_id"] = sid
row = by_id[sid]
item = lib.items[row.item_id]
transcript = run_safely(lambda: store().transcript(sid), "Reading the session")
if transcript is None:
    st.stop()
if row.status != "finished":
    st.info("This session is not finished: the feedback covers what you have said so far. Resume it on the Practice page.", icon="⏳")

parts = run_safely(lambda: assessed(sid), "Grading")
if not parts:
    st.caption("Your transcript is saved; grading can be retried by reloading this page.")
    with st.expander("Transcript", expanded=True):
        numbers = transcript.shown_numbers()
        for n, turn in enumerate(transcript.turns):
            md(turn.text, f"**{f'{numbers[n]}. ' if n in numbers else ''}{md_escape(turn.speaker)}:** ")
    st.stop()


def rating_block(grade: Grade, item: Item) -> None:
    colour = RATING_COLOUR[grade.rating]
    st.markdown(f"### Rating: :{colour}-background[{grade.rating}]")
    md(grade.reason)
    cols = st.columns(3)
    for col, rating in zip(cols, ("exceeds", "meets", "below")):
        with col:
            text = item.anchors.get(rating).text  # type: ignore[arg-type]
            if rating == grade.rating:
                box = {"exceeds": st.success, "meets": st.info, "below": st.warning}[rating]
                box(f"**{rating.capitalize()}** (your rating)  \n" + md_escape(text), icon="➡️")
            else:
                with st.container(border=True):
                    st.caption(f"**{rating.capitalize()}**  \n" + md_escape(text))
    if grade.level_reading:
        st.info(md_escape(grade.level_reading), icon="🪜")
    if "unanswered" in grade.flags:
        st.info("You ended this one before answering, so there is nothing of yours to grade yet. Press "
                "Practise this again to try it.", icon="ℹ️")
    if "rubric-restatement" in grade.flags:
        st.warning("Part of your answer repeated the question or the rubric's own words; repeated text earns nothing.",
                   icon="📋")
    if "injection" in grade.flags:
        st.warning("Part of the transcript was addressed to the grader rather than the interviewer; it was ignored.", icon="🛡️")


def scenario_block(scenario: Scenario | None) -> None:
    """A work simulation's hidden constraints: which the candidate uncovered, by which question."""
    lines = scenario_lines(scenario)
    if not lines["headline"]:
        return
    st.subheader(lines["headline"][0], anchor=False)
    for key, title in SCENARIO_SECTIONS:
        if lines[key]:
            st.markdown(f"**{title}**  \n" + "\n".join(f"- {md_escape(x)}" for x in lines[key]))


def indicators_block(grade: Grade, transcript: Transcript) -> None:
    st.subheader("Indicators", anchor=False)
    numbers = transcript.shown_numbers()
    for verdict in grade.indicators:
        label, colour = STATUS_BADGE[status(verdict)]
        if verdict.present is None and verdict.polarity == "positive":
            label = "missed (not enough evidence)"
        with st.container(border=True):
            top = st.columns([1, 6], vertical_alignment="center")
            with top[0]:
                st.badge(label, color=colour)  # type: ignore[arg-type]
            top[1].markdown(md_escape(verdict.text) + ("  \n:gray[negative indicator]" if verdict.polarity == "negative" else ""))
            for ev in verdict.evidence:
                st.markdown(f"> {md_escape(transcript.turn_label(ev.turn, numbers))}: \u201c{md_escape(ev.quote)}\u201d")


def transcript_block(transcript: Transcript, grade: Grade) -> None:
    marks = evidence_by_turn(grade)
    who = {pid: p.name for pid, p in lib.personas.items()}
    numbers = transcript.shown_numbers()
    for n, turn in enumerate(transcript.turns):
        if not turn.text.strip():
            continue
        speaker = "You" if turn.is_candidate else who.get(turn.speaker, turn.speaker.capitalize())
        head = f"**{f'{numbers[n]}. ' if n in numbers else ''}{md_escape(speaker)}**" + (f" :gray[({turn.channel})]" if turn.channel != "chat" else "")
        if turn.channel == "code":
            st.markdown(head)
            st.code(turn.text, language="python")
            continue
        body = "".join(
            f":orange-background[{md_escape(seg.text)}]" if seg.highlighted else md_escape(seg.text)
            for seg in segments(turn.text, marks.get(n, []))
        )
        st.markdown(f"{head}: {body}")


def better_block(grade: Grade, transcript: Transcript) -> None:
    st.subheader("What to do better", anchor=False)
    fb = feedback_lines(grade, transcript)
    left, right = st.columns(2)
    with left:
        if not fb["missed"] and not fb["fired"]:
            st.markdown("**Nothing missed**")
            st.caption("Every positive indicator was shown and no negative one fired.")
        if fb["missed"]:
            st.markdown("**What it would have taken**")
            for m in grade.feedback.missed:
                st.markdown(f"- **{md_escape(m.text)}**  \n  {md_escape(missed_advice(m, transcript))}")
        if fb["fired"]:
            st.markdown("**Watch out**")
            for f in grade.feedback.fired:
                st.markdown(f"- {md_escape(f.text)}")
    with right:
        st.markdown("**Practise next**")
        for p in grade.feedback.practise_next:
            st.markdown(f"- {md_escape(p)}")
        if grade.feedback.strengths:
            st.markdown("**Keep doing**")
            for s in grade.feedback.strengths:
                st.markdown(f"- {md_escape(s.text)}")


def history_block(sid: str, grade: Grade, item: Item) -> list[dict[str, Any]]:
    """Earlier attempts at the same item (and variant), oldest first, and what changed since the last."""
    st.subheader("Since your earlier attempts", anchor=False)
    earlier = [
        r for r in reversed(rows)
        if item.id in (r.items or [r.item_id]) and r.variant == row.variant and r.id != sid and r.created_at < row.created_at
    ]
    history: list[dict[str, Any]] = []
    previous: Grade | None = None
    for r in earlier:
        g = run_safely(partial(graded, r.id, item.id), f"Grading the attempt of {r.created_at[:10]}")
        if g is None:
            continue
        history.append({**attempt_summary(g), "date": r.created_at[:16].replace("T", " "), "session": r.id})
        previous = g
    if not history:
        st.caption("This is your first attempt at this item: practise it again to see your progress here.")
        return history
    now = {**attempt_summary(grade), "date": row.created_at[:16].replace("T", " "), "session": sid}
    st.dataframe([*history, {**now, "date": now["date"] + " (this one)"}], hide_index=True,
                 column_order=["date", "rating", "met", "fired", "session"])
    assert previous is not None
    before = {v.id: status(v) for v in previous.indicators}
    newly_met = [v.text for v in grade.indicators if status(v) == "met" and before.get(v.id) == "missed"]
    lost = [v.text for v in grade.indicators if status(v) == "missed" and before.get(v.id) == "met"]
    stopped = [v.text for v in grade.indicators if status(v) == "avoided" and before.get(v.id) == "fired"]
    started = [v.text for v in grade.indicators if status(v) == "fired" and before.get(v.id) == "avoided"]
    order = {"below": 0, "meets": 1, "exceeds": 2}
    change = order[grade.rating] - order[previous.rating]
    verdict = "up" if change > 0 else "down" if change < 0 else "the same"
    st.markdown(f"Rating since the last attempt: **{previous.rating} → {grade.rating}** ({verdict}).")
    for title, lines in (("Newly shown", newly_met), ("No longer shown", lost), ("Stopped", stopped), ("Started", started)):
        if lines:
            st.markdown(f"**{title}:** " + "; ".join(md_escape(x) for x in lines))
    return history


def delivery_block(transcript: Transcript, item: Item) -> None:
    """How the spoken answers were said: beside the rating, never part of it."""
    from simulator.grading.delivery import from_turns, target_for

    d = from_turns(transcript.turns, target_for(item))
    if d is None:
        return
    with st.container(border=True):
        st.markdown("**Delivery** (spoken answers; these figures never change the rating)")
        st.markdown("  \n".join(md_escape(line) for line in d.lines()))
        for note in d.notes:
            st.caption(md_escape(note))


@st.cache_data(show_spinner=False, max_entries=256)
def model_answer_marks(item_id: str, content: str) -> list[tuple[str, str]]:
    """(quote, indicator text) for the parts of the item's reference answer that show a positive
    indicator, as the offline grader reads them (the engine's own reading: the answer is the item's
    text, which would earn a candidate nothing)."""
    from simulator.core.transcript import Transcript, Turn
    from simulator.grading.engine import get_engine

    item = lib.items[item_id]
    answer = Transcript(item=item.id, turns=[Turn(speaker="interviewer", text=item.question),
                                               Turn(speaker="candidate", text=item.reference_answer or "")])
    judged = get_engine("semantic")(answer, item)
    return [(ev.quote, v.text) for v in judged.verdicts if v.polarity == "positive" and v.present for ev in v.evidence]


def model_answer_block(item: Item, transcript: Transcript) -> None:
    """The reference answer (the seed's, or an authored exemplar) beside yours, the parts that
    show an indicator highlighted."""
    if not item.reference_answer:
        return
    st.subheader("A model answer", anchor=False)
    mine, theirs = st.columns(2)
    with mine:
        st.markdown("**Your answer**")
        said = [t.text for t in transcript.turns if t.is_candidate and t.channel != "command" and t.text.strip()]
        for text in said or ["(nothing yet)"]:
            st.markdown(md_escape(text))
    with theirs:
        st.markdown("**Reference answer** (from the question bank)" if item.reference_source == "seed"
                    else "**Model answer** (written for mockpanel: it shows every positive indicator)")
        marks = model_answer_marks(item.id, item.reference_answer)
        body = "".join(
            f":green-background[{md_escape(seg.text)}]" if seg.highlighted else md_escape(seg.text)
            for seg in segments(item.reference_answer, marks)
        )
        st.markdown(body)
        shown = sorted({ind for _, ind in marks})
        if shown:
            st.caption("Highlighted: " + "; ".join(md_escape(x) for x in shown))


def item_feedback(grade: Grade, item: Item, transcript: Transcript, key: str) -> None:
    scenario = item_scenario(transcript, item, lib)
    rating_block(grade, item)
    delivery_block(transcript, item)
    scenario_block(scenario)
    indicators_block(grade, transcript)
    better_block(grade, transcript)
    model_answer_block(item, transcript)
    history = history_block(sid, grade, item)
    with st.expander("Transcript, with the evidence highlighted", expanded=True):
        transcript_block(transcript, grade)

    st.subheader("Download", anchor=False)
    stem = f"feedback-{item.id}-{sid}"
    d = st.container(horizontal=True)
    d.download_button("Markdown", report_markdown(grade, transcript, item, history, scenario), f"{stem}.md", "text/markdown",
                      icon="📄", key=f"fb_md_{key}", on_click="ignore")
    d.download_button("JSON", report_json(grade, transcript, item, history, scenario), f"{stem}.json", "application/json",
                      icon="🧾", key=f"fb_json_{key}", on_click="ignore")
    d.download_button("Printable HTML", report_html(grade, transcript, item, history, scenario), f"{stem}.html", "text/html",
                      icon="🖨️", key=f"fb_html_{key}", on_click="ignore")
    st.caption(md_escape(f"Graded by {grade.engine} ({grade.model}); rubric version {grade.versions.get('rubric', '?')}."))


if st.button("Practise this again", type="primary", icon="🔁", key="fb_again",
             help="A new session on the same item; this one stays as it is."):
    st.session_state["practice_again"] = (row.item_id, row.variant)
    st.switch_page("simulator/app/pages/practice.py")

if len(parts) == 1:
    item_feedback(parts[0].grade, parts[0].item, parts[0].transcript, "0")
else:
    st.subheader(f"This round: {len(parts)} questions", anchor=False)
    st.dataframe([{"question": a.item.title, "rating": a.grade.rating, **{k: v for k, v in attempt_summary(a.grade).items() if k != "rating"}}
                  for a in parts], hide_index=True)
    for n, (tab, a) in enumerate(zip(st.tabs([f"{n + 1}. {a.item.title}" for n, a in enumerate(parts)]), parts)):
        with tab:
            item_feedback(a.grade, a.item, a.transcript, str(n))
