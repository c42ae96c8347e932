"""Who is acting: every session, grade and calibration rating belongs to a user.

Alone on a laptop there is one profile, `local`, and no login. On a team's PostgreSQL the app
signs people in (Streamlit's OpenID Connect, `st.login`) and passes the signed-in user; the
terminal acts as `MOCKPANEL_USER`.
"""

from __future__ import annotations

import re

from simulator.storage.records import LOCAL_USER

_SAFE = re.compile(r"[^\w.@+-]")


def current_user() -> str:
    """The terminal's user: MOCKPANEL_USER, else the local profile."""
    from simulator.core.settings import get_settings

    return normalise(get_settings().user)


def normalise(user: str | None) -> str:
    """A stable id for a user: an e-mail or OIDC subject, trimmed and lower-cased."""
    text = (user or "").strip().lower()
    return _SAFE.sub("_", text)[:200] or LOCAL_USER
