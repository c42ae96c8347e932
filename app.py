"""mockpanel's Streamlit app: `streamlit run app.py` (or `make app`, `mockpanel app`).

Kept small on purpose: each page is a script under `simulator/app/pages/`, shared helpers live in
`simulator/app/ui.py`, and nothing heavy is imported until a page needs it, so the first page
renders fast on the embedded default.
"""

from __future__ import annotations

import streamlit as st

from simulator.app.ui import md_escape, user_id, warm_up
from simulator.core.errors import UserError

# An emoji, not a Material icon: the favicon of a Material icon is fetched from Google's CDN.
st.set_page_config(page_title="mockpanel", page_icon="\N{STUDIO MICROPHONE}", layout="wide")

PAGES = {
    "Practise": [
        st.Page("simulator/app/pages/practice.py", title="Practice", icon="💬", default=True),
        st.Page("simulator/app/pages/feedback.py", title="Feedback", icon="🧐"),
        st.Page("simulator/app/pages/progress.py", title="Progress", icon="📈"),
    ],
    "Interviewers": [
        st.Page("simulator/app/pages/calibrate.py", title="Calibrate", icon="⚖️"),
    ],
    "Content": [
        st.Page("simulator/app/pages/library.py", title="Library", icon="📖"),
        st.Page("simulator/app/pages/settings.py", title="Settings", icon="⚙️"),
    ],
}

try:
    user_id()  # with sign-in configured ([auth] in secrets.toml), nothing shows until you are signed in
    page = st.navigation(PAGES)
    # Which page the previous run drew: the Practice page tells a fresh visit from its own reruns.
    st.session_state["page_before"] = st.session_state.get("page_now")
    st.session_state["page_now"] = page.title
    page.run()
except UserError as exc:  # bad settings, content or database: its one line, never a traceback
    st.error(md_escape(str(exc)), icon="⚠️")
finally:
    warm_up()  # background imports, started once the first page is on screen
