"""Sessions: interviewers, panels, the application screen, the with-AI assistant, commands, resume."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from dialogue_fixtures import library

from simulator.core.errors import UserError
from simulator.practice.session import Session
from simulator.storage.sqlite import Store

LIB = library()
TESTS = Path(__file__).resolve().parent


def _start(item: str, **kw: Any) -> Session:
    kw.setdefault("store", Store(":memory:"))
    return Session.start(item, lib=LIB, clock="virtual", **kw)


def _acts(turn: Any) -> list[str]:
    return [m["act"] for m in turn.meta["plan"]["moves"]]


def test_interviewer_asks_follows_up_probes_missing_indicators_and_wraps_up() -> None:
    shown: dict[str, bool] = {}
    s = _start("q-test")
    s.director.evidence = lambda transcript, item: dict(shown)
    [t] = s.opening()
    assert t.speaker == "interviewer" and t.text == "Let's start. How would you detect drift?"
    [t] = s.respond("I would compare feature distributions.")
    assert _acts(t) == ["follow_up"] and t.text.endswith("What would you monitor first?")
    shown["monitoring"] = True  # the grader saw it: the probe goes to the next missing indicator
    [t] = s.respond("Monitoring alerts on PSI.")
    assert t.meta["plan"]["moves"] == [{"act": "probe", "indicator": "postmortem"}]
    assert "post-mortem" not in t.text.lower()  # the probe never gives the answer away
    [t] = s.respond("A post-mortem afterwards.")
    assert _acts(t) == ["acknowledge", "wrap_up"] and not s.finished  # nothing left to ask: anything to add?
    [t] = s.respond("I would also page the on-call owner.")
    assert _acts(t) == ["acknowledge"] and not s.finished  # never ended by a count of turns
    [t] = s.respond("No, that's it.")
    assert _acts(t) == ["closing"] and s.finished
    with pytest.raises(UserError, match="has ended"):
        s.respond("more")


def test_a_round_runs_its_items_in_sequence() -> None:
    s = Session.start(store=Store(":memory:"), lib=LIB, clock="virtual", round_id="technical-screen", max_items=5)
    assert [i.id for i in s.items] == ["q-test", "q-two"]
    s.director.evidence = lambda transcript, item: {i.id: True for i in item.indicators}
    s.opening()
    s.respond("Answer one.")
    s.respond("Follow-up answer.")
    [t] = s.respond("Nothing more, thanks.")
    assert "Tell me about a model you retired." in t.text and t.meta["plan"]["item"] == "q-two"
    s.respond("Answer two.")
    [t] = s.respond("That's all from me.")
    assert _acts(t) == ["closing"] and s.finished


def test_presentation_panel_members_question_in_turn() -> None:
    s = _start("pres-test")
    s.director.evidence = lambda transcript, item: {}
    [t] = s.opening()
    assert t.speaker == "panel-pm" and "Walk us through a project." in t.text
    for n in range(3):  # the walkthrough is not interrupted: the host only says go on
        [t] = s.respond(f"slide {n}")
        assert _acts(t) == ["listen"] and t.speaker == "panel-pm"
    speakers = [s.respond(text)[0].speaker for text in ["That's my presentation, happy to take questions."]
                + [f"answer {n}" for n in range(5)]]
    assert speakers[:5] == ["panel-pm", "panel-ds", "panel-eng", "panel-pm", "panel-ds"]
    assert speakers[5] == "panel-pm" and _acts(s.transcript().turns[-1]) == ["acknowledge", "wrap_up"]
    [t] = s.respond("No, that's it.")
    assert _acts(t) == ["closing"] and s.finished


def test_knockout_auto_decline_ends_the_application() -> None:
    s = _start("ko-test")
    [t] = s.opening()
    assert "Less than 1 year / 1-2 years" in t.text
    [t] = s.respond("hmm, a while")
    assert _acts(t)[0] == "clarify" and not s.finished
    [t] = s.respond("Less than 1 year")
    assert _acts(t) == ["decline", "closing"] and s.finished
    assert s.transcript().metadata["outcome"] == "auto_decline"


def test_knockout_qualifying_answer_does_not_decline() -> None:
    s = _start("ko-test")
    s.opening()
    s.respond("2")
    assert s.finished and "outcome" not in s.transcript().metadata
    assert s.transcript().metadata["answers"]["ko-test"] == {"answer": "1-2 years", "outcome": "qualifies"}


def test_video_response_is_timed() -> None:
    s = _start("video-test")
    [t] = s.opening()
    assert "(2 min)" in t.text
    s.respond(" ".join(["word"] * 400))  # 400 words at 150 wpm: 2:40, over the 2 minutes
    answer = s.transcript().metadata["answers"]["video-test"]
    assert answer["over"] is True and answer["limit_s"] == 120


def test_a_spoken_video_response_is_timed_by_its_recording() -> None:
    s = _start("video-test")
    s.opening()
    s.respond(" ".join(["word"] * 400), meta={"speech": {"duration_s": 100.0, "pauses": []}})  # fast, but inside 2 minutes
    answer = s.transcript().metadata["answers"]["video-test"]
    assert answer == {"spoken_s": 100.0, "limit_s": 120, "over": False, "recorded": True}
    assert next(t for t in s.transcript().turns if t.is_candidate).meta["speech"]["duration_s"] == 100.0


def test_with_ai_assistant_carries_planted_flaws_into_the_transcript() -> None:
    s = _start("code-test", variant="with_ai")
    [t] = s.opening()
    assert "Design a churn model with AI." in t.text
    [a] = s.respond("/ai suggest some features for churn")
    assert a.channel == "assistant" and a.speaker == "assistant-test"
    assert "days_until_cancellation" in a.text
    [a] = s.ask_assistant("which metric should I evaluate with?")
    assert "accuracy" in a.text
    channels = [(t.speaker, t.channel) for t in s.transcript().turns]
    assert ("candidate", "assistant") in channels and ("assistant-test", "assistant") in channels
    plain = _start("code-test", variant="without_ai")
    plain.opening()
    with pytest.raises(UserError, match="no AI assistant"):
        plain.respond("/ai help")


def test_commands_hint_repeat_time_end() -> None:
    s = _start("q-test")
    s.opening()
    [r] = s.command("repeat")
    assert r.text == "How would you detect drift?" and r.channel == "command"
    [h] = s.respond("/hint")  # a hint leads into the next follow-up, which becomes the question
    assert h.channel == "command" and h.text == "Think about this: What would you monitor first?"
    [r] = s.command("repeat")
    assert r.text == "What would you monitor first?"
    [tm] = s.respond("/time")
    assert tm.text.endswith("left.") and 0 < tm.meta["time_left_s"] <= 600
    assert s.time_left() is not None
    [e] = s.respond("/end")
    assert _acts(e) == ["closing"] and s.finished
    cmds = [t.text for t in s.transcript().turns if t.speaker == "candidate"]
    assert cmds == ["/repeat", "/hint", "/repeat", "/time", "/end"]


def test_reopening_a_session_continues_with_its_state(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.db")
    s = _start("sim-test", store=store)
    s.opening()
    s.respond("How much traffic can the experiment get?")
    s.close()  # left: another terminal may continue it
    again = Session.open(s.id[:6], store=Store(tmp_path / "s.db"), lib=LIB, clock="virtual")
    assert again.transcript().turns == s.transcript().turns
    assert again.director.state["disclosed"] == ["traffic-cap"]
    [t] = again.respond("Sorry, how much traffic can the experiment get again?")
    assert _acts(t) == ["disclose"] and "5%" in t.text  # asked again: said again, not re-recorded
    assert again.director.state["disclosed"] == ["traffic-cap"]


KILLED = """
import sys
sys.path.insert(0, {tests!r})
from dialogue_fixtures import library
from simulator.dialogue import voice
from simulator.practice.session import Session
from simulator.storage.sqlite import Store

real = voice._chat
def blocking(messages, plan, purpose, ledger, said=""):
    if plan.turn >= 3:
        print("IN-MODEL-CALL", flush=True)
        sys.stdin.readline()  # never answered: the test kills us here
    return real(messages, plan, purpose, ledger)
voice._chat = blocking
s = Session.start("sim-test", store=Store({db!r}), lib=library(), clock="virtual")
print("ID", s.id, flush=True)
for t in s.opening():
    print("TURN", t.text, flush=True)
for line in ["What percentage of users can we put in the pilot?", "How long should the test run?"]:
    for t in s.respond(line):
        print("TURN", t.text, flush=True)
"""


def test_killed_mid_turn_resumes_with_nothing_lost(tmp_path: Path) -> None:
    db = tmp_path / "s.db"
    script = tmp_path / "run.py"
    script.write_text(KILLED.format(tests=str(TESTS), db=str(db)))
    env = dict(os.environ, PYTHONPATH=str(TESTS.parent))
    proc = subprocess.Popen([sys.executable, str(script)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env)
    seen: list[str] = []
    sid = ""
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.startswith("ID "):
            sid = line.split()[1]
        elif line.startswith("TURN "):
            seen.append(line[5:].rstrip("\n"))
        elif line.startswith("IN-MODEL-CALL"):
            break
    else:
        pytest.fail(f"the session never reached the model call: {proc.stderr.read() if proc.stderr else ''}")
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    for pipe in (proc.stdin, proc.stdout, proc.stderr):
        if pipe is not None:
            pipe.close()
    assert proc.returncode == -signal.SIGKILL

    s = Session.open(sid, store=Store(db), lib=LIB, clock="virtual")
    turns = s.transcript().turns
    persona = [t.text for t in turns if t.speaker != "candidate"]
    assert persona == seen  # everything shown before the kill was saved
    assert turns[-1].speaker == "candidate" and turns[-1].text == "How long should the test run?"
    assert len(s.pending) == 1  # the reply in flight is the only thing missing, and it is planned
    [t] = s.resume()
    assert "two weeks" in t.text
    s.close()
    after = Session.open(sid, store=Store(db), lib=LIB, clock="virtual")
    assert [x.text for x in after.transcript().turns][-1] == t.text and not after.pending


def test_pasted_resume_is_read_against_the_criteria() -> None:
    s = _start("resume-test")
    s.director.evidence = lambda transcript, item: {"monitoring": "monitoring" in transcript.turns[-1].text, "postmortem": False}
    s.opening()
    [t] = s.respond("Experience: built monitoring for 12 production models.")
    assert _acts(t) == ["closing"] and s.finished
    answer = s.transcript().metadata["answers"]["resume-test"]
    assert answer["criteria"] == {"monitoring": True, "postmortem": False}


def test_interviewer_hands_back_a_request_for_the_answer() -> None:
    s = _start("q-test")
    s.opening()
    [t] = s.respond("What's the right answer here?")
    assert _acts(t) == ["deflect"] and t.text == "I'd like to hear your approach first."
    [t] = s.respond("I'd compare feature distributions.")
    assert _acts(t) == ["follow_up"]  # the question stood; the interview goes on from there


def test_code_pane_keeps_indentation_verbatim() -> None:
    s = _start("code-test", variant="without_ai")
    s.opening()
    code = "    def fit(self, df):\n        return self\n"
    s.respond(code, channel="code")
    [turn] = [t for t in s.transcript().turns if t.channel == "code"]
    assert turn.text == code.rstrip("\n")


def test_a_model_outage_never_loses_an_answer(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The model answers three times, then fails: every one of ten answers is saved all the same,
    and once it is back the owed replies are spoken before the next answer is replied to."""
    from simulator.core.errors import ModelError
    from simulator.dialogue import voice

    real = voice.speak
    calls = {"n": 0, "down": True}

    def flaky(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] > 3 and calls["down"]:
            raise ModelError("openai/gpt-4o-mini", "server error (500)")
        return real(*args, **kwargs)

    monkeypatch.setattr(voice, "speak", flaky)
    store = Store(tmp_path / "s.db")
    s = _start("sim-test", store=store)
    s.opening()
    answers = [f"Answer number {n}: what is the traffic cap?" if n % 2 else f"Answer number {n}." for n in range(10)]
    failed = 0
    for text in answers:
        try:
            s.respond(text)
        except ModelError:
            failed += 1
            assert s.owed() and "saved" in s.owed() and "retried" in s.owed()
    assert failed >= 7
    saved = [t.text for t in store.turns(s.id) if t.is_candidate]
    assert saved == answers  # all ten, in order, whatever the model did
    assert store.find(s.id).pending  # the replies are owed, not dropped

    calls["down"] = False
    s.close()
    again = Session.open(s.id, store=store, lib=LIB, clock="virtual")
    spoken = list(again.resume())
    assert spoken and not again.pending and again.owed() is None
    assert [t.text for t in store.turns(s.id) if t.is_candidate] == answers


def test_the_first_answer_is_saved_even_when_the_opening_fails(monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.core.errors import ModelError
    from simulator.dialogue import voice

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ModelError("openai/gpt-4o-mini", "server error (500)")

    monkeypatch.setattr(voice, "speak", down)
    s = _start("sim-test")
    with pytest.raises(ModelError):
        s.respond("Hello, shall we start?")
    assert [t.text for t in s.store.turns(s.id)] == ["Hello, shall we start?"]
    assert len(s.pending) >= 2  # the opening and the reply to the answer, both owed


def test_a_turn_over_the_limit_is_refused_before_anything_is_saved() -> None:
    from simulator.core.transcript import MAX_TURN_CHARS

    s = _start("sim-test")
    s.opening()
    before = len(s.store.turns(s.id))
    with pytest.raises(UserError, match="the limit is 50,000"):
        s.respond("x" * (MAX_TURN_CHARS + 1))
    assert len(s.store.turns(s.id)) == before


def test_one_writer_per_session_a_second_resume_is_told_clearly(tmp_path: Path) -> None:
    """Two resumes of one session would interleave turns: the second is refused while the first is
    open, and may continue once the first has left; a writer whose process died holds nothing."""
    from simulator.storage.sql import SessionBusy

    s = _start("sim-test", store=Store(tmp_path / "s.db"))
    s.opening()
    s.respond("How much traffic can the experiment get?")
    with pytest.raises(SessionBusy, match=f"session {s.id} is open in another window or terminal"):
        Session.open(s.id, store=Store(tmp_path / "s.db"), lib=LIB, clock="virtual")
    turns = len(s.store.turns(s.id))
    s.close()
    second = Session.open(s.id, store=Store(tmp_path / "s.db"), lib=LIB, clock="virtual")
    second.respond("What metric should we use?")
    with pytest.raises(SessionBusy):  # the first, still in memory, cannot write behind its back
        s.respond("A late answer from the first window.")
    assert len(s.store.turns(s.id)) > turns and "A late answer" not in [t.text for t in s.store.turns(s.id)]

    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True).stdout.strip()
    import socket

    second.close()
    second.store.acquire(s.id, f"{socket.gethostname()}:{dead}:gone", 3600)  # a crashed writer's lease, an hour to run
    third = Session.open(s.id, store=Store(tmp_path / "s.db"), lib=LIB, clock="virtual")
    assert third.lease != second.lease
