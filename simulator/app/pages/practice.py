"""Practice: choose an item, read the brief, and talk it through against the clock.

The page's one piece of per-user state is the open `Session` (in `st.session_state`); the
session saves every turn to the store as it happens, so leaving, reloading or a failed model call
loses nothing, and an unfinished session can be resumed later from the list below the chooser.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import streamlit as st

from simulator.app.ui import (
    bullets,
    damaged_notice,
    keep_valid,
    ledger,
    library,
    md,
    md_escape,
    run_safely,
    show_error,
    store,
    user_id,
    warm_item,
)

if TYPE_CHECKING:
    from simulator.content.rubric import Item
    from simulator.core.transcript import Turn
    from simulator.practice.session import Session

LEVELS = ("junior", "mid", "senior", "lead", "principal")
lib = library()


# --- choosing ------------------------------------------------------------------------------------


def start(item_id: str, variant: str | None) -> None:
    from simulator.practice.session import Session

    item = lib.items[item_id]
    st.session_state["pr_last"] = (item_id, variant)  # the chooser shows this choice again afterwards
    s = Session.start(item_id, variant, item.level, random.randrange(1_000_000), store=store(), lib=lib, ledger=ledger(), user_id=user_id())
    st.session_state["practice"] = s
    st.session_state["practice_new"] = True  # speak the opening on the next run, inside the page


def resume(session_id: str) -> None:
    from simulator.core.errors import UserError
    from simulator.practice.session import Session

    try:  # e.g. open in another tab: one writer per session
        s = Session.open(session_id, store=store(), lib=lib, ledger=ledger(), user_id=user_id())
    except UserError as exc:
        st.session_state["pr_resume_error"] = exc
        return
    st.session_state["practice"] = s
    st.session_state["pr_last"] = (s.row.item_id, s.row.variant)
    st.session_state["practice_new"] = True


def leave() -> None:
    s = st.session_state.pop("practice", None)
    if s is not None:
        s.close()  # another tab or terminal may continue it now


def again(item_id: str, variant: str | None) -> None:
    """The same item (and variant) once more, in one click: a new session, the old one kept."""
    leave()
    start(item_id, variant)


def preselect() -> None:
    """`?item=ID&variant=with_ai` (the Library's "Practise this" link) picks the item once; else,
    when the chooser's own choice was forgotten (it was off screen during a session), the item
    last practised is chosen again."""
    wanted = st.query_params.get("item")
    if not wanted or wanted not in lib.items or st.session_state.get("pr_linked") == wanted:
        last = st.session_state.get("pr_last")
        if last is not None and "pr_item" not in st.session_state and last[0] in lib.items:
            choose(*last)
        return
    st.session_state["pr_linked"] = wanted
    choose(wanted, st.query_params.get("variant"))


def choose(wanted: str, variant: str | None) -> None:
    """Sets the chooser's widgets to one item (and variant), with every filter on "any"."""
    item = lib.items[wanted]
    st.session_state["pr_bank"] = lib.item_bank[wanted]
    st.session_state["pr_round"] = item.round
    st.session_state["pr_kind"] = st.session_state["pr_diff"] = st.session_state["pr_level"] = "any"
    st.session_state["pr_item"] = wanted
    if variant in {v.id for v in item.variants}:
        st.session_state["pr_variant"] = variant


# On a phone the columns stack: the brief of the chosen item (and Start) comes first, the filters
# that change the choice after it. A fixed stylesheet, no user text.
NARROW_CSS = """<style>
@media (max-width: 640px) {
  .st-key-pr_chooser > .st-key-pr_brief, .st-key-pr_chooser > div:has(> .st-key-pr_brief) { order: -1; }
}
</style>"""


def chooser() -> None:
    st.title("Practice")
    if not lib.items:
        st.info("No rubric items are installed: add YAML files under rubrics/ (see the Library page).")
        return
    preselect()
    st.html(NARROW_CSS)
    page = st.container(key="pr_chooser")
    filters = page.container(key="pr_filters")
    chosen = page.container(key="pr_brief")
    with filters:
        banks = sorted({lib.item_bank[i] for i in lib.items}, key=lambda b: (LEVELS.index(lib.banks[b].level), lib.banks[b].title))
        top = st.columns([2, 2, 3])
        bank_id = top[0].selectbox(
            "Track (role and level)", banks, key="pr_bank",
            format_func=lambda b: f"{lib.banks[b].role}, {lib.banks[b].level} ({lib.banks[b].title})",
        )
        in_bank = [i for i in lib.items.values() if lib.item_bank[i.id] == bank_id]
        round_ids = [r for r in lib.rounds if any(i.round == r for i in in_bank)] + sorted({i.round for i in in_bank} - set(lib.rounds))
        keep_valid("pr_round", ["any", *round_ids])
        round_id = top[1].selectbox(
            "Round", ["any", *round_ids], key="pr_round",
            format_func=lambda r: "any round" if r == "any" else (lib.rounds[r].name if r in lib.rounds else r),
        )
        candidates = [i for i in in_bank if round_id == "any" or i.round == round_id]
        with top[2]:
            f = st.columns(3)
            kinds = sorted({i.kind for i in candidates})
            keep_valid("pr_kind", ["any", *kinds])
            kind = f[0].selectbox("Kind", ["any", *kinds], key="pr_kind", format_func=lambda k: k.replace("_", " "))
            diffs = [d for d in ("easy", "medium", "hard") if any(i.difficulty == d for i in candidates)]
            keep_valid("pr_diff", ["any", *diffs])
            diff = f[1].selectbox("Difficulty", ["any", *diffs], key="pr_diff")
            levels = [lv for lv in LEVELS if any(i.level == lv for i in candidates)]
            keep_valid("pr_level", ["any", *levels])
            level = f[2].selectbox("Level", ["any", *levels], key="pr_level")
        shown = [
            i for i in candidates
            if (kind == "any" or i.kind == kind) and (diff == "any" or i.difficulty == diff) and (level == "any" or i.level == level)
        ]
        if not shown:
            st.warning("No item matches these filters.")
        else:
            keep_valid("pr_item", [i.id for i in shown])
            item_id = st.selectbox(
                "Item", [i.id for i in shown], key="pr_item",
                format_func=lambda i: f"{lib.items[i].title} ({lib.items[i].kind.replace('_', ' ')}, {lib.items[i].level})",
            )
            item = lib.items[item_id]
    if shown:
        with chosen:
            variant = None
            if item.variants:
                keep_valid("pr_variant", [v.id for v in item.variants])
                variant = st.radio(
                    "Variant", [v.id for v in item.variants], horizontal=True, key="pr_variant",
                    format_func=lambda v: next(x.title for x in item.variants if x.id == v),
                )
            with st.container(border=True):
                brief(item, variant)
            st.button("Start", type="primary", icon="▶️", key="pr_start", on_click=start, args=(item_id, variant))
    resumable()


def brief(item: Item, variant: str | None) -> None:
    """What the candidate may read before starting: never a persona's hidden facts."""
    st.subheader(md_escape(item.title), anchor=False)
    facts = [item.kind.replace("_", " "), item.level]
    if item.response_time_minutes:
        facts.append(f"{item.response_time_minutes:g} min")
    elif item.round in lib.rounds:
        facts.append(lib.rounds[item.round].duration)
    st.caption(md_escape(" · ".join(facts)))
    v = next((x for x in item.variants if x.id == variant), None)
    if v:
        md(v.instructions, "**Instructions.** ")
    md(item.prompt_for(variant), "**Your task.** ")
    people = [lib.personas[p] for p in item.personas if p in lib.personas]
    if people:
        md("; ".join(f"{p.name}, {p.title}" for p in people if p.archetype != "assistant"), "**You will talk to.** ")
        helpers = [p for p in people if p.archetype == "assistant"]
        if helpers and variant == "with_ai":
            md(", ".join(p.name for p in helpers), "**AI assistant.** ")
    b = item.brief
    if b:
        for label, value in (("Scenario", b.scenario), ("Problem to solve", b.problem), ("Format", b.format), ("Audience", b.audience)):
            if value and value.strip() != item.prompt_for(variant).strip():
                md(value, f"**{label}.** ")
        for label, values in (("What to prepare", b.prepare), ("Deliverables", b.deliverables), ("Success criteria", b.success_criteria),
                              ("What to review beforehand", b.review_beforehand), ("Ground rules", b.ground_rules)):
            bullets(values, label)
    st.caption("Commands in the chat: /hint, /repeat, /time, /end" + (", /ai your request" if variant == "with_ai" else "") + ".")


def resumable() -> None:
    rows = [r for r in store().list(user_id()) if r.status == "active" and r.turns > 0 and r.item_id in lib.items]
    damaged_notice()
    if not rows:
        return
    st.divider()
    st.subheader("Unfinished sessions", anchor=False)
    col, btn = st.columns([4, 1], vertical_alignment="bottom")
    sid = col.selectbox(
        "Session", [r.id for r in rows], key="pr_resume_id",
        format_func=lambda i: next(
            f"{lib.items[r.item_id].title}{f' [{r.variant}]' if r.variant else ''}: {r.turns} turns, last {r.updated_at[:16].replace('T', ' ')}"
            for r in rows if r.id == i
        ),
    )
    btn.button("Resume", icon="🔁", key="pr_resume", on_click=resume, args=(sid,))
    err = st.session_state.pop("pr_resume_error", None)
    if err is not None:
        show_error(err, "Resuming")


# --- talking -------------------------------------------------------------------------------------


def names(s: Session) -> dict[str, str]:
    out = {pid: p.name for pid, p in s.director.personas.items()}
    out["coach"] = "Note"
    try:
        out["interviewer"] = s.director.lead().name
    except ValueError:
        out["interviewer"] = "Interviewer"
    return out


# Avatars as small pictures, not Material icons: an icon's name ("face", "person", "smart_toy")
# would be the message's first line of text, copied with it and read by tools that read the page.
# Fixed SVG, no user text; the glyphs are Material Design's person (Apache 2.0) and a plain robot.
_PERSON = "M12 12c2.21 0 4-1.79 4-4s-1.79-4-4-4-4 1.79-4 4 1.79 4 4 4zm0 2c-2.67 0-8 1.34-8 4v2h16v-2c0-2.66-5.33-4-8-4z"
_ROBOT = "M11 3h2v3h4a2 2 0 0 1 2 2v9a2 2 0 0 1-2 2H7a2 2 0 0 1-2-2V8a2 2 0 0 1 2-2h4zM9 10.5a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3zm6 0a1.5 1.5 0 1 0 0 3 1.5 1.5 0 0 0 0-3z"


def _avatar(colour: str, path: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" width="32" height="32">'
            f'<rect width="24" height="24" rx="5" fill="{colour}"/>'
            f'<path transform="translate(3.6 3.6) scale(0.7)" fill="#fff" fill-rule="evenodd" d="{path}"/></svg>')


AVATARS = {"you": _avatar("#ff4b4b", _PERSON), "persona": _avatar("#1c83e1", _PERSON), "assistant": _avatar("#ffa421", _ROBOT)}


def you() -> Any:
    return st.chat_message("user", avatar=AVATARS["you"])


def them(channel: str) -> Any:
    return st.chat_message("assistant", avatar=AVATARS["assistant" if channel == "assistant" else "persona"])


def show_turn(turn: Turn, who: dict[str, str]) -> None:
    if not turn.text.strip():
        return
    if turn.is_candidate:
        if turn.channel == "command":
            st.caption(f"You: {md_escape(turn.text)}")
            return
        with you():
            if turn.channel == "code":
                st.caption("Code submitted")
                st.code(turn.text, language="python")
            else:
                md(turn.text)
        return
    name = who.get(turn.speaker, turn.speaker)
    with them(turn.channel):
        label = f"**{md_escape(name)}**" + (" · *command*" if turn.channel == "command" else "")
        st.markdown(label)
        md(turn.text)


def words(text: str) -> Iterator[str]:
    """A reply in small pieces for st.write_stream (the scripted voice has it whole already)."""
    for n, word in enumerate(md_escape(text).split(" ")):
        yield word if n == 0 else " " + word


def stream_turns(turns: Iterator[Turn], who: dict[str, str], channel: str = "chat") -> list[Turn]:
    """Shows each reply as the session saves it; the candidate's own line was shown already.
    Replies are read aloud too when the candidate turned that on. Returns the replies shown."""
    shown: list[Turn] = []
    for turn in turns:
        if turn.is_candidate or not turn.text.strip():
            continue
        if turn.channel == "assistant" and channel != "assistant":
            continue
        name = who.get(turn.speaker, turn.speaker)
        with them(turn.channel):
            st.markdown(f"**{md_escape(name)}**" + (" · *command*" if turn.channel == "command" else ""))
            st.write_stream(words(turn.text))
        shown.append(turn)
    read_aloud(shown)
    return shown


# --- personas that can be heard (the browser's own speech synthesis; off by default) -------------

PITCHES = {"lower": 0.8, "normal": 1.0, "higher": 1.25}
SPEAK = """<script>
const lines = {lines};
const synth = window.speechSynthesis;
function go() {{
  const voices = synth.getVoices().filter(v => (v.lang || "").toLowerCase().startsWith("en"));
  for (const [text, voice, pitch] of lines) {{
    const u = new SpeechSynthesisUtterance(text);
    if (voices.length) u.voice = voices[voice % voices.length];
    u.lang = "en"; u.pitch = pitch;
    synth.speak(u);
  }}
}}
if (synth) {{ if (synth.getVoices().length) go(); else synth.onvoiceschanged = go; }}
</script>"""


def persona_of(turn: Turn) -> str:
    return (turn.meta.get("plan") or {}).get("persona") or turn.meta.get("persona") or turn.speaker


def read_aloud(turns: list[Turn]) -> None:
    """Speaks the replies in the browser, each persona in the voice chosen for it. The text goes
    into the script as JSON with every "<" escaped, so a reply can never close the script or
    become markup; it is only ever handed to SpeechSynthesisUtterance."""
    if not st.session_state.get("pr_aloud") or not turns:
        return
    import json

    lines = [[t.text, int(st.session_state.get(f"pr_voice_{persona_of(t)}", 1)) - 1,
              PITCHES.get(st.session_state.get(f"pr_pitch_{persona_of(t)}", "normal"), 1.0)]
             for t in turns if t.channel != "assistant"]
    if lines:
        st.iframe(SPEAK.format(lines=json.dumps(lines).replace("<", "\\u003c")), height=1, tab_index=-1,
                  alt="Reads the replies aloud (nothing to see)")


def voices(s: Session) -> None:
    """The read-aloud switch and a voice for each persona (the n-th English voice the browser has)."""
    people = [p for p in s.director.personas.values() if p.archetype != "assistant"]
    st.toggle("Read replies aloud", key="pr_aloud", value=False, help="Uses your browser's own speech synthesis; nothing is downloaded.")
    if not st.session_state.get("pr_aloud"):
        return
    with st.expander("Voices", expanded=False):
        for n, p in enumerate(people):
            cols = st.columns([2, 1, 1], vertical_alignment="bottom")
            cols[0].markdown(md_escape(p.name))
            cols[1].selectbox("Voice", [1, 2, 3, 4, 5, 6], index=n % 6, key=f"pr_voice_{p.id}", format_func=lambda v: f"voice {v}")
            cols[2].selectbox("Pitch", list(PITCHES), index=1, key=f"pr_pitch_{p.id}")


def command(name: str) -> None:
    s: Session = st.session_state["practice"]
    st.session_state["practice_error"] = None
    from simulator.core.errors import UserError

    try:
        s.command(name)
    except UserError as exc:
        st.session_state["practice_error"] = (exc, "The command")


def attempt(action: Callable[[], Any], what: str) -> bool:
    """Runs a model-backed step of the conversation. On a failure the page is drawn again from the
    store, so it shows exactly what was saved, with the error and (when a reply is owed) what happens next."""
    from simulator.core.errors import UserError

    try:
        action()
    except UserError as exc:
        st.session_state["practice_error"] = (exc, what)
        st.rerun()
    return True


def fmt_left(left: float) -> str:
    left = max(0, int(left))
    return f"{left // 60}:{left % 60:02d}"


CLOCK = """
<div style="font-family: 'Source Sans 3', 'Source Sans Pro', system-ui, sans-serif; color: #31333f;">
  <div style="font-size: 14px;">Time left</div>
  <div id="t" style="font-size: 34px; line-height: 1.3;">{start}</div>
  <div style="height: 6px; background: #e6e9ef; border-radius: 3px;">
    <div id="b" style="height: 6px; width: {pct}%; background: #1c83e1; border-radius: 3px;"></div>
  </div>
</div>
<script>
  const end = Date.now() + {left} * 1000, limit = {limit};
  const t = document.getElementById("t"), b = document.getElementById("b");
  function tick() {{
    const s = Math.max(0, Math.round((end - Date.now()) / 1000));
    t.textContent = s > 0 ? Math.floor(s / 60) + ":" + String(s % 60).padStart(2, "0") : "time is up";
    b.style.width = (100 * s / limit) + "%";
    if (s > 0) setTimeout(tick, 250);
  }}
  tick();
</script>
"""


def countdown(s: Session) -> None:
    """A clock that ticks in the browser: no server reruns, so the page never redraws under you.

    Only numbers computed here go into the HTML (never user text); it is re-synchronised with the
    session's own clock on every run.
    """
    left = s.time_left()
    if left is None:
        st.metric("Time", "untimed")
        return
    if s.finished:
        st.metric("Time left", "ended")
        return
    limit = s.director.time_limit() or 1.0
    st.iframe(CLOCK.format(start=fmt_left(left), pct=round(100 * left / limit, 1), left=int(left), limit=int(limit)), height=86,
              alt="Time left in this session")
    if left <= 0:
        st.warning("Time is up: wrap up and press End.", icon="⌛")


SR_ONLY = "position:absolute;width:1px;height:1px;margin:-1px;padding:0;overflow:hidden;clip:rect(0,0,0,0);white-space:nowrap;border:0"


def announce(slot: Any, turns: list[Turn], who: dict[str, str]) -> None:
    """A polite live region holding the latest reply, so a screen reader reads each new one out.
    The reply is HTML-escaped (st.html also sanitises); the region is visually hidden."""
    import html

    latest = next((t for t in reversed(turns) if not t.is_candidate and t.text.strip()), None)
    text = "" if latest is None else f"{who.get(latest.speaker, latest.speaker)}: {latest.text}"
    slot.html(f'<div class="mp-latest-reply" role="status" aria-live="polite" aria-atomic="true" style="{SR_ONLY}">{html.escape(text)}</div>')


def conversation(s: Session) -> None:
    item = s.director.item
    who = names(s)
    head, clock = st.columns([4, 1])
    with head:
        st.title(md_escape(item.title), anchor=False)
        st.caption(md_escape(f"{item.kind.replace('_', ' ')} · {item.level}" + (f" · {s.row.variant}" if s.row.variant else "") + f" · session {s.id}"))
    with clock:
        countdown(s)
    live = st.empty()  # for screen readers: the latest reply, announced when it changes
    with st.container(horizontal=True):
        st.button("Hint", icon="💡", key="pr_hint", on_click=command, args=("hint",), disabled=s.finished)
        st.button("End", icon="⏹️", key="pr_end", on_click=command, args=("end",), disabled=s.finished)
        if s.finished:
            st.button("Try this again", type="primary", icon="🔁", key="pr_again", on_click=again,
                      args=(s.row.item_id, s.row.variant))
            st.button("Practise another", icon="➕", key="pr_leave", on_click=leave)
        else:
            st.button("Leave", icon="🚪", key="pr_leave", on_click=leave,
                      help="Keep this session for later: resume it from this page.")
    with st.expander("The brief", expanded=False):
        brief(item, s.row.variant)
    voices(s)

    err = st.session_state.pop("practice_error", None)
    if err is not None:
        show_error(*err)

    if st.session_state.pop("practice_new", False):
        opened: list[Any] = []
        attempt(lambda: opened.extend(s.opening()), "Starting the conversation")
        read_aloud(opened)

    coding = item.kind == "coding_test"
    with_ai = s.director.assistant_persona() is not None
    if coding:
        chat_col, side = st.columns([3, 2], gap="large")
    else:
        chat_col, side = st.container(), None

    turns = s.transcript().turns
    announce(live, turns, who)
    with chat_col:
        chat = st.container()
        with chat:
            for turn in turns:
                if turn.channel != "assistant":
                    show_turn(turn, who)
        owed = s.owed()
        if owed:
            st.warning(md_escape(f"{owed}: send your next answer, or press Get the reply."), icon="🔄")
            if st.button("Get the reply", key="pr_retry"):
                with chat:
                    attempt(lambda: stream_turns(s.resume(), who), "The reply")
                st.rerun()  # drawn again from the store, without the notice
        spoken = not s.finished and microphone(s, who, chat)
        prompt = st.chat_input("Your answer (or /hint, /repeat, /time, /end)", key=f"pr_chat_{s.id}", disabled=s.finished)
        if spoken:
            st.rerun()  # a fresh microphone; the turns just sent are drawn from the transcript
        if prompt:
            with chat:
                if not prompt.strip().startswith("/"):
                    with you():
                        md(prompt)
                else:
                    st.caption(f"You: {md_escape(prompt.strip())}")
                attempt(lambda: stream_turns(s.stream_respond(prompt), who), "The reply")
            announce(live, s.transcript().turns, who)
            if s.finished:
                st.rerun()

    if prompt or any(t.is_candidate for t in turns):
        # Once the first answer has its reply, while the candidate reads and types the next: the
        # grader gets ready in the background, so the first grade after End is quick (not earlier:
        # on two cores it would slow the first reply down).
        warm_item(s.row.item_id, s.row.variant)

    if side is not None:
        with side:
            code_pane(s, turns, who)
            if with_ai:
                assistant_panel(s, turns, who)

    if s.finished:
        st.success("This session has ended and is saved.", icon="✔️")
        st.session_state["feedback_id"] = s.id
        if st.button("See your feedback", type="primary", icon="🧐", key="pr_feedback"):
            st.switch_page("simulator/app/pages/feedback.py")


MAX_AUDIO_MB = 50


def microphone(s: Session, who: dict[str, str], chat: Any) -> bool:
    """Speak an answer: recorded in the browser, transcribed offline, shown and editable, then sent.

    The recording is kept beside the sessions (its path and timing go on the turn's
    `meta["speech"]`); bad audio is one line under the microphone, and the chat is untouched.
    Returns True when a spoken answer was sent on this run.
    """
    from simulator.core.errors import UserError
    from simulator.grading.delivery import target_for

    n = st.session_state.get(f"pr_mic_n_{s.id}", 0)
    clip = st.audio_input("Speak your answer", key=f"pr_mic_{s.id}_{n}", help="Recorded here, transcribed on this machine; you can edit the words before sending.")
    if clip is None:
        return False
    data = clip.getvalue()
    heard_key = f"pr_heard_{s.id}_{n}"
    import hashlib

    digest = hashlib.sha256(data).hexdigest()
    if st.session_state.get(heard_key, (None,))[0] != digest:
        from simulator.practice.recording import hear

        try:
            if len(data) > MAX_AUDIO_MB * 1024 * 1024:
                raise UserError(f"the recording is {len(data) / 1e6:.0f} MB; the limit is {MAX_AUDIO_MB} MB")
            with st.spinner("Transcribing on this machine..."):
                heard = hear(data, name="the recording", target_minutes=target_for(s.director.item), question=s.director.item.question)
        except UserError as exc:
            st.session_state[heard_key] = (digest, None, str(exc))
        else:
            st.session_state[heard_key] = (digest, heard, "")
            st.session_state[f"pr_said_{s.id}_{n}"] = heard.transcription.text
    _, heard, problem = st.session_state[heard_key]
    if heard is None:
        st.warning(md_escape(problem) + " Record again, or type your answer.", icon="🔇")
        return False
    said = st.text_area("What you said (edit before sending)", key=f"pr_said_{s.id}_{n}", height=110)
    st.caption(md_escape(" · ".join(heard.delivery.lines())))
    limit = target_for(s.director.item)
    if limit and heard.transcription.duration_s > limit * 60:
        st.warning(md_escape(f"This recording is {heard.transcription.duration_s:.0f} s; the time limit is {limit:g} min. "
                             "Send it as it is (it counts as over time) or record a shorter one."), icon="⌛")
    send, drop = st.columns(2)
    if drop.button("Discard", icon="🗑️", key=f"pr_mic_drop_{s.id}_{n}", width="stretch"):
        st.session_state[f"pr_mic_n_{s.id}"] = n + 1
        st.rerun()
    if not send.button("Send spoken answer", type="primary", icon="📤", key=f"pr_mic_send_{s.id}_{n}", width="stretch"):
        return False
    if not said.strip():
        st.warning("Nothing to send: the transcript is empty.")
        return False
    from simulator.practice.recording import keep_audio

    kept: list[str] = []
    with chat:
        with you():
            md(said)

        def go() -> bool:
            kept.append(str(keep_audio(data, s.id)))
            stream_turns(s.stream_respond(said, meta=heard.meta(kept[0], sent_text=said)), who)
            return True

        run_safely(go, "The reply")
    # Saved when the turn is in the transcript, even if the reply then failed (it is owed, and
    # "Get the reply" fetches it): never offer to send the same answer twice.
    sent = bool(kept) and any((t.meta.get("speech") or {}).get("audio") == kept[0] for t in s.transcript().turns)
    if sent:
        st.session_state[f"pr_mic_n_{s.id}"] = n + 1
    return sent


def code_pane(s: Session, turns: list[Turn], who: dict[str, str]) -> None:
    """The coding test's editor: each submission is a `code` turn in the transcript."""
    st.markdown("**Code**")
    last = next((t.text for t in reversed(turns) if t.is_candidate and t.channel == "code"), "")
    key = f"pr_code_{s.id}"
    if key not in st.session_state:
        st.session_state[key] = last or "class ChurnModel:\n    def fit(self, events):\n        ...\n"
    # A fixed stylesheet (no user text) so the editor reads as code.
    st.html("<style>.st-key-pr_code_pane textarea { font-family: 'Source Code Pro', ui-monospace, monospace; font-size: 14px; }</style>")
    with st.container(key="pr_code_pane"):
        st.text_area("Your code", key=key, height=280, label_visibility="collapsed", disabled=s.finished)
    if st.button("Submit code", icon="⬆️", key="pr_code_submit", disabled=s.finished):
        code = st.session_state[key]
        if code.strip() and code.strip() != last.strip():
            attempt(lambda: s.respond(code, channel="code"), "Submitting your code")
            st.rerun()
        else:
            st.info("Nothing new to submit.")


def assistant_panel(s: Session, turns: list[Turn], who: dict[str, str]) -> None:
    """The with-AI variant's assistant: its own channel, kept in the transcript like the chat."""
    st.markdown("**AI assistant**")
    st.caption("Ask it to draft or suggest; you are graded on how you check what it says.")
    box = st.container(height=260)
    ask = st.chat_input("Ask the assistant", key=f"pr_ai_{s.id}", disabled=s.finished)  # drawn below the box
    with box:
        if not ask and not any(t.channel == "assistant" for t in turns):
            st.caption("No messages yet.")
        for turn in turns:
            if turn.channel == "assistant":
                if turn.is_candidate:
                    with you():
                        md(turn.text)
                else:
                    with them("assistant"):
                        md(turn.text)
        if ask:
            with you():
                md(ask)
            attempt(lambda: stream_turns(iter(s.ask_assistant(ask)), who, channel="assistant"), "The assistant")


retry = st.session_state.pop("practice_again", None)  # "Practise this again" on the Feedback page
if retry is not None and retry[0] in lib.items:
    again(*retry)
current: Any = st.session_state.get("practice")
if current is not None and current.finished and st.session_state.get("page_before") != st.session_state.get("page_now"):
    leave()  # a fresh visit (the sidebar's link, after Feedback): a finished session never traps the page
    current = None
if current is None:
    chooser()
else:
    conversation(current)
