"""Settings: which model does what, whether its key is set (never the key), and what it cost."""

from __future__ import annotations

import streamlit as st

from simulator.app.ui import key_status, ledger_rows, md_escape, purposes
from simulator.core.errors import redact

st.title("Settings")
st.caption(
    "Set these with environment variables or a `.env` file before starting the app "
    "(`MOCKPANEL_MODEL` for everything, or one per purpose: `MOCKPANEL_PERSONA_MODEL`, "
    "`MOCKPANEL_INTERVIEWER_MODEL`, `MOCKPANEL_GRADER_MODEL`, `MOCKPANEL_CANDIDATE_MODEL`)."
)

from simulator.core.settings import get_settings  # noqa: E402  (after the title: the page shows at once)

settings = get_settings()
rows = []
for purpose, what in purposes().items():
    model = settings.model_for(purpose)
    embedded = settings.is_embedded(purpose)
    rows.append({
        "purpose": purpose,
        "what it does": what,
        "model": model,
        "kind": "embedded (offline)" if embedded else "remote",
        "key": "not needed" if embedded else key_status(settings, model),
    })
st.subheader("Models", anchor=False)
st.dataframe(rows, hide_index=True)
if settings.api_base:
    st.caption(md_escape(f"API base: {redact(settings.api_base)}"))
st.caption(f"Transcripts are saved in {md_escape(str(settings.db))}.")

st.subheader("The embedded default", anchor=False)
left, right = st.columns(2)
with left:
    st.markdown(
        "**What it can do**\n\n"
        "- Runs offline, with no key and no cost: the personas speak from the lines written in their YAML files.\n"
        "- Discloses a persona's hidden facts only when you ask about them, and raises their tensions.\n"
        "- Grades with a small embedding model on this machine (MiniLM, int8): each indicator is matched "
        "against your own words, and every finding quotes them.\n"
        "- Gives the same result for the same conversation: good for practising the same item twice."
    )
with right:
    st.markdown(
        "**What it cannot do**\n\n"
        "- Improvise: replies are chosen from the persona's written lines, so they can repeat, and an "
        "unexpected question gets a polite deflection.\n"
        "- Judge the quality of an argument: the grader notices whether you showed an indicator, "
        "not whether your numbers are right.\n"
        "- Read code: in the coding test your code is saved in the transcript, and graded only by what you say "
        "about it.\n"
        "- For free-form conversation and a grader that reasons, set `MOCKPANEL_MODEL` to a real model "
        "(for example `openai/gpt-4o-mini` with `OPENAI_API_KEY`)."
    )

st.subheader("Used this session", anchor=False)
usage = ledger_rows()
if not usage:
    st.info("No model calls yet in this browser session (the embedded default makes none that cost anything).")
else:
    tokens = sum(r["tokens in"] + r["tokens out"] for r in usage)
    cost = sum(r["cost (USD)"] for r in usage)
    a, b, c = st.columns(3)
    a.metric("Calls", len(usage))
    b.metric("Tokens", f"{tokens:,}")
    c.metric("Cost", f"${cost:.4f}")
    st.dataframe(usage, hide_index=True)
