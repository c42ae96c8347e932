"""Shared fixtures: no network, no user data, no waiting. Keep this file small and generic."""

from __future__ import annotations

import ipaddress
import os
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from simulator.testing.recorder import recorder

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("DISABLE_AIOHTTP_TRANSPORT", "True")

CASSETTES = Path(__file__).parent / "cassettes"
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"}


def pytest_configure(config: pytest.Config) -> None:
    # litellm's own TypedDicts trip a pydantic notice on first streaming use; not ours to fix
    config.addinivalue_line("filterwarnings", "ignore:Items? .* (is|are) using the `ReadOnly` qualifier:UserWarning")


class NetworkBlocked(RuntimeError):
    """A test tried to reach past this machine; tests only talk to 127.0.0.1."""


def is_local(host: Any) -> bool:
    if not isinstance(host, str):
        return False
    if host.lower() in LOCAL_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def _check(address: Any) -> None:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return
    if isinstance(address, tuple) and address and is_local(address[0]):
        return
    raise NetworkBlocked(f"test tried to open a socket to {address!r}; only 127.0.0.1/localhost/::1 are allowed")


@pytest.fixture(autouse=True)
def network_guard(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection (or name lookup) that is not for the loopback interface."""
    real_connect, real_connect_ex, real_getaddrinfo = socket.socket.connect, socket.socket.connect_ex, socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> Any:
        _check(address)
        return real_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> Any:
        _check(address)
        return real_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not is_local(host.decode() if isinstance(host, bytes) else host):
            raise NetworkBlocked(f"test tried to resolve {host!r}; only 127.0.0.1/localhost/::1 are allowed")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.fixture(autouse=True)
def isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """Each test starts from the defaults: no MOCKPANEL_* from the shell, no .env, a temp DB."""
    from simulator.core.settings import reset_settings

    for name in list(os.environ):
        if name.startswith("MOCKPANEL_"):
            monkeypatch.delenv(name)
    home = tmp_path_factory.mktemp("mockpanel")
    monkeypatch.setenv("MOCKPANEL_DB", str(home / "mockpanel.db"))
    monkeypatch.setenv("MOCKPANEL_ENV_FILE", str(home / "no.env"))
    monkeypatch.setenv("MOCKPANEL_CACHE_DIR", str(home / "cache"))
    reset_settings()
    yield
    reset_settings()


@pytest.fixture(autouse=True)
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Retry backoff never really waits in tests; the pauses asked for are recorded here."""
    from simulator.models import seam as model

    asked: list[float] = []

    async def asleep(seconds: float) -> None:
        asked.append(seconds)

    monkeypatch.setattr(model, "sleep", asked.append)
    monkeypatch.setattr(model, "asleep", asleep)
    return asked


@pytest.fixture
def fake_model() -> Iterator[Callable[..., Any]]:
    """Factory for simulator.testing.recorder.FakeModel; every fake made is unregistered afterwards."""
    from simulator.testing.recorder import FakeModel

    made: list[FakeModel] = []

    def make(*replies: Any, **kwargs: Any) -> FakeModel:
        fake = FakeModel(*replies, **kwargs)
        made.append(fake)
        return fake

    yield make
    for fake in made:
        fake.close()


# Replay only. scripts/record_cassettes sets this to "all" for a recording run (docs/recording.md).
RECORD_MODE = os.environ.get("MOCKPANEL_RECORD_MODE", "none")






def _same_json_body(r1: Any, r2: Any) -> None:
    """Match on what the seam sends (messages, streaming, format), not on litellm's extra fields."""
    import json

    def key(r: Any) -> Any:
        try:
            body = json.loads(r.body or b"{}")
        except ValueError:
            return r.body
        return {k: body.get(k) for k in ("model", "messages", "stream", "response_format", "max_tokens")}

    assert key(r1) == key(r2), "request body differs from the recorded one: re-record (docs/recording.md)"


@pytest.fixture
def cassette() -> Callable[[str], Any]:
    """`with cassette("name"):` replays tests/cassettes/name.yaml, recording off (docs/recording.md)."""
    import vcr

    rec = recorder(RECORD_MODE, _same_json_body, cassette_library_dir=str(CASSETTES),
                   path_transformer=vcr.VCR.ensure_suffix(".yaml"))
    return rec.use_cassette
