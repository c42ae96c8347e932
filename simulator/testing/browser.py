"""Drives the real app in headless Chromium: the browser test and the app benchmark share it.

`AppServer` runs `streamlit run app.py` on a free 127.0.0.1 port and waits for its health
endpoint with a bounded poll (no fixed sleeps); `chromium()` starts Debian's chromium through
its chromedriver with a fresh profile and nothing that phones home. Selenium is a dev
dependency, imported only here.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from simulator.content.library import ROOT

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage", "--disable-extensions", "--disable-default-apps", "--mute-audio",
    "--window-size=1400,1800",
)
T = TypeVar("T")


def ensure_browser() -> None:
    """Installs chromium with scripts/system-setup when it is missing (a no-op otherwise)."""
    if CHROMIUM.exists() and CHROMEDRIVER.exists():
        return
    subprocess.run(["bash", str(ROOT / "scripts" / "system-setup")], check=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def poll(check: Callable[[], T | None], timeout: float, what: str, interval: float = 0.05) -> T:
    """Calls `check` until it returns something truthy, at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:g}s waiting for {what}")
        time.sleep(interval)


class AppServer:
    """`streamlit run app.py` on a free port, for as long as the `with` block lasts."""

    def __init__(self, env: dict[str, str] | None = None, log_dir: Path | None = None, args: list[str] | None = None) -> None:
        self.port = free_port()
        self.args = list(args or [])
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, **(env or {})}
        self.log_path = (log_dir or Path(tempfile.mkdtemp(prefix="mockpanel-app-"))) / "streamlit.log"
        self.proc: subprocess.Popen[bytes] | None = None
        self.started = 0.0

    def __enter__(self) -> AppServer:
        self.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.stop()

    def start(self) -> None:
        cmd = [
            sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
            "--server.headless", "true", "--server.port", str(self.port), "--server.address", "127.0.0.1",
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
            "--server.runOnSave", "false", "--global.developmentMode", "false", "--client.toolbarMode", "viewer",
            *self.args,
        ]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT)
        log.close()

    def healthy(self) -> bool:
        if self.proc is not None and self.proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {self.proc.returncode}: {self.log()}")
        try:
            with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1) as resp:
                ok: bool = resp.status == 200
                return ok
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            return False

    def wait_ready(self, timeout: float = 60.0) -> float:
        """Seconds from start to a healthy server."""
        poll(self.healthy, timeout, "the streamlit server's health endpoint", interval=0.05)
        return time.monotonic() - self.started

    def log(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)


def chromium(download_dir: Path, profile_dir: Path, fake_microphone: Path | None = None) -> WebDriver:
    """Headless Debian chromium through its own chromedriver (Selenium Manager never runs).

    `fake_microphone`: a WAV that Chromium's fake capture device plays as the microphone (once,
    then silence), with the permission granted, for the spoken-answer test."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    os.environ.setdefault("SE_OFFLINE", "true")
    opts = webdriver.ChromeOptions()
    opts.binary_location = str(CHROMIUM)
    for flag in CHROMIUM_FLAGS:
        opts.add_argument(flag)
    opts.add_argument(f"--user-data-dir={profile_dir}")
    if fake_microphone is not None:
        opts.add_argument("--use-fake-ui-for-media-stream")
        opts.add_argument("--use-fake-device-for-media-stream")
        opts.add_argument(f"--use-file-for-fake-audio-capture={fake_microphone}%noloop")
    opts.add_experimental_option("prefs", {
        "download.default_directory": str(download_dir),
        "download.prompt_for_download": False,
        "safebrowsing.enabled": False,
    })
    driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER), log_output=subprocess.DEVNULL), options=opts)
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(download_dir)})
    return driver


# --- Talking to the page ---------------------------------------------------------------------


def wait(driver: WebDriver, condition: Callable[[WebDriver], T | None], timeout: float = 30.0, what: str = "") -> T:
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.support.ui import WebDriverWait

    try:
        value = WebDriverWait(driver, timeout, poll_frequency=0.05, ignored_exceptions=(StaleElementReferenceException,)).until(condition)
    except TimeoutException:
        raise TimeoutError(f"timed out after {timeout:g}s waiting for {what or condition}") from None
    assert value is not None  # until() returns only a truthy value
    return value


def by_css(driver: WebDriver, css: str) -> list[WebElement]:
    from selenium.webdriver.common.by import By

    return driver.find_elements(By.CSS_SELECTOR, css)


def heading(driver: WebDriver, text: str, timeout: float = 30.0) -> WebElement:
    """Waits for the page's h1 to read `text` (the page has rendered)."""

    def found(d: WebDriver) -> WebElement | None:
        if running(d):
            return None
        for h in by_css(d, "h1"):
            if h.text.strip() == text:
                return h
        return None

    return wait(driver, found, timeout, f"heading {text!r}")


def button(driver: WebDriver, label: str, timeout: float = 30.0) -> WebElement:
    """An enabled button (or download button) whose visible text is `label`."""

    def found(d: WebDriver) -> WebElement | None:
        for b in by_css(d, "button"):
            # A button with an icon reads "<icon name>\n<label>": the label is its last line.
            lines = b.text.strip().splitlines()
            if lines and lines[-1].strip() == label and b.is_enabled() and b.is_displayed():
                return b
        return None

    return wait(driver, found, timeout, f"button {label!r}")


def click(driver: WebDriver, element: WebElement) -> None:
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'});", element)
    element.click()


def nav(driver: WebDriver, title: str) -> None:
    """Follows the sidebar link to a page (same browser session, so per-user state is kept)."""

    def found(d: WebDriver) -> WebElement | None:
        for a in by_css(d, '[data-testid="stSidebarNavLink"]'):
            if a.text.strip().splitlines()[-1:] == [title]:
                return a
        return None

    click(driver, wait(driver, found, 30, f"sidebar link {title!r}"))
    heading(driver, title)


def chat_messages(driver: WebDriver) -> list[WebElement]:
    return by_css(driver, '[data-testid="stChatMessage"]')


def send_chat(driver: WebDriver, text: str, timeout: float = 60.0) -> float:
    """Types a message, presses Enter, and waits for the persona's reply: seconds it took."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.keys import Keys

    before = len(chat_messages(driver))
    for attempt in range(3):  # Streamlit may redraw the input between finding it and typing into it
        box = wait(driver, lambda d: next((e for e in by_css(d, '[data-testid="stChatInputTextArea"]') if e.is_enabled()), None),
                   timeout, "the chat input")
        try:
            box.click()
            box.clear()
            box.send_keys(text)
            start = time.monotonic()
            box.send_keys(Keys.ENTER)
            break
        except StaleElementReferenceException:
            if attempt == 2:
                raise
    wait(driver, lambda d: len(chat_messages(d)) >= before + 2 and not running(d) and _has_text(chat_messages(d)[-1]),
         timeout, "the persona's reply")
    return time.monotonic() - start


def _has_text(message: WebElement) -> bool:
    """A persona message reads "<name>\n<reply>": more than the name line once the reply is in."""
    return len([line for line in message.text.splitlines() if line.strip()]) >= 2


def running(driver: WebDriver) -> bool:
    """Whether a script run is under way (or the app has not finished its first run yet)."""
    apps = by_css(driver, '[data-testid="stApp"]')
    return not apps or apps[0].get_attribute("data-test-script-state") != "notRunning"


def settled(driver: WebDriver) -> bool:
    """The run is over and every chart has drawn (Vega renders after the elements arrive)."""
    if running(driver):
        return False
    charts = by_css(driver, '[data-testid="stVegaLiteChart"]')
    return all(c.find_elements("css selector", "canvas, svg") for c in charts)


def clock(driver: WebDriver) -> str:
    """The practice countdown's reading (it ticks inside its own iframe)."""
    for frame in by_css(driver, "iframe"):
        driver.switch_to.frame(frame)
        try:
            found = by_css(driver, "#t")
            if found:
                return found[0].text.strip()
        finally:
            driver.switch_to.default_content()
    return ""


def screenshot(driver: WebDriver, path: Path, full: bool = True) -> Path:
    """The page once settled; `full` grows the window to the page's height for the shot, since
    Streamlit scrolls its main area inside the window rather than the document."""
    wait(driver, settled, 30, "the page to settle before a screenshot")
    path.parent.mkdir(parents=True, exist_ok=True)
    size = driver.get_window_size()
    if full:
        height = driver.execute_script(
            "const m = document.querySelector('[data-testid=\"stMain\"]') || document.body;"
            "return Math.max(m.scrollHeight, document.body.scrollHeight);"
        )
        driver.set_window_size(size["width"], min(int(height) + 160, 8000))
        wait(driver, settled, 30, "the page to settle at full height")
    driver.save_screenshot(str(path))
    if full:
        driver.set_window_size(size["width"], size["height"])
    return path


def downloaded(directory: Path, suffix: str, timeout: float = 30.0) -> Path:
    """The finished download ending in `suffix` (Chromium writes *.crdownload until done)."""

    def done() -> Path | None:
        for p in directory.glob(f"*{suffix}"):
            if p.is_file() and p.stat().st_size > 0:
                return p
        return None

    return poll(done, timeout, f"a downloaded *{suffix} file in {directory}")
