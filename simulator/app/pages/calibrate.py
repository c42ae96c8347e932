"""Calibrate (interviewers): rate a sample transcript yourself, then compare with the reference
rating and the grader's, and follow your agreement over time (exact agreement, Cohen's kappa)
with the reference and with other interviewers."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import streamlit as st

from simulator.app.ui import calibration_samples, grade_sample, keep_valid, library, md, md_escape, run_safely

if TYPE_CHECKING:
    from evals.library import Sample
    from simulator.content.rubric import Rating

RATINGS: tuple[Rating, ...] = ("exceeds", "meets", "below")
lib = library()

st.title("Calibrate")
st.caption("For interviewers: rate a sample answer against the rubric before you see how the reference and the grader rated it.")

all_samples = [s for s in calibration_samples() if s.item in lib.items]
if not all_samples:
    st.info("No calibration samples are installed (evals/data/calibration/*.jsonl).")
    st.stop()

who = st.text_input("Your name or initials", key="cal_name", max_chars=60,
                    help="Your ratings are kept under this name, to show your agreement over time and with colleagues.").strip()

items = sorted({s.item for s in all_samples}, key=lambda i: lib.items[i].title)
cols = st.columns(2)
item_id = cols[0].selectbox("Item", items, key="cal_item", format_func=lambda i: f"{lib.items[i].title} ({lib.items[i].level})")
# In a fixed order that says nothing about the reference (the library sorts weakest first), and
# labelled by position and level only: the sample id or profile could give the reference away.
choices = sorted((s for s in all_samples if s.item == item_id), key=lambda s: hashlib.sha256(s.id.encode()).hexdigest())
labels = {s.id: f"Sample {n} (candidate level: {s.level or 'unknown'})" for n, s in enumerate(choices, 1)}
keep_valid("cal_sample", list(labels))
sample_id = cols[1].selectbox("Sample transcript", [s.id for s in choices], key="cal_sample", format_func=labels.__getitem__)
sample: Sample = next(s for s in choices if s.id == sample_id)
item = lib.items[item_id]
if sample.transcript.variant:
    st.caption(f"Variant: {md_escape(sample.transcript.variant)}")

with st.expander("The question and the anchors", expanded=False):
    md(item.prompt_for(sample.transcript.variant), "**Question.** ")
    for rating in RATINGS:
        md(item.anchors.get(rating).text, f"- *{rating.capitalize()}:* ")

st.subheader("Transcript", anchor=False)
who_names = {pid: p.name for pid, p in lib.personas.items()}
numbers = sample.transcript.shown_numbers()  # as the candidate saw the conversation; the quotes below cite the same
with st.container(height=380, border=True):
    for n, turn in enumerate(sample.transcript.turns):
        speaker = "Candidate" if turn.is_candidate else who_names.get(turn.speaker, turn.speaker.capitalize())
        num = f"{numbers[n]}. " if n in numbers else ""
        if turn.channel == "code":
            st.markdown(f"**{num}{md_escape(speaker)}** :gray[(code)]")
            st.code(turn.text, language="python")
        else:
            md(turn.text, f"**{num}{md_escape(speaker)}:** ")

indicator_ids = [i for i in sample.reference.indicators]
by_id = {i.id: i for i in item.indicators}
result_key = f"cal_result_{sample.id}"

with st.form(f"cal_form_{sample.id}"):
    st.markdown("**Your rating.** Tick each indicator the candidate showed (for a negative indicator: it happened).")
    marks: dict[str, bool] = {}
    for ind_id in indicator_ids:
        ind = by_id.get(ind_id)
        text = ind.text if ind else ind_id
        tag = " (negative)" if ind and ind.polarity == "negative" else ""
        marks[ind_id] = st.checkbox(f"{text}{tag}", key=f"cal_{sample.id}_{ind_id}")
    overall = st.radio("Overall rating", RATINGS, index=None, horizontal=True, key=f"cal_{sample.id}_rating")
    submitted = st.form_submit_button("Submit my rating", type="primary")

if submitted:
    if not who:
        st.error("Give your name or initials first: your agreement is kept under it.")
    elif overall is None:
        st.error("Choose an overall rating.")
    else:
        from evals.library import record_rating

        chosen: str = overall  # narrowed above; the lambda does not keep the narrowing
        saved = run_safely(lambda: record_rating(who, sample.id, marks, chosen), "Saving your rating")
        if saved is not None:
            st.session_state[result_key] = {"rating": overall, "indicators": dict(marks), "who": who}


def comparison(sample: Sample, mine: dict[str, Any]) -> None:
    grade = run_safely(lambda: grade_sample(sample.id), "Grading the sample")
    grader_rating = grade.rating if grade is not None else "n/a"
    verdicts = {v.id: v for v in grade.indicators} if grade is not None else {}
    st.subheader("How others rated it", anchor=False)
    a, b, c = st.columns(3)
    a.metric("You", mine["rating"])
    b.metric("Reference", sample.reference.rating, delta="agrees" if mine["rating"] == sample.reference.rating else "differs",
             delta_color="normal" if mine["rating"] == sample.reference.rating else "inverse")
    c.metric("Grader", grader_rating)
    if sample.notes:
        md(sample.notes, "**Reference notes.** ")
    table = []
    differences = []
    for ind_id in indicator_ids:
        ind = by_id.get(ind_id)
        ref = sample.reference.indicators[ind_id]
        v = verdicts.get(ind_id)
        g = None if v is None else v.present
        table.append({
            "indicator": ind.text if ind else ind_id,
            "you": "yes" if mine["indicators"].get(ind_id) else "no",
            "reference": "yes" if ref else "no",
            "grader": "unsure" if g is None else "yes" if g else "no",
        })
        if bool(mine["indicators"].get(ind_id)) != ref or (g is not None and bool(mine["indicators"].get(ind_id)) != g):
            differences.append((ind.text if ind else ind_id, v))
    st.dataframe(table, hide_index=True)
    if differences:
        st.markdown("**Where you differ, and the quotes the grader relied on**")
        for text, v in differences:
            quotes = v.evidence if v is not None else []
            md(text, "- ")
            if quotes:
                for ev in quotes:
                    st.markdown(f"  > {md_escape(sample.transcript.turn_label(ev.turn, numbers))}: \u201c{md_escape(ev.quote)}\u201d")
            else:
                st.caption("  The grader found no quote for this indicator.")
    else:
        st.success("You agree with the reference and the grader on every indicator.")


if result_key in st.session_state:
    comparison(sample, st.session_state[result_key])


def agreement_section(who: str) -> None:
    from simulator.app.ui import store
    from simulator.calibration.agreement import agreement_over_time, agreement_with_others

    st.subheader("Your agreement over time", anchor=False)
    everyone = store().ratings()
    mine = [r for r in everyone if r.rater == who]
    if not mine:
        st.caption("Rate a sample to start your record.")
        return
    trend = agreement_over_time(mine)
    last = trend[-1]
    a, b, c = st.columns(3)
    a.metric("Samples rated", len(mine))
    b.metric("Exact agreement", f"{last['exact agreement']:.0%}")
    c.metric("Cohen's kappa", f"{last['kappa']:.2f}")
    if len(trend) > 1:
        import pandas as pd

        frame = pd.DataFrame(trend).set_index("rating #")[["exact agreement", "kappa"]]
        st.line_chart(frame, x_label="ratings so far", y_label="agreement with the reference")
    others = agreement_with_others(who, everyone)
    st.subheader("With other interviewers", anchor=False)
    if others:
        st.dataframe(others, hide_index=True, column_config={
            "exact agreement": st.column_config.NumberColumn(format="percent"),
            "kappa": st.column_config.NumberColumn(format="%.2f"),
        })
    else:
        st.caption("Nobody else has rated the samples you rated yet.")


if who:
    agreement_section(who)
