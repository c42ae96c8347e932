"""Progress: every finished session graded, over time, per competency and per indicator, and the
indicators missed more than once in a row (the streaks worth practising next)."""

from __future__ import annotations

from functools import partial
from typing import Any

import streamlit as st

from simulator.app.ui import assessed, damaged_notice, library, md_escape, run_safely, store, user_id
from simulator.grading.report import status
from simulator.practice.assessment import stored_grades

SCORE = {"below": 0, "meets": 1, "exceeds": 2}
lib = library()

st.title("Progress")
rows = [r for r in store().list(user_id()) if r.status == "finished" and r.turns > 0 and r.item_id in lib.items]
damaged_notice()
if not rows:
    st.info("No finished sessions yet: practise an item to the end and your progress shows here.")
    st.stop()

# Grades are stored when a session is graded (Feedback, the terminal); this page only reads them.
# Sessions never graded yet (or graded by an older rubric or engine) are graded a few at a time.
GRADE_PER_VISIT = 10
grades = stored_grades(store(), user_id())
ungraded = [r for r in rows if not any((r.id, i) in grades for i in (r.items or [r.item_id]))]
if ungraded:
    with st.spinner(f"Grading {min(len(ungraded), GRADE_PER_VISIT)} session(s) not graded yet..."):
        for r in ungraded[:GRADE_PER_VISIT]:
            for part in run_safely(partial(assessed, r.id), f"Grading session {r.id}") or []:
                grades[(r.id, part.item.id)] = part.grade.model_dump(mode="json")
    if len(ungraded) > GRADE_PER_VISIT:
        st.caption(f"{len(ungraded) - GRADE_PER_VISIT} more session(s) will be graded on your next visits.")

attempts: list[dict[str, Any]] = []
indicator_rows: list[dict[str, Any]] = []
skipped = 0
for r in sorted(rows, key=lambda r: r.created_at):
    for item_id in r.items or [r.item_id]:
        g = grades.get((r.id, item_id))
        if g is None or item_id not in lib.items:
            continue
        if "unanswered" in (g.get("flags") or []):  # ended before any answer: not an attempt
            skipped += 1
            continue
        item = lib.items[item_id]
        comp = lib.progression.get(item.competency or "")
        competency = comp.name if comp else item.competency or item.theme or item.kind.replace("_", " ")
        states = [status(v) for v in g["indicators"]]
        attempts.append({
            "when": r.created_at[:19].replace("T", " "), "session": r.id, "item": item.title, "competency": competency,
            "rating": g["rating"], "score": SCORE[g["rating"]], "met": states.count("met"),
            "missed": states.count("missed"), "fired": states.count("fired"),
        })
        for v, s in zip(g["indicators"], states):
            indicator_rows.append({
                "when": r.created_at, "session": r.id, "item": item.title, "indicator": v["text"], "id": f"{item.id}/{v['id']}",
                "polarity": v["polarity"], "status": s,
            })

if skipped:
    st.caption(f"{skipped} session(s) ended before any answer are not counted.")
if not attempts:
    if skipped:
        st.info("No answered sessions yet: practise an item and answer at least once to see your progress.")
    else:
        st.warning("None of your sessions could be graded; see the messages above.")
    st.stop()

import altair as alt  # noqa: E402  (only this page draws charts)
import pandas as pd  # noqa: E402

df = pd.DataFrame(attempts)
df["when"] = pd.to_datetime(df["when"])
a, b, c, d = st.columns(4)
a.metric("Finished sessions", len(df))
b.metric("Items practised", df["item"].nunique())
c.metric("Meets or better", f"{(df['score'] >= 1).mean():.0%}")
d.metric("Latest rating", df.iloc[-1]["rating"])

axis = alt.Axis(values=[0, 1, 2], labelExpr="['below', 'meets', 'exceeds'][datum.value]", title="rating")
st.subheader("Sessions over time", anchor=False)
POINTS = 400  # beyond this many sessions the line shows each day's average, not each session
timeline = df
if len(df) > POINTS:
    timeline = (df.assign(when=df["when"].dt.floor("D")).groupby(["when", "competency"], as_index=False)
                .agg(score=("score", "mean"), item=("item", "first"), rating=("rating", "last"), met=("met", "mean"), fired=("fired", "mean")))
    st.caption("One point per day and competency: the day's average rating.")
st.altair_chart(
    alt.Chart(timeline).mark_line(point=True).encode(
        x=alt.X("when:T", title=None, axis=alt.Axis(format="%d %b %H:%M", labelAngle=0, tickCount=6)),
        y=alt.Y("score:Q", axis=axis, scale=alt.Scale(domain=[0, 2])),
        # Below the chart, one name a row and never clipped: a legend at the side squeezed long names off the edge.
        color=alt.Color("competency:N", legend=alt.Legend(orient="bottom", direction="vertical", title=None, labelLimit=0)),
        tooltip=["when:T", "item:N", "rating:N", "met:Q", "fired:Q"],
    ),
)

left, right = st.columns(2)
with left:
    st.subheader("Per competency", anchor=False)
    per_comp = df.groupby("competency", as_index=False).agg(score=("score", "mean"), sessions=("session", "count"))
    st.altair_chart(
        alt.Chart(per_comp).mark_bar().encode(
            x=alt.X("score:Q", axis=axis, scale=alt.Scale(domain=[0, 2]), title="average rating"),
            y=alt.Y("competency:N", sort="-x", title=None, axis=alt.Axis(labelLimit=200)),
            tooltip=["competency:N", alt.Tooltip("score:Q", format=".2f"), "sessions:Q"],
        ),
        height=max(90, 34 * len(per_comp) + 50),
    )

ind = pd.DataFrame(indicator_rows)
with right:
    st.subheader("Negative indicators that fired", anchor=False)
    fired = ind[(ind["polarity"] == "negative") & (ind["status"] == "fired")]
    if fired.empty:
        st.caption("None so far.")
    else:
        # A static table: each indicator's whole text wraps inside the column instead of being cut off.
        st.table(fired.groupby("indicator", as_index=False).agg(times=("session", "count")).sort_values("times", ascending=False),
                 hide_index=True)

st.subheader("Per indicator", anchor=False)
pos = ind[ind["polarity"] == "positive"]
if pos.empty:
    st.caption("No positive indicators graded yet.")
else:
    import textwrap

    shown = pos.assign(shown=pos["status"] == "met").groupby("indicator", as_index=False).agg(
        rate=("shown", "mean"), attempts=("shown", "count"))
    # Each indicator's whole text, wrapped onto lines of its own (a single-line label was cut off).
    shown["label"] = shown["indicator"].map(lambda t: "\n".join(textwrap.wrap(str(t), 60)) or str(t))
    lines = int(shown["label"].str.count("\n").max()) + 1
    st.altair_chart(
        alt.Chart(shown).mark_bar().encode(
            x=alt.X("rate:Q", title="shown in share of attempts", axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
            y=alt.Y("label:N", sort="x", title=None, axis=alt.Axis(labelExpr="split(datum.label, '\\n')", labelLimit=0)),
            tooltip=["indicator:N", alt.Tooltip("rate:Q", format=".0%"), "attempts:Q"],
        ),
        height=max(90, (13 * lines + 14) * len(shown) + 50),
    )


def streaks(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Per item indicator: how many of the latest attempts in a row missed it (2 or more are listed)."""
    out: list[dict[str, Any]] = []
    for _key, group in frame.sort_values("when").groupby("id"):
        states = list(group["status"])
        bad = "missed" if group["polarity"].iloc[0] == "positive" else "fired"
        run = 0
        for s in reversed(states):
            if s != bad:
                break
            run += 1
        total = states.count(bad)
        if run >= 2 or total >= 2:
            out.append({"indicator": group["indicator"].iloc[0], "item": group["item"].iloc[0], "kind": bad,
                        "in a row (latest)": run, "times": total, "attempts": len(states)})
    return sorted(out, key=lambda r: (-r["in a row (latest)"], -r["times"]))


st.subheader("Streaks: indicators missed more than once", anchor=False)
found = streaks(ind)
if found:
    st.dataframe(found, hide_index=True, column_order=["indicator", "in a row (latest)", "times", "attempts", "kind", "item"],
                 column_config={"indicator": st.column_config.TextColumn(width="large")})
    top = found[0]
    st.markdown(f"Start with **{md_escape(top['indicator'])}** in *{md_escape(top['item'])}*: "
                f"{top['kind']} {top['times']} of {top['attempts']} times.")
else:
    st.caption("No indicator has been missed twice yet.")

SHOWN = 500
with st.expander(f"All graded sessions ({len(df)})" if len(df) <= SHOWN else f"The latest {SHOWN} of {len(df)} graded sessions"):
    st.dataframe(df.drop(columns=["score"]).iloc[::-1].head(SHOWN), hide_index=True)


DELIVERY_SESSIONS = 100


def delivery_rows() -> list[dict[str, Any]]:
    """Delivery figures of each finished session with spoken answers (they never touch the ratings)."""
    from simulator.grading.delivery import from_turns, target_for

    out: list[dict[str, Any]] = []
    latest = sorted(rows, key=lambda r: r.created_at)[-DELIVERY_SESSIONS:]  # transcripts are read: keep it bounded
    for r in latest:
        turns = store().transcript(r.id).turns
        d = from_turns(turns, target_for(lib.items[r.item_id]))
        if d is None:
            continue
        out.append({"when": r.created_at[:19].replace("T", " "), "item": lib.items[r.item_id].title, "words a minute": d.wpm,
                    "fillers per 100 words": d.fillers_per_100_words, "long pauses": len(d.long_pauses),
                    "length vs response time": d.length_ratio, "session": r.id})
    return out


spoken_rows = delivery_rows()
if spoken_rows:
    st.subheader("Delivery of your spoken answers", anchor=False)
    st.caption("How you said it, session by session (130-170 words a minute is the usual conversational pace); never part of the rating.")
    st.line_chart(pd.DataFrame(spoken_rows).set_index("when")[["words a minute", "fillers per 100 words"]])
    st.dataframe(spoken_rows, hide_index=True)
