"""The app in a real browser, on the embedded default: cold start to the first rendered page, and
one chat turn's round trip (Enter pressed to the persona's reply on screen).

Cold start is measured from launching `streamlit run app.py` (a fresh process, nothing cached)
to the Practice page's heading rendered in headless Chromium, with the browser started before the
clock. Round trips are a short Jordan Lee session; the first session's opening and first turn
also wait for the background warm-up (litellm import, embedding model), so they are reported
apart from a second, warm session.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import time
from pathlib import Path

LINES = [
    "What does developer productivity mean for this pilot?",
    "How much traffic can we put on a new experiment?",
    "What worries engineering most about the LLM calls?",
    "Could we use suggestion acceptance rate as the primary metric, with IDE latency as a guardrail?",
    "How long would the test need to run given the variance in session length?",
    "Should we randomise by team rather than by developer to avoid contamination?",
]


def _jordan_item() -> str:
    from simulator.content.library import load_library

    lib = load_library()
    for item in lib.items.values():
        if item.kind == "work_simulation" and any(lib.personas[p].name == "Jordan Lee" for p in item.personas):
            return item.id
    raise SystemExit("no work simulation played by Jordan Lee in the shipped content")


def main() -> None:
    from simulator.testing import browser as b

    b.ensure_browser()
    item_id = _jordan_item()
    with tempfile.TemporaryDirectory(prefix="mockpanel-bench-app-") as tmp:
        root = Path(tmp)
        (root / "downloads").mkdir()
        env = {"MOCKPANEL_DB": str(root / "bench.db"), "MOCKPANEL_ENV_FILE": str(root / "no.env")}
        env.update({k: "" for k in os.environ if k.startswith("MOCKPANEL_") and k not in env})
        started = time.perf_counter()
        driver = b.chromium(root / "downloads", root / "profile")
        browser_s = time.perf_counter() - started
        try:
            with b.AppServer(env=env, log_dir=root) as server:
                ready_s = server.wait_ready(timeout=120)
                driver.get(f"{server.url}/?item={item_id}")
                b.heading(driver, "Practice", timeout=120)
                first_page_s = time.monotonic() - server.started

                b.click(driver, b.button(driver, "Start"))
                t = time.perf_counter()
                b.wait(driver, lambda d: len(b.chat_messages(d)) >= 1 and not b.running(d), 120, "the opening")
                opening_s = time.perf_counter() - t
                trips = [b.send_chat(driver, line, timeout=120) for line in LINES]

                # A second session in the same server: models and imports are warm now.
                b.click(driver, b.button(driver, "Leave"))
                b.click(driver, b.button(driver, "Start", timeout=120))
                t = time.perf_counter()
                b.wait(driver, lambda d: len(b.chat_messages(d)) >= 1 and not b.running(d), 120, "the second opening")
                warm_opening_s = time.perf_counter() - t
        finally:
            driver.quit()

    rest = trips[1:]
    print(f"browser start (not counted):            {browser_s:6.2f} s")
    print(f"cold start: server healthy              {ready_s:6.2f} s")
    print(f"cold start: first page rendered         {first_page_s:6.2f} s")
    print(f"session start to Jordan Lee's opening   {opening_s:6.2f} s  (first session: waits for the background imports)")
    print(f"  the same, second session              {warm_opening_s:6.2f} s")
    print(f"chat round trip, first turn             {trips[0]:6.2f} s")
    print(f"chat round trip, next {len(rest)} turns: median {statistics.median(rest):.2f} s, "
          f"max {max(rest):.2f} s")


if __name__ == "__main__":
    main()
