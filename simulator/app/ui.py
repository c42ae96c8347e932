"""What the app's pages share: resources opened once per process, per-user state, safe text.

Shared resources (the content library, the session store, the grader's embedding model) are
`st.cache_resource` entries keyed by what they were opened from, so a test that points
MOCKPANEL_DB somewhere else gets its own store. Everything that belongs to one browser tab lives
in `st.session_state`, never in a module global, so two people never see each other's state.
User and content text is shown through `md()` (markdown with every markup character escaped),
never with `unsafe_allow_html`.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import streamlit as st

from simulator.grading.engine import OFFLINE_ENGINES

if TYPE_CHECKING:
    from simulator.content.library import Library
    from simulator.grading.verdict import Grade
    from simulator.practice.assessment import Assessed
    from simulator.storage import Store

T = TypeVar("T")

# Every ASCII punctuation mark CommonMark lets a backslash escape, plus ':' (Streamlit's
# emoji shortcodes and colour directives) and '$' (its LaTeX).
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~:$&=\"'^])")


def md_escape(text: object) -> str:
    """Text as markdown that renders literally: no links, images, HTML, headings or LaTeX."""
    escaped = _MD_SPECIAL.sub(r"\\\1", str(text))
    # Keep the author's line breaks (markdown would fold single newlines into spaces).
    return escaped.replace("\r\n", "\n").replace("\n", "  \n")


def md(text: object, prefix: str = "") -> None:
    """Writes untrusted text; `prefix` is trusted markdown (e.g. '**Question.** ')."""
    st.markdown(prefix + md_escape(text))


def bullets(lines: list[str], title: str | None = None) -> None:
    if not lines:
        return
    body = "\n".join(f"- {md_escape(line)}" for line in lines)
    st.markdown((f"**{md_escape(title)}**\n\n" if title else "") + body)


# --- Shared resources ------------------------------------------------------------------------


def _content_key() -> str:
    from simulator.content.library import CONTENT_DIRS_ENV

    return os.environ.get(CONTENT_DIRS_ENV, "")


@st.cache_resource(show_spinner=False)
def _library(content_dirs: str) -> Library:
    from simulator.content.library import load_library

    return load_library()


def library() -> Library:
    """The content, read and validated once per process (per set of content directories)."""
    return _library(_content_key())


def db_url() -> str:
    """The database this process uses (MOCKPANEL_DB or .env, else the data directory)."""
    from simulator.core.settings import get_settings

    return get_settings().db


@st.cache_resource(show_spinner=False)
def _store(url: str) -> Store:
    from simulator.storage import open_store

    return open_store(url)


def store() -> Store:
    """The store: one per process and database, shared by every browser tab (each tab sees only
    its user's rows: pass `user_id()`)."""
    return _store(db_url())


def damaged_notice() -> None:
    """Each of this user's sessions that cannot be read, said once on the page; the rest still work."""
    for problem in store().damaged(user_id()):
        st.warning(md_escape(str(problem)), icon="🚩")


def user_id() -> str:
    """The signed-in user (Streamlit's OpenID Connect, when `.streamlit/secrets.toml` has an
    [auth] section), else the local profile. With sign-in configured, a visitor who is not signed
    in sees the sign-in button and nothing else."""
    from simulator.storage.users import normalise

    if auth_configured():
        try:
            if st.user.is_logged_in:
                return normalise(str(st.user.get("email") or st.user.get("sub") or ""))
        except Exception:  # streamlit without st.user (older) or no auth: the local profile
            pass
        st.title("mockpanel")
        st.write("Sign in to see your practice sessions and feedback.")
        st.button("Sign in", on_click=st.login, type="primary", key="auth_sign_in")
        st.stop()
    from simulator.storage.users import current_user

    return current_user()


def auth_configured() -> bool:
    try:
        return "auth" in st.secrets
    except Exception:  # no secrets file at all
        return False


def _load_grader_models(engine: str) -> None:
    """The offline models a grade needs: sentence embeddings (the semantic engine and the
    director's matcher) and, for the trained and blend engines, the judge."""
    from simulator.models.embedding import embed

    embed(["warm up"])
    if engine in ("trained", "blend"):
        from simulator.models import crossencoder

        crossencoder.warm()


@st.cache_resource(show_spinner="Loading the grader's model (once)...")
def warm_grader(engine: str) -> str:
    """Loads the grader's offline models once per process, before the first grade needs them."""
    _load_grader_models(engine)
    return engine


def grader_engine() -> str:
    from simulator.grading.engine import default_engine

    return default_engine()


def assessed(session_id: str) -> list[Assessed]:
    """Every item of a saved session graded (stored grades are read, not recomputed): a list of
    `simulator.practice.assessment.Assessed`. Raises ModelError/UserError: callers use run_safely."""
    from simulator.practice.assessment import assess

    engine = grader_engine()
    if engine in OFFLINE_ENGINES:
        warm_grader(engine)
    return assess(store(), session_id, library(), user_id=user_id(), engine=engine, ledger=ledger())


def graded(session_id: str, item_id: str | None = None) -> Grade:
    """The grade of one item of a saved session (the first item unless `item_id` names another)."""
    parts = assessed(session_id)
    for a in parts:
        if item_id is None or a.item.id == item_id:
            return a.grade
    return parts[0].grade


def ledger() -> Any:
    """This browser tab's ledger of model calls (tokens, cost, latency)."""
    if "ledger" not in st.session_state:
        from simulator.models.ledger import Ledger

        st.session_state["ledger"] = Ledger()
    return st.session_state["ledger"]


def run_safely(action: Callable[[], T], what: str) -> T | None:
    """Runs a model-backed action; a failure becomes a message in the page, never a traceback.

    The conversation is kept because every turn is saved before the model is asked for the next.
    """
    from simulator.core.errors import UserError

    try:
        return action()
    except UserError as exc:
        show_error(exc, what)
    return None


def show_error(exc: Exception, what: str) -> None:
    """A failure as a message (escaped: it may quote the user's text) with what to do about it."""
    from simulator.core.errors import ModelError

    if isinstance(exc, ModelError):
        st.error(md_escape(f"{what} failed: {exc}"), icon="📴")
        st.info(md_escape(model_error_advice(exc)), icon="💡")
    else:
        st.error(md_escape(f"{what} failed: {exc}"), icon="⚠️")


def model_error_advice(exc: Exception) -> str:
    """What to do next, in the words of the failure."""
    text = str(exc).lower()
    if "key" in text or "auth" in text or "401" in text:
        advice = "Set the provider's API key (see Settings), or switch back to the embedded default by unsetting MOCKPANEL_MODEL."
    elif "rate" in text or "429" in text or "quota" in text:
        advice = "The provider is rate limiting: wait a minute and send your message again."
    elif "connect" in text or "unreachable" in text or "timed out" in text or "timeout" in text:
        advice = "The model server could not be reached: check MOCKPANEL_API_BASE and your network, or use the embedded default."
    else:
        advice = "Try again, or switch to the embedded default on the Settings page."
    return advice + " Your conversation so far is saved; nothing you wrote is lost."


def check_upload(name: str, data: bytes) -> str | None:
    """The Library's "check your own file": None when the YAML validates, else its one-line
    error naming the uploaded file (a file over the content size limit is refused unread)."""
    problems = upload_problems(name, data)
    return problems[0] if problems else None


def upload_problems(name: str, data: bytes) -> list[str]:
    """Every problem `check_upload` finds, one line each: the first is its one-line error (which
    counts the rest), then each further problem of the same file on its own. Empty when it validates."""
    import tempfile

    from simulator.content.library import MAX_FILE_BYTES, validate_paths
    from simulator.core.errors import InputError, UserError

    name = Path(name).name or "upload.yaml"
    if len(data) > MAX_FILE_BYTES:
        return [str(InputError(name, None, None, f"file is {len(data):,} bytes; the limit is {MAX_FILE_BYTES:,}"))]
    with tempfile.TemporaryDirectory(prefix="mockpanel-upload-") as tmp:
        path = Path(tmp) / name
        path.write_bytes(data)
        try:
            validate_paths([path])
        except UserError as exc:
            others = exc.others if isinstance(exc, InputError) else []
            return [relabel_error(e, path, name) for e in (exc, *others)]
    return []


def relabel_error(exc: Exception, real: Path, shown: str) -> str:
    """An InputError about a temp copy, naming the file the user uploaded instead."""
    from simulator.core.errors import InputError

    if isinstance(exc, InputError):
        file = exc.file.replace(str(real), shown)
        return str(InputError(file, exc.line, exc.field, exc.message))
    return str(exc).replace(str(real), shown)


# --- Settings --------------------------------------------------------------------------------

PURPOSE_HELP = {
    "persona": "plays the role-play partner (Jordan Lee) and the panel",
    "interviewer": "asks the questions and the follow-ups",
    "assistant": "the AI assistant panel in the coding test's with-AI variant",
    "grader": "judges each indicator and quotes your words",
    "candidate": "the simulated candidate that writes sample transcripts",
}

# litellm's provider prefix -> the environment variable it reads the key from.
PROVIDER_KEYS = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "vertex_ai": "GOOGLE_APPLICATION_CREDENTIALS",
    "groq": "GROQ_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "cohere": "COHERE_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "azure": "AZURE_API_KEY",
    "bedrock": "AWS_ACCESS_KEY_ID",
}
KEYLESS_PROVIDERS = ("ollama", "ollama_chat", "hosted_vllm", "lm_studio", "llamafile")


def purposes() -> dict[str, str]:
    from simulator.core.settings import PURPOSES

    return {p: PURPOSE_HELP.get(p, "") for p in PURPOSES}


def key_status(settings: Any, model: str) -> str:
    """'set (MOCKPANEL_API_KEY)', 'set (OPENAI_API_KEY)', 'not needed' or 'missing: ...'; never the key."""
    provider = model.split("/", 1)[0] if "/" in model else "openai"
    if settings.secret():
        return "set (MOCKPANEL_API_KEY)"
    if provider in KEYLESS_PROVIDERS:
        return "not needed"
    env = PROVIDER_KEYS.get(provider)
    if env and os.environ.get(env):
        return f"set ({env})"
    if settings.api_base and provider == "openai":
        return "not set (fine for a local server at MOCKPANEL_API_BASE)"
    return f"missing: set {env or 'MOCKPANEL_API_KEY'}"


def ledger_rows() -> list[dict[str, Any]]:
    """This tab's model calls, one row each, for the Settings page."""
    led = st.session_state.get("ledger")
    if led is None:
        return []
    return [
        {"purpose": c.purpose, "model": c.model, "tokens in": c.prompt_tokens, "tokens out": c.completion_tokens,
         "cost (USD)": c.cost, "latency (s)": round(c.latency_s, 3)}
        for c in led.calls
    ]


def attempt_summary(grade: Any) -> dict[str, Any]:
    """Rating and counts of one graded attempt, for history tables and charts."""
    from simulator.grading.report import status

    states = [status(v) for v in grade.indicators]
    return {"rating": grade.rating, "met": states.count("met"), "missed": states.count("missed"), "fired": states.count("fired")}


# --- Calibration samples ---------------------------------------------------------------------


@st.cache_resource(show_spinner=False)
def _samples(root: str) -> list[Any]:
    from evals.library import samples

    return samples(root=root)


def calibration_samples() -> list[Any]:
    """The interviewers' sample transcripts (evals/data/calibration), read once per process."""
    from evals import library as calibration

    return _samples(str(calibration.CALIBRATION_DIR))


@st.cache_data(show_spinner=False, max_entries=512)
def _grade_sample(root: str, sample_id: str, engine: str, content: str, _ledger: Any) -> Grade:
    from simulator.grading.grader import grade

    sample = next(s for s in _samples(root) if s.id == sample_id)
    lib = library()
    return grade(sample.transcript, lib.item(sample.item), engine=engine, ledger=_ledger, library=lib)


def grade_sample(sample_id: str) -> Grade:
    """The grader's view of a calibration sample, graded once per engine."""
    from evals import library as calibration

    engine = grader_engine()
    if engine in OFFLINE_ENGINES:
        warm_grader(engine)
    return _grade_sample(str(calibration.CALIBRATION_DIR), sample_id, engine, _content_key(), ledger())


@st.cache_resource(show_spinner=False)
def warm_up() -> list[Any]:
    """Once per process, after the first page has rendered, in background threads: load the
    grader's offline models and, only when some purpose uses a configured model, import litellm
    (seconds). The embedded default speaks in-process and never imports litellm."""
    import threading

    from simulator.core.settings import PURPOSES, get_settings
    from simulator.models import seam as model

    def embeddings() -> None:
        try:
            warm_grader_quietly()
        except Exception:  # a broken model install is reported when a page needs it, not here
            pass

    thread = threading.Thread(target=embeddings, name="mockpanel-warm-embeddings", daemon=True)
    thread.start()
    try:
        online = any(not get_settings().is_embedded(p) for p in PURPOSES)
    except Exception:  # a bad setting is reported by the page that needs it
        online = False
    return [model.warm_up(), thread] if online else [thread]


def warm_grader_quietly() -> None:
    _load_grader_models(grader_engine())


@st.cache_resource(show_spinner=False)
def _warmed_items() -> set[tuple[str, str | None, str]]:
    return set()


def warm_item(item_id: str, variant: str | None) -> None:
    """While the candidate talks, in a background thread (once per item and engine per process):
    load the offline grader and grade a one-line transcript of this item, so its rubric's vectors
    are computed (and kept on disk) and the Feedback page's code is imported before End is pressed.
    The first grade then only reads the candidate's own sentences. Never for a model-backed
    grader (that would be a paid call); a failure here is silent (the real grade reports it)."""
    import threading

    engine = grader_engine()
    key = (item_id, variant, engine)
    done = _warmed_items()
    if engine not in OFFLINE_ENGINES or key in done:
        return
    done.add(key)
    lib = library()

    def work() -> None:
        try:
            import importlib

            for module in ("simulator.grading.report", "simulator.practice.assessment"):  # the Feedback page's imports
                importlib.import_module(module)
            from simulator.core.transcript import Transcript, Turn
            from simulator.grading.grader import grade

            warm_grader_quietly()
            turn = Turn(speaker="candidate", text="I would start by asking what success means here.")
            transcript = Transcript.model_validate({"item": item_id, "variant": variant, "turns": [turn]})
            grade(transcript, lib.item(item_id), engine=engine, library=lib)
        except Exception:  # the real grade says what is wrong
            done.discard(key)

    threading.Thread(target=work, name=f"mockpanel-warm-{item_id}", daemon=True).start()


def keep_valid(key: str, options: list[Any]) -> None:
    """Before a keyed selectbox/radio: a remembered choice that the new options no longer hold
    (another track or item was picked) falls back to the first option instead of failing."""
    if key in st.session_state and st.session_state[key] not in options and options:
        st.session_state[key] = options[0]
