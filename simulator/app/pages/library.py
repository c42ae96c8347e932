"""Library: browse the rubrics and personas, and check a YAML file of your own."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from simulator.app.ui import bullets, keep_valid, library, md, md_escape, upload_problems

st.title("Library")
st.caption("The questions, indicators and personas every practice session is built from.")

lib = library()
rubrics_tab, personas_tab, rounds_tab, upload_tab = st.tabs(["Rubrics", "Personas", "Rounds", "Check your own file"])


def show_item(item_id: str) -> None:
    item = lib.items[item_id]
    bank = lib.banks.get(lib.item_bank.get(item_id, ""))
    st.subheader(md_escape(item.title), anchor=False)
    facts = [item.kind.replace("_", " "), item.level, f"round: {item.round}"]
    if bank:
        facts.append(f"bank: {bank.title}")
    if item.difficulty:
        facts.append(item.difficulty)
    if item.response_time_minutes:
        facts.append(f"{item.response_time_minutes:g} min")
    st.caption(md_escape(" · ".join(facts)))
    md(item.question, "**Question.** ")
    for v in item.variants:
        md(f"{v.title}: {v.instructions}", f"**Variant `{v.id}`.** ")
        md(v.question)
    positive = [i for i in item.indicators if i.polarity == "positive"]
    negative = [i for i in item.indicators if i.polarity == "negative"]
    left, right = st.columns(2)
    with left:
        bullets([i.text + (f" (only {', '.join(i.variants)})" if i.variants else "") for i in positive], "Positive indicators")
    with right:
        bullets([i.text + (f" (only {', '.join(i.variants)})" if i.variants else "") for i in negative], "Negative indicators")
    st.markdown("**Scoring anchors**")
    for rating in ("exceeds", "meets", "below"):
        md(item.anchors.get(rating).text, f"- *{rating.capitalize()}:* ")
    bullets(item.follow_ups, "Follow-ups")
    if item.reference_answer:
        with st.expander("Reference answer (spoils the practice)"):
            md(item.reference_answer)
    people = [lib.personas[p] for p in item.personas if p in lib.personas]
    if people:
        md(", ".join(f"{p.name} ({p.title})" for p in people), "**Played by.** ")
    st.page_link("simulator/app/pages/practice.py", label="Practise this", icon="▶️", query_params={"item": item.id})


with rubrics_tab:
    if not lib.items:
        st.info("No rubric items are installed yet: add YAML files under rubrics/.")
    else:
        cols = st.columns(3)
        banks = sorted({lib.item_bank[i] for i in lib.items})
        bank = cols[0].selectbox("Bank", ["all", *banks], format_func=lambda b: b if b == "all" else lib.banks[b].title, key="lib_bank")
        kinds = sorted({i.kind for i in lib.items.values()})
        kind = cols[1].selectbox("Kind", ["all", *kinds], key="lib_kind")
        levels = [lv for lv in ("junior", "mid", "senior", "lead", "principal") if any(i.level == lv for i in lib.items.values())]
        level = cols[2].selectbox("Level", ["all", *levels], key="lib_level")
        shown = [
            i for i in lib.items.values()
            if (bank == "all" or lib.item_bank[i.id] == bank) and (kind == "all" or i.kind == kind) and (level == "all" or i.level == level)
        ]
        st.dataframe(
            [{"id": i.id, "title": i.title, "kind": i.kind, "level": i.level, "round": i.round,
              "indicators": len(i.indicators), "variants": ", ".join(v.id for v in i.variants)} for i in shown],
            hide_index=True,
            height=min(38 + 35 * len(shown), 320),
        )
        if shown:
            keep_valid("lib_item", [i.id for i in shown])
            chosen = st.selectbox("Item", [i.id for i in shown], format_func=lambda i: f"{lib.items[i].title}  ({i})", key="lib_item")
            with st.container(border=True):
                show_item(chosen)

with personas_tab:
    if not lib.personas:
        st.info("No personas are installed yet: add YAML files under personas/.")
    else:
        pid = st.selectbox("Persona", list(lib.personas), format_func=lambda p: f"{lib.personas[p].name}, {lib.personas[p].title}", key="lib_persona")
        p = lib.personas[pid]
        with st.container(border=True):
            st.subheader(md_escape(f"{p.name}, {p.title}"), anchor=False)
            st.caption(md_escape(f"{p.archetype.replace('_', ' ')} · {p.id}" + (f" · played by {p.played_by}" if p.played_by else "")))
            md(p.motivation, "**Motivation.** ")
            md(p.voice, "**Voice.** ")
            bullets(p.guidance, "In-character guidance")
            bullets([r.text for r in p.do_not], "Do not")
            used = [i.title for i in lib.items.values() if pid in i.personas]
            bullets(used, "Plays in")
            if p.constraints or p.tensions:
                with st.expander("Hidden facts and tensions (for interviewers: reading them spoils the practice)"):
                    bullets([f"{c.fact} (disclosed when: {c.disclose_when})" for c in p.constraints], "Hidden facts")
                    bullets([f"{t.text} ({t.trigger})" for t in p.tensions], "Tensions")

with rounds_tab:
    if not lib.rounds:
        st.info("No rounds are defined yet (rubrics/rounds.yaml).")
    else:
        st.dataframe(
            [{"round": r.name, "id": r.id, "stage": r.stage, "duration": r.duration, "focus": r.focus,
              "items": len(lib.items_in_round(r.id))} for r in lib.rounds.values()],
            hide_index=True,
        )
        if lib.progression:
            st.markdown("**Progression framework**")
            st.dataframe(
                [{"competency": c.name, "discipline": c.discipline, "junior": c.levels.junior, "mid": c.levels.mid,
                  "senior": c.levels.senior, "principal": c.levels.principal} for c in lib.progression.values()],
                hide_index=True,
            )

with upload_tab:
    st.markdown(
        "Write a rubric (`bank` + `items`), persona (`personas`) or rounds file and check it here: you get the "
        "same one-line errors as `mockpanel validate FILE`. To practise with it, put it in a directory named in "
        "`MOCKPANEL_CONTENT_DIRS`."
    )
    upload = st.file_uploader("YAML file", type=["yaml", "yml"], key="lib_upload")
    if upload is not None:
        name = Path(upload.name).name or "upload.yaml"
        problems = upload_problems(name, upload.getvalue())
        if problems:
            st.error(md_escape(problems[0]), icon="⚠️")
            if len(problems) > 1:  # the line above counts them; here is each one
                more = len(problems) - 1
                with st.expander(f"The {more} more problem{'s' if more > 1 else ''}", expanded=True):
                    bullets(problems[1:])
        else:
            st.success(md_escape(f"ok: {name}"), icon="✅")
