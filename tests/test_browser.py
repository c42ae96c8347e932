"""The real app in a real browser: headless Chromium against `streamlit run app.py` on 127.0.0.1.

Practises a short Jordan Lee session to the feedback page, checks the indicators shown, downloads
the report, and saves a screenshot of each page under artifacts/screenshots/.
"""

from __future__ import annotations

import html
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulator.content.library import ROOT, load_library
from simulator.content.rubric import Item
from simulator.testing import browser as b

SCREENSHOTS = ROOT / "artifacts" / "screenshots"
pytestmark = pytest.mark.browser


def coding_item() -> Item:
    lib = load_library()
    return next(i for i in lib.items.values() if i.kind == "coding_test" and {v.id for v in i.variants} == {"with_ai", "without_ai"})


def jordan_item() -> Item:
    lib = load_library()
    for item in lib.items.values():
        if item.kind == "work_simulation" and any(lib.personas[p].name == "Jordan Lee" for p in item.personas):
            return item
    raise AssertionError("no work simulation played by Jordan Lee in the shipped content")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[b.AppServer]:
    b.ensure_browser()
    with b.AppServer(env={"MOCKPANEL_DB": os.environ["MOCKPANEL_DB"]}, log_dir=tmp_path) as srv:
        srv.wait_ready(timeout=90)
        yield srv


@pytest.fixture
def driver(tmp_path: Path) -> Iterator[object]:
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    drv = b.chromium(downloads, tmp_path / "profile")
    drv.downloads = downloads  # type: ignore[attr-defined]
    try:
        yield drv
    finally:
        drv.quit()


def test_a_short_jordan_lee_session_to_feedback_with_downloads_and_screenshots(server: b.AppServer, driver) -> None:  # type: ignore[no-untyped-def]
    from simulator.storage.sqlite import Store

    item = jordan_item()
    driver.get(f"{server.url}/?item={item.id}")
    b.heading(driver, "Practice")
    b.wait(driver, lambda d: "Jordan Lee" in d.find_element("tag name", "body").text, 30, "the brief naming Jordan Lee")
    b.screenshot(driver, SCREENSHOTS / "1-practice-brief.png")

    b.click(driver, b.button(driver, "Start"))
    b.wait(driver, lambda d: len(b.chat_messages(d)) >= 1 and not b.running(d), 60, "Jordan Lee's opening")
    first = b.clock(driver)
    assert re.fullmatch(r"\d+:\d\d", first)
    b.wait(driver, lambda d: b.clock(d) != first, 10, "the countdown to tick")

    question = "What does developer productivity mean for this pilot, and how much traffic can we use? <b>not bold</b>"
    b.send_chat(driver, question)
    mine = b.chat_messages(driver)[-2]
    assert "<b>not bold</b>" in mine.text  # shown literally, not as markup
    assert not mine.find_elements("css selector", "b")
    b.send_chat(driver, "Let's make acceptance rate of suggestions the primary metric, with IDE latency as a guardrail.")
    b.screenshot(driver, SCREENSHOTS / "2-practice-chat.png")

    [row] = Store().list()
    assert row.turns >= 5 and row.status == "active"  # every turn saved as it happened

    b.click(driver, b.button(driver, "End"))
    b.click(driver, b.button(driver, "See your feedback", timeout=60))
    b.heading(driver, "Feedback", timeout=60)
    b.wait(driver, lambda d: "Rating:" in d.find_element("tag name", "body").text and not b.running(d), 90, "the rating")
    body = driver.find_element("tag name", "body").text
    for ind in item.indicators_for(None):
        assert ind.text in body, f"indicator not shown: {ind.text}"
    badges = [e.text for e in driver.find_elements("css selector", '[data-testid="stMarkdownContainer"] span')
              if e.text in ("met", "missed", "fired", "avoided", "missed (not enough evidence)")]
    assert len(badges) == len(item.indicators_for(None))
    assert re.search(r"Hidden constraints uncovered: \d of 3", body)  # the work simulation's scenario
    b.screenshot(driver, SCREENSHOTS / "3-feedback.png")

    b.click(driver, b.button(driver, "Printable HTML"))
    page = b.downloaded(driver.downloads, ".html").read_text(encoding="utf-8")
    assert "&lt;b&gt;not bold&lt;/b&gt;" in page and "<b>not bold</b>" not in page
    assert all(html.escape(i.text) in page for i in item.indicators_for(None))
    b.click(driver, b.button(driver, "JSON"))
    report = json.loads(b.downloaded(driver.downloads, ".json").read_text(encoding="utf-8"))
    assert report["item"]["id"] == item.id
    assert report["grade"]["rating"] in ("exceeds", "meets", "below")
    assert {v["id"] for v in report["grade"]["indicators"]} == {i.id for i in item.indicators_for(None)}
    assert any(t["speaker"] == "candidate" and t["text"] == question for t in report["transcript"]["turns"])

    for n, title in enumerate(("Progress", "Calibrate", "Library", "Settings"), 4):
        b.nav(driver, title)
        b.wait(driver, lambda d: not b.running(d), 60, f"{title} to finish rendering")
        assert "Traceback" not in driver.find_element("tag name", "body").text
        if title == "Calibrate":
            rate_a_sample(driver)
        b.screenshot(driver, SCREENSHOTS / f"{n}-{title.lower()}.png")


def rate_a_sample(driver) -> None:  # type: ignore[no-untyped-def]
    """An interviewer rates the first sample; the reference and the grader appear beside it."""
    from selenium.webdriver.common.keys import Keys

    name = b.wait(driver, lambda d: next(iter(b.by_css(d, 'input[aria-label="Your name or initials"]')), None), 30, "the name box")
    name.send_keys("ann", Keys.ENTER)
    b.wait(driver, lambda d: not b.running(d), 30, "the name to be taken")
    meets = b.wait(driver, lambda d: next((e for e in b.by_css(d, '[data-testid="stRadio"] label') if e.text.strip() == "meets"), None),
                   30, "the rating choice")
    b.click(driver, meets)
    b.click(driver, b.button(driver, "Submit my rating"))
    b.wait(driver, lambda d: "How others rated it" in d.find_element("tag name", "body").text and not b.running(d), 60, "the comparison")
    body = driver.find_element("tag name", "body").text
    assert "Reference" in body and "Grader" in body and "Cohen's kappa" in body


def test_the_coding_test_with_ai_shows_the_code_pane_and_the_assistant(server: b.AppServer, driver) -> None:  # type: ignore[no-untyped-def]
    from selenium.webdriver.common.keys import Keys

    from simulator.storage.sqlite import Store

    item = coding_item()
    driver.get(f"{server.url}/?item={item.id}&variant=with_ai")
    b.heading(driver, "Practice")
    b.click(driver, b.button(driver, "Start"))
    b.wait(driver, lambda d: len(b.chat_messages(d)) >= 1 and not b.running(d), 60, "the interviewer's opening")
    editor = b.wait(driver, lambda d: next(iter(b.by_css(d, ".st-key-pr_code_pane textarea")), None), 60, "the code pane")
    editor.send_keys(Keys.CONTROL, "a")
    editor.send_keys(Keys.DELETE)
    editor.send_keys("class ChurnPipeline:\n    def fit(self, events):\n        return self")
    b.click(driver, b.button(driver, "Submit code"))
    b.wait(driver, lambda d: not b.running(d) and "Code submitted" in d.find_element("tag name", "body").text, 60, "the code turn")
    ai = b.wait(driver, lambda d: next((e for e in b.by_css(d, '[data-testid="stChatInputTextArea"]')
                                        if e.get_attribute("placeholder") == "Ask the assistant"), None), 60, "the assistant's input")
    ai.click()
    ai.send_keys("Suggest features for churn")
    ai.send_keys(Keys.ENTER)
    b.wait(driver, lambda d: not b.running(d) and "No messages yet." not in d.find_element("tag name", "body").text, 60, "the assistant's reply")
    b.screenshot(driver, SCREENSHOTS / "8-coding-test-with-ai.png")
    [row] = Store().list()
    channels = {t.channel for t in Store().turns(row.id)}
    assert {"code", "assistant"} <= channels
    code = [t.text for t in Store().turns(row.id) if t.channel == "code"]
    assert code == ["class ChurnPipeline:\n    def fit(self, events):\n        return self"]


def test_a_spoken_answer_through_the_microphone_is_transcribed_answered_and_graded(server: b.AppServer, tmp_path: Path) -> None:
    """Chromium's fake capture device plays a committed espeak-ng clip as the microphone."""
    from selenium.webdriver.common.by import By

    from simulator.storage.sqlite import Store

    clip = ROOT / "evals" / "data" / "speech" / "a00-150.wav"
    (tmp_path / "dl").mkdir()
    driver = b.chromium(tmp_path / "dl", tmp_path / "profile-mic", fake_microphone=clip)
    try:
        item = jordan_item()
        driver.get(f"{server.url}/?item={item.id}")
        b.heading(driver, "Practice")
        b.click(driver, b.button(driver, "Start"))
        b.wait(driver, lambda d: len(b.chat_messages(d)) >= 1 and not b.running(d), 60, "Jordan Lee's opening")
        record = b.wait(driver, lambda d: next(iter(d.find_elements(By.CSS_SELECTOR, '[data-testid="stAudioInput"] [aria-label="Record"]')), None),
                        30, "the microphone's record button")
        b.click(driver, record)
        # the clip lasts about 5 s; the recorder's clock reads it while recording
        b.wait(driver, lambda d: any(t in d.find_element(By.CSS_SELECTOR, '[data-testid="stAudioInput"]').text for t in ("00:06", "00:07")),
               30, "six seconds of recording")
        b.click(driver, driver.find_element(By.CSS_SELECTOR, '[data-testid="stAudioInput"] [aria-label="Stop recording"]'))
        box = b.wait(driver, lambda d: next((e for e in d.find_elements(By.CSS_SELECTOR, '[data-testid="stTextArea"] textarea')
                                            if e.get_attribute("value")), None), 60, "the transcript to edit")
        assert "performance" in box.get_attribute("value").lower()
        before = len(b.chat_messages(driver))
        b.click(driver, b.button(driver, "Send spoken answer"))
        b.wait(driver, lambda d: len(b.chat_messages(d)) >= before + 2 and not b.running(d), 60, "the reply to the spoken answer")
        b.screenshot(driver, SCREENSHOTS / "8-practice-spoken.png")
        [row] = Store().list()
        spoken = [t for t in Store().transcript(row.id).turns if t.is_candidate and "speech" in t.meta]
        assert spoken and Path(spoken[0].meta["speech"]["audio"]).is_file()

        b.click(driver, b.button(driver, "End"))
        b.click(driver, b.button(driver, "See your feedback", timeout=60))
        b.heading(driver, "Feedback", timeout=60)
        b.wait(driver, lambda d: "Rating:" in d.find_element("tag name", "body").text and not b.running(d), 90, "the rating")
        assert "words a minute" in driver.find_element("tag name", "body").text
        b.screenshot(driver, SCREENSHOTS / "9-feedback-delivery.png")
    finally:
        driver.quit()


def test_two_signed_in_users_never_see_each_others_sessions(tmp_path: Path) -> None:
    """A team's deployment: sign-in through OpenID Connect (st.login, against a provider on
    127.0.0.1), one database, two people in two browsers; neither sees the other's sessions."""
    from simulator.storage import open_store
    from simulator.testing.oidc import FakeOIDC

    b.ensure_browser()
    db = str(tmp_path / "team.db")
    item = jordan_item()
    with FakeOIDC() as idp:
        srv = b.AppServer(env={"MOCKPANEL_DB": db}, log_dir=tmp_path)
        secrets_file = tmp_path / "secrets.toml"
        secrets_file.write_text(idp.secrets_toml(f"{srv.url}/oauth2callback"), encoding="utf-8")
        srv.args = ["--secrets.files", str(secrets_file)]
        with srv:
            srv.wait_ready(timeout=90)
            drivers = {}
            try:
                for who in ("ann@example.org", "bo@example.org"):
                    d = b.chromium(tmp_path / f"dl-{who}", tmp_path / f"profile-{who}")
                    drivers[who] = d
                    d.get(srv.url)
                    b.click(d, b.button(d, "Sign in"))
                    email = b.wait(d, lambda d: (d.find_elements("id", "email") or [None])[0], 30, "the provider's sign-in form")
                    email.send_keys(who)
                    d.find_element("id", "go").click()
                    b.heading(d, "Practice", timeout=60)
                    d.get(f"{srv.url}/?item={item.id}")
                    b.heading(d, "Practice")
                    b.click(d, b.button(d, "Start"))
                    b.wait(d, lambda d: len(b.chat_messages(d)) >= 1 and not b.running(d), 60, "the opening")
                    b.send_chat(d, f"I am {who.split('@')[0]}: what does productivity mean for this pilot?")
                for who, d in drivers.items():
                    b.nav(d, "Feedback")
                    b.heading(d, "Feedback")
                    other = "bo" if who.startswith("ann") else "ann"
                    b.wait(d, lambda d: "I am" in d.find_element("tag name", "body").text or "Rating" in d.find_element("tag name", "body").text, 60, "the feedback")
                    body = d.find_element("tag name", "body").text
                    assert f"I am {who.split('@')[0]}" in body and f"I am {other}" not in body
            finally:
                for d in drivers.values():
                    d.quit()
    rows = open_store(db).list()
    assert sorted(r.user_id for r in rows) == ["ann@example.org", "bo@example.org"]


AVATAR_WORDS = {"face", "person", "smart_toy", "support_agent", "user", "assistant"}
BUTTON_ICON_WORDS = {"play_arrow", "stop_circle", "lightbulb", "task_alt", "timer_off", "hourglass_top", "mic_off",
                     "fact_check", "menu_book", "arrow_forward", "content_copy", "data_object", "sync_problem", "gpp_maybe"}


def page_text(driver) -> str:  # type: ignore[no-untyped-def]
    text: str = driver.execute_script("return document.body.innerText;")
    return text


def test_a_finished_session_never_traps_practice_and_the_page_reads_well(server: b.AppServer, driver) -> None:  # type: ignore[no-untyped-def]
    """After End and Feedback, the sidebar's Practice link shows the chooser with the item just
    practised chosen again. On the way: the frames are titled, the latest reply is in a polite
    live region, no avatar icon name is page text, and on a 390 px screen the brief comes first."""
    item = jordan_item()
    driver.get(f"{server.url}/?item={item.id}")
    b.heading(driver, "Practice")
    b.click(driver, b.button(driver, "Start"))
    b.wait(driver, lambda d: len(b.chat_messages(d)) >= 1 and not b.running(d), 60, "Jordan Lee's opening")
    aloud = b.wait(driver, lambda d: next((e for e in b.by_css(d, '[data-testid="stCheckbox"] label')
                                           if "Read replies aloud" in e.text), None), 30, "the read-aloud switch")
    b.click(driver, aloud)
    b.wait(driver, lambda d: not b.running(d), 30, "the switch to take")
    b.send_chat(driver, "What does developer productivity mean for this pilot?")

    b.wait(driver, lambda d: not b.running(d), 30, "the reply to settle")
    # read in one call: Streamlit may redraw a frame between two element lookups
    titles = driver.execute_script("return Array.from(document.querySelectorAll('iframe')).map(f => f.title || '');")
    assert titles and all(t and t != "st.iframe" for t in titles), titles
    assert {"Time left in this session", "Reads the replies aloud (nothing to see)"} <= set(titles)
    live = b.wait(driver, lambda d: next(iter(b.by_css(d, '.mp-latest-reply[aria-live="polite"]')), None), 30, "the live region")
    last_reply = " ".join(b.chat_messages(driver)[-1].text.splitlines()[-1].split())
    assert last_reply and last_reply in " ".join((live.get_attribute("textContent") or "").split())
    # An icon's name would be a line of its own (a reply may well say "person" in a sentence).
    lines = {line.strip() for line in page_text(driver).splitlines()}
    assert not lines & AVATAR_WORDS, f"avatar icon names in the page text: {lines & AVATAR_WORDS}"
    for message in b.chat_messages(driver):
        assert not {line.strip() for line in message.text.splitlines()} & AVATAR_WORDS
    # nor a button's icon name ("lightbulbHint"): icons are pictures, not ligature words
    words = set(re.findall(r"[a-z_]+", page_text(driver)))
    assert not words & BUTTON_ICON_WORDS, f"icon names in the page text: {words & BUTTON_ICON_WORDS}"

    b.click(driver, b.button(driver, "End"))
    b.click(driver, b.button(driver, "See your feedback", timeout=60))
    b.heading(driver, "Feedback", timeout=60)
    b.wait(driver, lambda d: "Rating:" in d.find_element("tag name", "body").text and not b.running(d), 90, "the rating")
    b.nav(driver, "Practice")  # the chooser, not the old chat
    b.button(driver, "Start")
    assert not b.chat_messages(driver)
    chosen = b.wait(driver, lambda d: next(iter(b.by_css(d, ".st-key-pr_item")), None), 30, "the item picker")
    assert item.title in (chosen.get_attribute("textContent") or "") + " ".join(
        e.get_attribute("value") or "" for e in chosen.find_elements("css selector", "input"))  # the last choice, remembered
    assert item.title in b.by_css(driver, ".st-key-pr_brief")[0].text

    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True})
    try:
        b.wait(driver, lambda d: d.execute_script("return window.innerWidth") == 390, 10, "the phone-sized viewport")
        top = driver.execute_script(
            "const y = s => document.querySelector(s).getBoundingClientRect().top;"
            "return [y('.st-key-pr_brief'), y('.st-key-pr_filters')];")
        assert top[0] < top[1], f"on a phone the brief should come before the filters: {top}"
        b.screenshot(driver, SCREENSHOTS / "10-practice-phone.png", full=False)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
