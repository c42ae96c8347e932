"""The Streamlit app through `AppTest`, on the embedded default: every page and its main paths."""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from simulator.app import ui as app_ui
from simulator.content.library import ROOT, load_library
from simulator.content.rubric import Item
from simulator.core.errors import ModelError
from simulator.storage.sqlite import Store

APP = str(ROOT / "app.py")
PAGES = {
    "practice": "simulator/app/pages/practice.py",
    "feedback": "simulator/app/pages/feedback.py",
    "progress": "simulator/app/pages/progress.py",
    "calibrate": "simulator/app/pages/calibrate.py",
    "library": "simulator/app/pages/library.py",
    "settings": "simulator/app/pages/settings.py",
}
LIB = load_library()
REAL_WARM_ITEM = app_ui.warm_item


@pytest.fixture(autouse=True)
def no_background_grading(monkeypatch: pytest.MonkeyPatch) -> None:
    """The app warms the grader in a background thread once an answer is in; here that thread
    would outlive its test and write into the next one's cache directory, so it never starts
    (the tests below that are about it record the call instead, or call the real one)."""
    monkeypatch.setattr(app_ui, "warm_item", lambda item_id, variant: None)


def jordan_item() -> Item:
    """The hiring kit's work simulation, played by Jordan Lee (found by content, not by id)."""
    for item in LIB.items.values():
        if item.kind == "work_simulation" and any(LIB.personas[p].name == "Jordan Lee" for p in item.personas):
            return item
    raise AssertionError("no work simulation played by Jordan Lee in the shipped content")


def coding_item() -> Item:
    for item in LIB.items.values():
        if item.kind == "coding_test" and {v.id for v in item.variants} == {"with_ai", "without_ai"}:
            return item
    raise AssertionError("no coding test with both variants in the shipped content")


def app(page: str | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    if page:
        at.switch_page(PAGES[page]).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def choose(at: AppTest, item: Item, variant: str | None = None) -> AppTest:
    at.selectbox(key="pr_bank").set_value(LIB.item_bank[item.id]).run()
    at.selectbox(key="pr_round").set_value(item.round).run()
    at.selectbox(key="pr_item").set_value(item.id).run()
    if variant:
        at.radio(key="pr_variant").set_value(variant).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def page_text(at: AppTest) -> str:
    """Everything a user can read on the page, as markdown source."""
    parts: list[str] = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success", "warning", "error", "metric", "code"):
        for el in getattr(at, kind):
            parts.append(str(getattr(el, "value", "")) + " " + str(getattr(el, "label", "")))
    for el in at.dataframe:
        parts.append(el.value.to_string())
    return "\n".join(parts)


def unescape(md: str) -> str:
    return re.sub(r"\\(.)", r"\1", md)


def session_rows() -> list[Any]:
    return Store().list()


def start_jordan(at: AppTest) -> AppTest:
    choose(at, jordan_item())
    at.button(key="pr_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def say(at: AppTest, text: str) -> AppTest:
    chat = next(c for c in at.chat_input if c.key.startswith("pr_chat_"))
    chat.set_value(text).run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def chat_texts(at: AppTest) -> list[tuple[str, str]]:
    return [(m.name, unescape(" ".join(x.value for x in m.markdown))) for m in at.chat_message]


# --- navigation ------------------------------------------------------------------------------


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_renders_without_error(page: str) -> None:
    at = app(page)
    assert at.title, f"{page} has no title"
    assert not at.error


def test_no_page_renders_html_from_markdown() -> None:
    """No element anywhere is allowed raw HTML (user and content text is escaped instead)."""
    for page in PAGES:
        at = app(page)
        for md in at.markdown:
            assert not md.proto.allow_html, (page, md.value)


# --- Library ---------------------------------------------------------------------------------


def test_library_browses_rubrics_and_personas_with_hidden_facts_tucked_away() -> None:
    at = app("library")
    item = jordan_item()
    at.selectbox(key="lib_item").set_value(item.id).run()
    text = unescape(page_text(at))
    assert item.indicators[0].text in text
    assert item.anchors.exceeds.text in text
    jordan = next(p for p in item.personas if LIB.personas[p].name == "Jordan Lee")
    at.selectbox(key="lib_persona").set_value(jordan).run()
    hidden = at.expander[-1]
    assert "spoils the practice" in hidden.label
    fact = LIB.personas[jordan].constraints[0].fact
    assert fact in unescape(" ".join(m.value for m in hidden.markdown))


def test_library_upload_reports_the_same_error_as_the_cli(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from simulator.cli.main import main

    bad = textwrap.dedent("""\
        personas:
          - id: my-pm
            name: Sam Doe
            title: PM
            archetype: informed_partner
            motivation: wants a launch
            voice: brisk
            source: authored
            lines:
              opening: ["Hi."]
              closing: ["Bye."]
            favourite_colour: blue
        """)
    path = tmp_path / "mine.yaml"
    path.write_text(bad, encoding="utf-8")
    assert main(["validate", str(path)]) == 2
    cli_line = capsys.readouterr().err.strip().removeprefix("mockpanel: ").replace(str(path), "mine.yaml")
    assert cli_line.startswith("mine.yaml:12: personas[my-pm].favourite_colour:")

    at = app("library")
    at.file_uploader(key="lib_upload").set_value(("mine.yaml", bad.encode(), "application/yaml")).run()
    assert [unescape(e.value) for e in at.error] == [cli_line]

    good = bad.replace("    favourite_colour: blue\n", "")
    at.file_uploader(key="lib_upload").set_value(("mine.yaml", good.encode(), "application/yaml")).run()
    assert not at.error
    assert [unescape(s.value) for s in at.success] == ["ok: mine.yaml"]


# --- Settings --------------------------------------------------------------------------------


def test_settings_shows_each_model_and_whether_its_key_is_set_never_the_key(monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.core.settings import reset_settings

    secret = "sk-test-DO-NOT-SHOW-0123456789"
    monkeypatch.setenv("MOCKPANEL_GRADER_MODEL", "openai/gpt-4o-mini")
    monkeypatch.setenv("MOCKPANEL_API_KEY", secret)
    reset_settings()
    at = app("settings")
    table = at.dataframe[0].value
    rows = {r["purpose"]: r for r in table.to_dict("records")}
    assert rows["grader"]["model"] == "openai/gpt-4o-mini"
    assert rows["grader"]["key"] == "set (MOCKPANEL_API_KEY)"
    assert rows["persona"]["kind"] == "embedded (offline)" and rows["persona"]["key"] == "not needed"
    text = page_text(at)
    assert secret not in text and secret[:12] not in text
    assert "What it cannot do" in text


def test_settings_reports_a_missing_key_and_this_tabs_token_use(monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.core.settings import reset_settings
    from simulator.models.ledger import Ledger

    monkeypatch.setenv("MOCKPANEL_MODEL", "anthropic/claude-3-5-haiku-latest")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    reset_settings()
    at = app("settings")
    rows = at.dataframe[0].value.to_dict("records")
    assert all(r["key"] == "missing: set ANTHROPIC_API_KEY" for r in rows)
    assert "No model calls yet" in page_text(at)

    ledger = Ledger()
    ledger.record("persona", "anthropic/claude-3-5-haiku-latest", 1200, 80, 0.0021, 0.8)
    ledger.record("grader", "anthropic/claude-3-5-haiku-latest", 3000, 400, 0.0046, 2.1)
    at.session_state["ledger"] = ledger
    at.run()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics == {"Calls": "2", "Tokens": "4,680", "Cost": "$0.0067"}


# --- Practice --------------------------------------------------------------------------------


def test_practice_brief_shows_the_task_and_never_the_hidden_facts() -> None:
    item = jordan_item()
    at = choose(app(), item)
    text = unescape(page_text(at))
    assert item.question.split(".")[0] in text or (item.brief and item.brief.scenario and item.brief.scenario[:60] in text)
    assert "Jordan Lee" in text
    for pid in item.personas:
        for c in LIB.personas[pid].constraints:
            assert c.fact not in text
            for line in c.disclosures:
                assert line not in text


def test_changing_track_after_picking_an_item_lands_on_an_item_of_the_new_track() -> None:
    at = choose(app(), coding_item(), "with_ai")
    other = next(b for b in LIB.banks if b != LIB.item_bank[coding_item().id])
    at.selectbox(key="pr_bank").set_value(other).run()
    assert not at.exception, [e.value for e in at.exception]
    assert LIB.item_bank[at.selectbox(key="pr_item").value] == other


def test_a_jordan_lee_session_saves_every_turn_as_it_happens_then_ends_on_feedback() -> None:
    at = start_jordan(app())
    [row] = session_rows()
    opening = row.turns
    assert opening >= 1 and chat_texts(at)[0][0] == "assistant"
    [clock] = at.get("iframe")  # the countdown ticks in the browser, from the session's own clock
    minutes = int(jordan_item().response_time_minutes or 0)
    assert "Time left" in clock.proto.srcdoc and re.search(rf">({minutes - 1}|{minutes}):\d\d<", clock.proto.srcdoc)

    say(at, "What does developer productivity mean to you, and how much traffic can we put on the experiment?")
    assert session_rows()[0].turns >= opening + 2  # the candidate's turn and the reply, saved
    texts = chat_texts(at)
    assert texts[-2] == ("user", "What does developer productivity mean to you, and how much traffic can we put on the experiment?")
    assert texts[-1][0] == "assistant"

    before = session_rows()[0].turns
    at.button(key="pr_hint").click().run()
    assert session_rows()[0].turns == before + 2  # "/hint" and the hint
    at.button(key="pr_end").click().run()
    [row] = session_rows()
    assert row.status == "finished"
    assert at.button(key="pr_end").disabled
    assert at.success and "ended" in at.success[0].value

    at.button(key="pr_feedback").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.title[0].value == "Feedback"
    assert any("Rating:" in m.value for m in at.markdown)
    labels = [b.label for b in at.get("download_button")]
    assert labels == ["Markdown", "JSON", "Printable HTML"]


def test_user_text_is_shown_literally_never_as_html_or_markup() -> None:
    at = start_jordan(app())
    attack = "<img src=x onerror=alert(1)> **bold** [link](http://example.com) $x$ :red[red]"
    say(at, attack)
    user = [m for m in at.chat_message if m.name == "user"][-1]
    source = user.markdown[0].value
    assert not user.markdown[0].proto.allow_html
    assert not re.search(r"(?<!\\)[<>*\[\]()$:]", source)  # every markup character escaped
    assert unescape(source) == attack


def test_an_unfinished_session_can_be_resumed_from_another_browser_tab() -> None:
    at = start_jordan(app())
    say(at, "Who are the users of the code recommendations?")
    at.button(key="pr_leave").click().run()
    assert at.button(key="pr_start")  # back at the chooser
    [row] = session_rows()
    assert row.status == "active"

    other = app()
    assert other.selectbox(key="pr_resume_id").value == row.id
    other.button(key="pr_resume").click().run()
    assert not other.exception
    assert ("user", "Who are the users of the code recommendations?") in chat_texts(other)
    say(other, "What is the main goal of the pilot?")
    assert session_rows()[0].turns > row.turns


def test_two_browser_tabs_never_share_a_session() -> None:
    first = start_jordan(app())
    second = app()
    assert "practice" in first.session_state and "practice" not in second.session_state
    assert second.button(key="pr_start") and not [c for c in second.chat_input if c.key.startswith("pr_chat_")]


def test_a_model_error_is_a_message_and_the_conversation_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.dialogue import voice

    at = start_jordan(app())
    real = voice.speak

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ModelError("openai/gpt-4o-mini", "rate limited (429)", "wait and retry")

    monkeypatch.setattr(voice, "speak", down)
    say(at, "How should we define success for the pilot?")
    assert at.error and "rate limited" in unescape(at.error[0].value)
    assert at.info and "rate limiting" in at.info[0].value
    assert ("user", "How should we define success for the pilot?") in chat_texts(at)
    [row] = session_rows()
    assert row.pending  # the reply is owed, and the candidate's turn is saved
    assert Store().turns(row.id)[-1].text == "How should we define success for the pilot?"

    monkeypatch.setattr(voice, "speak", real)
    at.run()
    at.button(key="pr_retry").click().run()
    assert not at.error
    assert not session_rows()[0].pending
    assert chat_texts(at)[-1][0] == "assistant"


def test_an_outage_loses_no_answer_and_the_page_says_what_is_saved(monkeypatch: pytest.MonkeyPatch) -> None:
    """The model answers, then fails on every call: all six answers are saved, the page draws them
    from the store and says they are saved and that the reply will be retried."""
    from simulator.dialogue import voice

    at = start_jordan(app())
    real = voice.speak

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ModelError("openai/gpt-4o-mini", "server error (500)", "try again")

    monkeypatch.setattr(voice, "speak", down)
    answers = [f"Answer {n}: how should we define success for the pilot?" for n in range(6)]
    for text in answers:
        say(at, text)
        assert at.error and "server error" in unescape(at.error[0].value)
        owed = unescape(" ".join(w.value for w in at.warning))
        assert "answers are saved" in owed and "retried" in owed
        assert at.button(key="pr_retry")
    [row] = session_rows()
    assert [t.text for t in Store().turns(row.id) if t.is_candidate] == answers
    assert [text for who, text in chat_texts(at) if who == "user"] == answers  # drawn from the store

    monkeypatch.setattr(voice, "speak", real)
    at.button(key="pr_retry").click().run()
    assert not at.error and not session_rows()[0].pending and not at.warning


def test_a_missing_key_is_explained_in_the_page_and_the_session_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.core.settings import reset_settings

    monkeypatch.setenv("MOCKPANEL_PERSONA_MODEL", "openai/gpt-4o-mini")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    reset_settings()
    at = start_jordan(app())
    assert at.error and "OPENAI_API_KEY" in unescape(at.error[0].value)
    assert at.info and "API key" in at.info[0].value
    [row] = session_rows()
    assert row.pending  # the opening is planned and owed, not lost
    assert at.button(key="pr_retry")


def test_a_grading_error_is_a_message_and_the_transcript_is_still_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.grading import grader

    at = app()
    practise(at, ["What does productivity mean for this pilot?"])

    def down(*args: Any, **kwargs: Any) -> Any:
        raise ModelError("openai/gpt-4o-mini", "could not connect to the server", "check MOCKPANEL_API_BASE")

    monkeypatch.setattr(grader, "grade", down)
    at.switch_page(PAGES["feedback"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.error and "could not connect" in unescape(at.error[0].value)
    assert "could not be reached" in at.info[0].value
    assert "What does productivity mean for this pilot?" in unescape(page_text(at))
    assert not at.get("download_button")


def test_the_coding_test_has_a_code_pane_and_in_its_with_ai_variant_an_assistant() -> None:
    item = coding_item()
    at = choose(app(), item, "with_ai")
    at.button(key="pr_start").click().run()
    assert not at.exception, [e.value for e in at.exception]
    [row] = session_rows()
    code = "class ChurnPipeline:\n    def fit(self, events):\n        return self\n"
    at.text_area(key=f"pr_code_{row.id}").set_value(code).run()
    at.button(key="pr_code_submit").click().run()
    turns = Store().turns(row.id)
    assert any(t.channel == "code" and t.text == code.strip() for t in turns)  # the session trims whitespace
    ai = next(c for c in at.chat_input if c.key.startswith("pr_ai_"))
    ai.set_value("Suggest features for churn").run()
    assert not at.exception, [e.value for e in at.exception]
    channels = [(t.speaker == "candidate", t.channel) for t in Store().turns(row.id)]
    assert (True, "assistant") in channels and (False, "assistant") in channels

    plain = choose(app(), item, "without_ai")
    plain.button(key="pr_start").click().run()
    assert not [c for c in plain.chat_input if c.key.startswith("pr_ai_")]
    assert [t for t in plain.text_area if t.key.startswith("pr_code_")]


# --- Feedback and Progress -------------------------------------------------------------------


def practise(at: AppTest, lines: list[str]) -> str:
    start_jordan(at)
    for line in lines:
        say(at, line)
    at.button(key="pr_end").click().run()
    sid = at.session_state["practice"].id
    at.button(key="pr_leave").click().run()
    return sid


def test_feedback_shows_indicators_with_quotes_and_the_change_since_the_last_attempt() -> None:
    at = app()
    weak = "We should just count the code completions and ship it."
    strong = ("What do we mean by developer productivity here? Which primary metric and which guardrail metrics "
              "would you accept, for example latency and suggestion acceptance?")
    practise(at, [weak])
    sid = practise(at, [strong])
    at.switch_page(PAGES["feedback"]).run()
    assert at.selectbox(key="fb_session").value == sid
    text = unescape(page_text(at))
    item = jordan_item()
    applicable = item.indicators_for(None)
    assert sum(1 for b in at.markdown if "-badge[" in b.value) == len(applicable)
    assert "Rating since the last attempt" in text
    assert "this one" in text
    quotes = [m.value for m in at.markdown if m.value.startswith("> turn")]
    for q in quotes:
        assert unescape(q).split("\u201c", 1)[1].rstrip("\u201d") in strong


def test_feedback_on_the_work_simulation_says_which_hidden_constraints_were_uncovered() -> None:
    at = app()
    traffic = "How much traffic can we allocate to this experiment?"
    sid = practise(at, ["/hint", traffic, "Which primary metric would you accept for developer productivity?",
                        "Then I'd make the primary metric accepted suggestions that are still in the code a day later, "
                        "per active developer per week, with time from first commit to merged pull request as the secondary. "
                        "Both are counted from the IDE and repository logs we already have, so we can read them weekly "
                        "and compare the treated teams with the control teams on exactly the same definitions."])
    at.switch_page(PAGES["feedback"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="fb_session").value == sid
    heads = [h.value for h in at.subheader]
    assert "Hidden constraints uncovered: 1 of 3" in heads
    text = unescape(page_text(at))
    # the opening is turn 1; "/hint" and the coach's note are not in the conversation, so the question is turn 2
    assert f"you asked \u201c{traffic}\u201d (turn 2)" in text
    assert "What to ask next time" in text and "Ask Jordan Lee about what worries engineering about the feature." in text
    said = [unescape(m.value) for m in at.markdown if "You**" in m.value]
    assert any(line.startswith("**2. You**: ") and traffic in line for line in said)
    assert "**You** :gray[(command)]: /hint" in said  # shown, without a number
    cited = [unescape(m.value) for m in at.markdown if m.value.startswith("> turn")]
    assert cited
    # the transcript below marks the quoted spans; a quote that spans several marks (a whole turn) is
    # still in the line once the marks are taken out
    shown = [re.sub(r":orange-background\[([^\]]*)\]", r"\1", unescape(m.value)) for m in at.markdown]
    for line in cited:  # every evidence line cites a number the transcript below shows beside that quote
        number, quote = line[len("> turn "):].split(": \u201c", 1)
        assert any(v.startswith(f"**{number}. You**") and quote.rstrip("\u201d") in v for v in shown)


def test_progress_charts_sessions_and_lists_indicators_missed_more_than_once() -> None:
    at = app()
    for _ in range(2):
        practise(at, ["We should just count the code completions and ship it next week."])
    at.switch_page(PAGES["progress"]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert {m.label: m.value for m in at.metric}["Finished sessions"] == "2"
    assert len(at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")) >= 3
    streak = next(d.value for d in at.dataframe if "in a row (latest)" in d.value.columns)
    assert len(streak) >= 1 and (streak["in a row (latest)"] >= 2).all()
    # Nothing cut off: the fired negatives are a wrapping table, the timeline's legend sits below it.
    [fired] = [t.value for t in at.table]
    assert "indicator" in fired.columns and len(fired) >= 1
    charts = at.get("arrow_vega_lite_chart") or at.get("vega_lite_chart")
    legend = json.loads(charts[0].proto.spec)["encoding"]["color"]["legend"]
    assert legend["orient"] == "bottom" and legend["labelLimit"] == 0


def test_progress_and_feedback_say_what_to_do_when_there_is_nothing_yet() -> None:
    assert "No finished sessions yet" in app("progress").info[0].value
    assert "No practice sessions yet" in app("feedback").info[0].value


# --- Calibrate -------------------------------------------------------------------------------


@pytest.fixture
def samples_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Two reviewed samples of the Jordan Lee item, at different levels, as the library stores them."""
    import json

    from evals import library as calibration

    item = jordan_item()
    lead = next(p for p in item.personas if LIB.personas[p].name == "Jordan Lee")
    inds = item.indicators_for(None)
    rows = []
    for n, (level, said, rating) in enumerate([
        ("junior", "Let's just count code completions and ship it in two weeks.", "below"),
        ("senior", "What does productivity mean here? Which guardrails matter: latency, trust? How much traffic can we use?", "meets"),
    ]):
        shown = {i.id: (i.polarity == "negative") == (rating == "below") for i in inds}
        rows.append({
            "id": f"sample-{n}", "level": level, "family": "test",
            "transcript": {"item": item.id, "turns": [{"speaker": lead, "text": "Where do we start?"}, {"speaker": "candidate", "text": said}]},
            "gold": {"indicators": shown, "rating": rating},
        })
    root = tmp_path / "calibration"
    root.mkdir()
    (root / "samples.jsonl").write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    monkeypatch.setattr(calibration, "CALIBRATION_DIR", root)
    return rows


def rate_sample(at: AppTest, name: str, sample: dict[str, Any], rating: str) -> AppTest:
    at.text_input(key="cal_name").set_value(name).run()
    at.selectbox(key="cal_item").set_value(sample["transcript"]["item"]).run()
    at.selectbox(key="cal_sample").set_value(sample["id"]).run()
    at.radio(key=f"cal_{sample['id']}_rating").set_value(rating)
    at.button[0].click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    return at


def test_calibrate_compares_my_rating_with_the_reference_and_the_grader(samples_dir: list[dict[str, Any]]) -> None:
    at = app("calibrate")
    assert sorted(at.selectbox(key="cal_sample").options) == ["Sample 1 (candidate level: junior)", "Sample 2 (candidate level: senior)"] or \
        sorted(at.selectbox(key="cal_sample").options) == ["Sample 1 (candidate level: senior)", "Sample 2 (candidate level: junior)"]
    first = samples_dir[0]
    at.selectbox(key="cal_sample").set_value(first["id"]).run()
    text = unescape(page_text(at))
    assert first["transcript"]["turns"][1]["text"] in text
    assert first["gold"]["rating"] not in [m.value for m in at.metric]  # the reference stays hidden until you rate

    rate_sample(at, "ann", first, "meets")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["You"] == "meets" and metrics["Reference"] == "below"
    assert metrics["Grader"] in ("exceeds", "meets", "below")
    assert metrics["Exact agreement"] == "0%" and metrics["Samples rated"] == "1"
    table = next(d.value for d in at.dataframe if "reference" in d.value.columns)
    assert len(table) == len(first["gold"]["indicators"])

    rate_sample(at, "ann", samples_dir[1], "meets")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Exact agreement"] == "50%" and metrics["Samples rated"] == "2"


def test_calibrate_shows_agreement_with_other_interviewers(samples_dir: list[dict[str, Any]]) -> None:
    rate_sample(app("calibrate"), "ann", samples_dir[0], "meets")
    other = rate_sample(app("calibrate"), "bo", samples_dir[0], "below")
    assert {m.label: m.value for m in other.metric}["Exact agreement"] == "100%"
    others = other.dataframe[-1].value.to_dict("records")
    assert others == [{"interviewer": "ann", "samples": 1, "exact agreement": 0.0, "kappa": 0.0}]


def test_calibrate_needs_a_name_before_saving(samples_dir: list[dict[str, Any]]) -> None:
    at = app("calibrate")
    at.selectbox(key="cal_sample").set_value(samples_dir[0]["id"]).run()
    at.radio(key=f"cal_{samples_dir[0]['id']}_rating").set_value("meets")
    at.button[0].click().run()
    assert at.error and "name" in at.error[0].value


def test_the_shipped_calibration_library_offers_several_samples_of_the_jordan_lee_item() -> None:
    from evals.library import samples

    item = jordan_item()
    shipped = [s for s in samples() if s.item == item.id]
    assert len(shipped) >= 3 and len({s.reference.rating for s in shipped}) >= 2
    at = app("calibrate")
    at.selectbox(key="cal_item").set_value(item.id).run()
    assert len(at.selectbox(key="cal_sample").options) == len(shipped)
    sample_id = at.selectbox(key="cal_sample").value
    expected = next(s for s in shipped if s.id == sample_id)
    rate_sample(at, "cy", {"id": sample_id, "transcript": {"item": item.id}}, "meets")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Reference"] == expected.reference.rating and metrics["You"] == "meets"


def test_each_user_sees_only_their_own_sessions_feedback_and_progress(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two users on one database (a team's): Practice, Feedback and Progress show each only theirs."""
    from simulator.core.settings import get_settings, reset_settings
    from simulator.practice.session import Session
    from simulator.storage import open_store

    reset_settings()
    store = open_store(get_settings().db)
    item = LIB.items["ds2-dashboard-design"]
    for who, line in (("ann@example.org", "I interviewed the sales managers first."), ("bo@example.org", "I shipped it and never looked back.")):
        s = Session.start(item.id, store=store, lib=LIB, clock="virtual", user_id=who)
        s.opening()
        s.respond(line)
        s.command("end")
    for who, mine, theirs in (("ann@example.org", "sales managers", "never looked back"), ("bo@example.org", "never looked back", "sales managers")):
        monkeypatch.setenv("MOCKPANEL_USER", who)
        reset_settings()
        at = app("feedback")
        options = at.selectbox(key="fb_session").options
        assert len(options) == 1
        text = page_text(at)
        assert mine in text and theirs not in text
        at.switch_page(PAGES["progress"]).run()
        assert not at.exception, [e.value for e in at.exception]
        assert "Finished sessions" in page_text(at)
    monkeypatch.setenv("MOCKPANEL_USER", "cy@example.org")
    reset_settings()
    at = app("feedback")
    assert "No practice sessions yet" in page_text(at)


@pytest.mark.parametrize("page", list(PAGES))
def test_a_damaged_session_is_reported_never_a_traceback(page: str) -> None:
    from simulator.core.transcript import Turn
    from simulator.storage import SessionRow

    store = Store()
    item = jordan_item()
    for sid, status in (("good", "finished"), ("bad", "finished"), ("badturn", "active")):
        store.create(SessionRow(id=sid, item_id=item.id, items=[item.id], status=status))
        store.add_turn(sid, Turn(speaker="candidate", text="We should define success first."))
    with store._tx() as cur:
        cur.execute("UPDATE sessions SET state = '{' WHERE id = 'bad'")
        cur.execute("UPDATE turns SET channel = 'telepathy' WHERE session_id = 'badturn'")
    at = app(page)  # asserts no exception
    if page in ("practice", "feedback", "progress"):
        assert any("session bad is damaged" in unescape(w.value) for w in at.warning)
    if page == "feedback":
        at.selectbox(key="fb_session").set_value("badturn").run()
        assert not at.exception and at.error and "session badturn is damaged" in unescape(at.error[0].value)


def test_replies_are_read_aloud_only_when_turned_on_in_the_voice_chosen_per_persona() -> None:
    import json

    at = start_jordan(app())
    say(at, "What does productivity mean here?")
    assert len(at.get("iframe")) == 1  # only the clock: reading aloud is off by default
    at.toggle(key="pr_aloud").set_value(True).run()
    persona = next(p for p in LIB.items[jordan_item().id].personas if LIB.personas[p].archetype != "assistant")
    at.selectbox(key=f"pr_voice_{persona}").set_value(3).run()
    at.selectbox(key=f"pr_pitch_{persona}").set_value("lower").run()
    say(at, "How much traffic can we use? </script><b>x</b>")
    spoken = [f.proto.srcdoc for f in at.get("iframe") if "SpeechSynthesisUtterance" in f.proto.srcdoc]
    assert len(spoken) == 1 and "</script><b>" not in spoken[0].split("<script>", 1)[1].rsplit("</script>", 1)[0]
    lines = json.loads(spoken[0].split("const lines = ", 1)[1].split(";\n", 1)[0])
    assert lines and all(voice == 2 and pitch == 0.8 for _, voice, pitch in lines)
    assert lines[-1][0] == chat_texts(at)[-1][1].split(" ", 1)[-1] or lines[-1][0] in chat_texts(at)[-1][1]


def test_retry_the_same_item_in_one_click_from_feedback_and_from_the_end_of_a_session() -> None:
    item = jordan_item()
    at = choose(app("practice"), item)
    at.button(key="pr_start").click().run()
    say(at, "/end")
    first = at.session_state["practice"].id
    at.button(key="pr_again").click().run()
    assert not at.exception, [e.value for e in at.exception]
    second = at.session_state["practice"]
    assert second.id != first and second.row.item_id == item.id and not second.finished
    say(at, "/end")
    at.switch_page(PAGES["feedback"]).run()
    at.button(key="fb_again").click().run()
    assert not at.exception, [e.value for e in at.exception]
    third = at.session_state["practice"]
    assert third.id not in (first, second.id) and third.row.item_id == item.id


def test_feedback_shows_the_model_answer_beside_yours() -> None:
    item = next(i for i in LIB.items.values() if i.reference_answer and i.kind == "technical" and not i.variants)
    at = choose(app("practice"), item)
    at.button(key="pr_start").click().run()
    say(at, "I would watch the input distributions and retrain when they drift.")
    say(at, "/end")
    at.switch_page(PAGES["feedback"]).run()
    assert not at.exception, [e.value for e in at.exception]
    text = page_text(at)
    assert "A model answer" in text and "Your answer" in text
    assert "retrain when they drift" in text


def test_a_session_ended_before_any_answer_is_not_counted_on_progress() -> None:
    item = jordan_item()
    at = choose(app("practice"), item)
    at.button(key="pr_start").click().run()
    say(at, "/end")
    at.switch_page(PAGES["progress"]).run()
    assert not at.exception, [e.value for e in at.exception]
    text = page_text(at)
    assert "ended before any answer are not counted" in text and "No answered sessions yet" in text


def test_after_a_finished_session_the_practice_link_shows_the_chooser_with_that_item_chosen() -> None:
    at = start_jordan(app())
    say(at, "What does developer productivity mean for this pilot?")
    at.button(key="pr_end").click().run()
    at.switch_page(PAGES["feedback"]).run()
    at.switch_page(PAGES["practice"]).run()  # the sidebar's link: a fresh visit
    assert not at.exception, [e.value for e in at.exception]
    assert "practice" not in at.session_state
    assert at.selectbox(key="pr_item").value == jordan_item().id
    assert [b for b in at.button if b.key == "pr_start"]
    assert not at.chat_message


def test_an_unfinished_session_is_still_there_after_visiting_another_page() -> None:
    at = start_jordan(app())
    say(at, "What does developer productivity mean for this pilot?")
    at.switch_page(PAGES["progress"]).run()
    at.switch_page(PAGES["practice"]).run()
    assert "practice" in at.session_state and not at.session_state["practice"].finished
    assert any("productivity" in text for _, text in chat_texts(at))


def test_the_grader_gets_ready_once_the_first_answer_has_its_reply(monkeypatch: pytest.MonkeyPatch) -> None:
    from simulator.app import ui

    calls: list[tuple[str, str | None]] = []
    monkeypatch.setattr(ui, "warm_item", lambda item_id, variant: calls.append((item_id, variant)))
    at = start_jordan(app())
    assert calls == []  # not while the opening is spoken: it would slow the first reply
    say(at, "What does developer productivity mean for this pilot?")
    assert calls and set(calls) == {(jordan_item().id, None)}


def test_warming_an_item_never_calls_a_model_backed_grader_and_runs_once(monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from simulator.app import ui

    started: list[str] = []

    class Recorded:
        def __init__(self, target: Any, name: str, daemon: bool) -> None:
            self.name = name

        def start(self) -> None:
            started.append(self.name)

    monkeypatch.setattr(threading, "Thread", Recorded)
    ui._warmed_items().clear()
    monkeypatch.setattr(ui, "grader_engine", lambda: "llm")
    REAL_WARM_ITEM(jordan_item().id, None)  # the autouse fixture replaced ui.warm_item
    assert started == []
    monkeypatch.setattr(ui, "grader_engine", lambda: "semantic")
    REAL_WARM_ITEM(jordan_item().id, None)
    REAL_WARM_ITEM(jordan_item().id, None)
    assert started == [f"mockpanel-warm-{jordan_item().id}"]
    ui._warmed_items().clear()
