"""A practice session: the director, the voice and the store, behind one small API.

    from simulator.practice.session import Session
    s = Session.start(item_id="...", variant=None, level=None, seed=0)   # or round_id="..."
    s.id                      # keep it to resume later: Session.open(s.id)
    s.opening()               # -> list[Turn]: the first persona/interviewer turn(s)
    s.respond("my answer")    # -> list[Turn]: candidate turn saved first, then each reply, each saved
    s.stream_respond(text)    # -> Iterator[Turn]: the same, one reply at a time as it is ready
    s.respond("/hint")        # commands: /hint /repeat /time /end, and "/ai ..." for the with-AI assistant
    s.command("hint")         # the same without the slash
    s.ask_assistant("...")    # with_ai variant: a message to the coding assistant (its own channel)
    s.resume()                # after a crash: speaks the replies that were planned but not yet saved
    s.transcript()            # -> Transcript (interchange format)
    s.time_left()             # seconds left on the current item, or None if untimed
    s.finished                # True once the closing line has been said (then respond() raises UserError)
    s.names()                 # {persona id: "Name (Title)"}; a turn's persona is turn.meta["plan"]["persona"]
    s.items, s.director.mode()  # the item(s) of the session; "partner"|"interview"|"panel"|"application"

Keyword options of start/open: `store`
(a `Store`; default: the settings' database), `lib` (a `Library`; default: the shipped content),
`clock`, `ledger` (a `simulator.models.ledger.Ledger`; one is made per session), and for start `round_id`
and `max_items`. One Session per user (e.g. in `st.session_state`); it is not shared between
threads, but the store keeps one SQLite connection per thread, so many sessions can run at once.

A reply Turn is yielded only after the director has checked it, so its text is final; to show it
word by word, iterate `simulator.models.scripted.chunks(turn.text)`.

Why this order of writes: the candidate's turn, the director's new state and the planned replies
are committed in one transaction *before* the model is called, and each reply is committed before
the next call, so killing the process loses at most the reply in flight, and `resume()` speaks it.
A failed model call leaves its reply owed (`pending`, said by `owed()`); the candidate's next answer
is still saved first, with its own planned replies behind the owed one, and only then is the model
asked again, so no answer is lost however often the model fails.

Clocks: "wall" (practice: real time, pauses between runs not counted) or "virtual" (play and
simulate: time advances by speaking time, so a seed gives the same session every run).
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

from simulator.content.library import Library, load_library
from simulator.content.persona import Persona
from simulator.content.rubric import Item
from simulator.core.errors import InputError, ModelError, UserError
from simulator.core.files import json_line, parse_json, read_text
from simulator.core.transcript import CANDIDATE, MAX_TRANSCRIPT_BYTES, MAX_TURN_CHARS, MAX_TURNS, Transcript, Turn
from simulator.dialogue import voice
from simulator.dialogue.director import APPLICATION_KINDS, Director, speaking_seconds
from simulator.dialogue.plan import Plan
from simulator.grading.grader import live_evidence
from simulator.storage import SessionRow, Store, lease_holder, now_iso, open_store

ClockKind = Literal["wall", "virtual"]
COMMANDS = ("hint", "repeat", "time", "end")
COACH = "coach"  # the speaker of notes (/time, a work simulation's /hint): not a persona
ASSISTANT_COMMANDS = ("ai", "assistant")
THINK_S = 20.0  # the virtual clock's pause before each candidate turn


_LIBRARY: Library | None = None


def library() -> Library:
    """The shipped content, loaded once per process."""
    global _LIBRARY
    if _LIBRARY is None:
        _LIBRARY = load_library()
    return _LIBRARY


def choose_items(lib: Library, *, item_id: str | None, round_id: str | None, level: str | None,
                 seed: int, max_items: int = 3) -> list[Item]:
    """One item, or up to `max_items` of a round (at the level, if it has items at that level)."""
    if item_id:
        return [lib.item(item_id)]
    if not round_id:
        raise UserError("choose an item (--item ID) or a round (--round ID); see 'mockpanel rounds'")
    items = lib.items_in_round(round_id)
    if not items:
        raise InputError("<library>", None, "round", f"no items in round {round_id!r}; see 'mockpanel rounds'")
    at_level = [i for i in items if i.level == level] if level else []
    items = at_level or items
    screening = all(i.kind in APPLICATION_KINDS for i in items)  # an application screen runs every step
    if len(items) > max_items and not screening:
        keep = set(random.Random(seed).sample(range(len(items)), max_items))
        items = [it for n, it in enumerate(items) if n in keep]
    return items


class Session:
    """One candidate's conversation; every change is written through to the store before it is shown."""

    def __init__(self, row: SessionRow, store: Store, lib: Library, *, clock: ClockKind = "wall",
                 ledger: Any = None, turns: list[Turn] | None = None) -> None:
        self.row = row
        self.store = store
        self.lib = lib
        self.clock = clock
        if ledger is None:
            from simulator.models.ledger import Ledger

            ledger = Ledger()
        self.ledger = ledger  # this process's model calls for the session: tokens, cost, time
        self.items = [lib.item(i) for i in (row.items or [row.item_id])]
        personas: dict[str, Persona] = {}
        for it in self.items:
            for pid in it.personas:
                personas[pid] = lib.persona(pid)
        if row.variant == "with_ai" and not any(p.archetype == "assistant" for p in personas.values()):
            for p in lib.personas.values():  # the coding test's assistant, when the item does not name it
                if p.archetype == "assistant":
                    personas[p.id] = p
                    break
        voice.register(*personas.values(), *self.items)
        self.director = Director(self.items, personas, variant=row.variant, seed=row.seed, state=row.state or None,
                                 evidence=live_evidence, elsewhere=[i.question for i in lib.items.values()])
        self._turns: list[Turn] = turns if turns is not None else store.turns(row.id)
        self.lease = lease_holder()  # one writer per session: a second window gets SessionBusy
        if not self.finished:
            store.acquire(row.id, self.lease)
        if not self.finished:  # a finished session is only read: no need to load the embedding model
            self.director.warm()  # once per process and persona: the embedding cache keeps the vectors
        self._elapsed = row.elapsed_s
        self._mark = time.monotonic()

    # --- opening and reopening -----------------------------------------------------------------

    @classmethod
    def start(cls, item_id: str | None = None, variant: str | None = None, level: str | None = None,
              seed: int = 0, *, round_id: str | None = None, store: Store | None = None,
              lib: Library | None = None, clock: ClockKind = "wall", ledger: Any = None,
              max_items: int = 3, user_id: str | None = None) -> Session:
        lib = lib or library()
        items = choose_items(lib, item_id=item_id, round_id=round_id, level=level, seed=seed, max_items=max_items)
        if variant and not any(v.id == variant for v in items[0].variants):
            have = ", ".join(v.id for v in items[0].variants) or "none"
            raise InputError("<library>", None, "variant", f"item {items[0].id!r} has no variant {variant!r} (variants: {have})")
        store = store or open_store()
        if user_id is None:
            from simulator.storage.users import current_user

            user_id = current_user()
        row = SessionRow(id=uuid.uuid4().hex[:12], item_id=items[0].id, round_id=round_id or items[0].round,
                         items=[i.id for i in items], variant=variant, level=level or items[0].level, seed=seed,
                         user_id=user_id)
        store.create(row)
        return cls(row, store, lib, clock=clock, ledger=ledger, turns=[])

    @classmethod
    def open(cls, session_id: str, *, store: Store | None = None, lib: Library | None = None,
             clock: ClockKind = "wall", ledger: Any = None, user_id: str | None = None) -> Session:
        """A saved session by id or prefix; with `user_id`, only if it is that user's."""
        store = store or open_store()
        row = store.find(session_id, user_id)
        return cls(row, store, lib or library(), clock=clock, ledger=ledger)

    @property
    def id(self) -> str:
        return self.row.id

    def names(self) -> dict[str, str]:
        """Display names by persona id (a turn's `meta["plan"]["persona"]`), for the terminal and the app."""
        return {COACH: "Note", **{pid: f"{p.name} ({p.title})" for pid, p in self.director.personas.items()}}

    @property
    def finished(self) -> bool:
        return self.director.finished and not self.row.pending

    @property
    def pending(self) -> list[Plan]:
        return [Plan.load(p, f"session {self.id}") for p in self.row.pending]

    def owed(self) -> str | None:
        """While a reply is owed (a model call failed): what is saved and what happens next; else None."""
        if not self.row.pending or self.finished:
            return None
        answers = [t for t in self._turns if t.is_candidate and t.channel != "command"]
        saved = f"All {len(answers)} of your answers are saved" if answers else "The session is saved"
        if answers:
            last = " ".join(answers[-1].text.split())
            saved += f" (the last: \u201c{last[:60]}{'...' if len(last) > 60 else ''}\u201d)"
        n = len(self.row.pending)
        return f"{saved}. {n} repl{'y is' if n == 1 else 'ies are'} owed and will be retried before your next answer is replied to"

    # --- time ----------------------------------------------------------------------------------

    def elapsed(self) -> float:
        if self.clock == "virtual":
            return self._elapsed
        return self._elapsed + (time.monotonic() - self._mark)

    def _advance(self, text: str, *, candidate: bool) -> None:
        if self.clock == "virtual":
            self._elapsed += speaking_seconds(text) + (THINK_S if candidate else 0.0)
        else:
            now = time.monotonic()
            self._elapsed += now - self._mark
            self._mark = now

    def time_left(self) -> float | None:
        limit = self.director.time_limit()
        if limit is None:
            return None
        item_start: float = self.director.state["item_start"]
        return max(0.0, limit - (self.elapsed() - item_start))

    # --- the conversation ----------------------------------------------------------------------

    def opening(self) -> list[Turn]:
        """The first turn(s); on a session that has already started, nothing new."""
        if self.director.state["opened"]:
            return list(self.resume())
        plans = self.director.opening(self.elapsed())
        self._save_plans(plans)
        return list(self._speak_pending())

    def respond(self, text: str, channel: str = "chat", meta: dict[str, Any] | None = None) -> list[Turn]:
        return list(self.stream_respond(text, channel, meta))

    def stream_respond(self, text: str, channel: str = "chat", meta: dict[str, Any] | None = None) -> Iterator[Turn]:
        """The candidate's message, then each reply as soon as it has been checked and saved.

        `meta` is kept on the candidate's turn (a spoken answer's `speech`: audio, timing, figures)."""
        stripped = text.strip()
        if stripped.startswith("/"):
            name, _, rest = stripped[1:].partition(" ")
            name = name.lower()
            if name in COMMANDS:
                yield from self._command(name)
                return
            if name in ASSISTANT_COMMANDS:
                yield from self._assistant(rest.strip())
                return
        if channel == "assistant":
            yield from self._assistant(stripped)
            return
        if not stripped:
            raise UserError("say something (or /hint, /repeat, /time, /end)")
        self._check_open()
        self._check_size(text)
        if not self.director.state["opened"]:  # planned, not spoken: the answer is saved before any model call
            self._save_plans(self.director.opening(self.elapsed()))
        # code keeps its indentation and newlines: the grader quotes it verbatim
        said = text.rstrip("\n") if channel == "code" else stripped
        turn = Turn(speaker=CANDIDATE, text=said, channel=channel, at=now_iso(), meta=dict(meta or {}))  # type: ignore[arg-type]
        self._advance(stripped, candidate=True)
        plans = self.director.react(self._transcript_with(turn), stripped, self.elapsed())
        # Saved with its planned replies, behind any reply still owed from a failed call: whatever
        # the model does next, the answer is in the store; the owed replies are spoken first.
        self._save(turn, plans)
        yield from self._speak_pending()

    def command(self, name: str) -> list[Turn]:
        if name not in COMMANDS:
            raise UserError(f"unknown command {name!r}; commands: {', '.join(COMMANDS)}")
        return list(self._command(name))

    def ask_assistant(self, text: str) -> list[Turn]:
        return list(self._assistant(text))

    def resume(self) -> Iterator[Turn]:
        """Speaks the replies that were planned before a crash but never saved."""
        yield from self._speak_pending()

    def _command(self, name: str) -> Iterator[Turn]:
        if name == "end" and self.finished:
            return
        self._check_open()
        turn = Turn(speaker=CANDIDATE, text=f"/{name}", channel="command", at=now_iso())
        if name == "time" or (name == "hint" and self.director.mode() == "partner"):
            # a note from the practice room, not a line of the persona's
            if name == "time":
                left = self.time_left()
                text = "No time limit on this one." if left is None else f"{int(left // 60)}:{int(left % 60):02d} left."
                meta: dict[str, Any] = {"note": "time", "time_left_s": None if left is None else round(left, 1)}
            else:
                text, meta = self.director.coach_note(), {"note": "hint"}
            reply = Turn(speaker=COACH, text=text, channel="command", at=now_iso(), meta=meta)
            self._save(turn, [])
            self._save(reply, [])
            yield reply
            return
        last = next((t.text for t in reversed(self._turns) if not t.is_candidate and t.channel == "chat"), "")
        plans = self.director.command(name, self.elapsed(), last)
        self._save(turn, plans)
        yield from self._speak_pending()

    def _assistant(self, text: str) -> Iterator[Turn]:
        self._check_open()
        if self.director.assistant_persona() is None:
            raise UserError("this session has no AI assistant (it is the with_ai variant of the coding test only)")
        if not text:
            raise UserError("say what you want from the assistant: /ai your request")
        self._check_size(text)
        turn = Turn(speaker=CANDIDATE, text=text, channel="assistant", at=now_iso())
        self._advance(text, candidate=True)
        plans = self.director.assistant(text)
        self._save(turn, plans)
        yield from self._speak_pending()

    def _check_size(self, text: str) -> None:
        """A turn and a session have limits (a transcript's): past them, say so before anything is saved."""
        if len(text) > MAX_TURN_CHARS:
            raise UserError(f"that message is {len(text):,} characters; the limit is {MAX_TURN_CHARS:,} (split it up)")
        if len(self._turns) + 2 > MAX_TURNS:
            raise UserError(f"this session has reached {MAX_TURNS:,} turns, the limit; end it with /end")

    def close(self) -> None:
        """Lets another window or terminal continue this session (also done when it finishes)."""
        self.store.release(self.id, self.lease)

    def _check_open(self) -> None:
        if self.finished:
            raise UserError(f"session {self.id} has ended; start a new one or export it")

    # --- persistence ---------------------------------------------------------------------------

    def _save(self, turn: Turn, plans: list[Plan]) -> None:
        pending = [*self.row.pending, *(_dump(p) for p in plans)]
        self.store.add_turn(self.id, turn, state=self.director.state, pending=pending,
                            elapsed_s=self.elapsed(), metadata=self._metadata(), lease=self.lease)
        self.row.pending = pending
        self.row.state = self.director.state
        self._turns.append(turn)

    def _save_plans(self, plans: list[Plan]) -> None:
        self.row.pending = [*self.row.pending, *(_dump(p) for p in plans)]
        self.store.update(self.id, state=self.director.state, pending=self.row.pending, elapsed_s=self.elapsed(), lease=self.lease)

    def _speak_pending(self) -> Iterator[Turn]:
        while self.row.pending:
            plan = Plan.load(self.row.pending[0], f"session {self.id}")
            spoken = voice.speak(plan, self._turns, self.director.check, ledger=self.ledger)
            turn = Turn(speaker=plan.speaker, text=spoken.text, channel=plan.channel,  # type: ignore[arg-type]
                        at=now_iso(), meta=spoken.meta)
            self._advance(spoken.text, candidate=False)
            rest = self.row.pending[1:]
            status = "finished" if self.director.finished and not rest else "active"
            self.store.add_turn(self.id, turn, pending=rest, status=status, elapsed_s=self.elapsed(),
                                metadata=self._metadata(), lease=self.lease)
            self.row.pending = rest
            self.row.status = status
            self._turns.append(turn)
            if status == "finished":
                self.close()
            yield turn

    def _metadata(self) -> dict[str, Any]:
        st = self.director.state
        out: dict[str, Any] = {}
        if st.get("outcome"):
            out["outcome"] = st["outcome"]
        if st.get("answers"):
            out["answers"] = st["answers"]
        return out

    # --- reading -------------------------------------------------------------------------------

    def _transcript_with(self, extra: Turn | None = None) -> Transcript:
        turns = self._turns + ([extra] if extra else [])
        return Transcript(item=self.row.item_id, variant=self.row.variant, turns=turns)  # type: ignore[arg-type]

    def transcript(self) -> Transcript:
        t = self._transcript_with()
        meta: dict[str, Any] = {"session": self.id, "round": self.row.round_id, "level": self.row.level,
                                "seed": self.row.seed, "status": self.row.status}
        if len(self.items) > 1:
            meta["items"] = [i.id for i in self.items]
        meta.update(self._metadata())
        t.metadata = meta
        return t


def reproducible(t: Transcript) -> Transcript:
    """The transcript without what differs between runs (times, session id, latencies)."""
    out = t.model_copy(deep=True)
    for turn in out.turns:
        turn.at = None
        turn.meta.pop("latency_s", None)
    for key in ("session", "created_at"):
        out.metadata.pop(key, None)
    return out


def read_script(path: str | Path) -> list[str]:
    """`play --script FILE`: a JSON array of the candidate's lines."""
    path = Path(path)
    text = read_text(path, "a JSON array of strings", MAX_TRANSCRIPT_BYTES)
    data = parse_json(text, path)
    expected = "expected a JSON array of strings (the candidate's lines, in order)"
    if not isinstance(data, list):
        raise InputError(path, 1, None, expected)
    if len(data) > MAX_TURNS:
        raise InputError(path, 1, None, f"{len(data):,} lines; the limit is {MAX_TURNS:,}")
    for n, line in enumerate(data):
        if not isinstance(line, str):
            raise InputError(path, json_line(text, [n]), f"[{n}]", f"{expected}; this one is {_json_kind(line)}")
        if not line.strip():
            raise InputError(path, json_line(text, [n]), f"[{n}]", "an empty line; each element is something the candidate says")
        if len(line) > MAX_TURN_CHARS:
            raise InputError(path, json_line(text, [n]), f"[{n}]", f"a line of {len(line):,} characters; the limit is {MAX_TURN_CHARS:,}")
    return data


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    kinds: dict[type[object], str] = {dict: "an object", list: "an array"}
    return kinds.get(type(value), "a number")


def play(item_id: str, lines: list[str], *, variant: str | None = None, seed: int = 0,
         store: Store | None = None, lib: Library | None = None, source: Path | None = None) -> Session:
    """Runs a whole session from the candidate's lines; stops early if the session ends. With
    `source` (the script), a line the session refuses is an error naming the file and line."""
    s = Session.start(item_id, variant, None, seed, store=store or open_store(":memory:"), lib=lib, clock="virtual")
    s.opening()
    for n, line in enumerate(lines):
        if s.finished:
            break
        try:
            s.respond(line)
        except ModelError:
            raise
        except UserError as exc:
            if source is None:
                raise
            text = read_text(source, "a JSON array of strings")
            raise InputError(source, json_line(text, [n]), f"[{n}]", str(exc)) from None
    return s


def _dump(plan: Plan) -> dict[str, Any]:
    """A plan as kept in the session's pending list (with its instructions, for an LLM voice)."""
    return plan.model_dump(mode="json", exclude_none=True)
