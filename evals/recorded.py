"""Recorded sessions: a whole practice session and its grade, with the model traffic that produced
them, replayed with no network.

Each session is a directory under `evals/data/recorded/`:

    meta.json       what was played: item, variant, seed, the candidate's lines, the models and the
                    server settings, optional gold labels (then the replay also scores the llm engine)
    session.json    the transcript as it was recorded (interchange format, `reproducible` form)
    grade.json      the llm engine's grade of it, as recorded
    cassette.yaml   vcrpy cassette of every HTTP call: the persona/interviewer replies and the
                    grader's calls, secrets scrubbed

Replaying runs the same session (real director, real voice, real seam, real grader) with vcrpy in
`record_mode="none"`: every model call is answered from the cassette and a call that is not in it
fails. A replay passes when the transcript and the grade come out the same and every recorded call
was used. Requests are matched on what the seam sends (model, messages, format), with the llm
grader's per-call random nonce (`<transcript-…>` delimiters) normalised, since it differs by design
on every run.

Recording needs an OpenAI-compatible server on 127.0.0.1 (see evals/data/recorded/README.md):

    .venv/bin/python -m evals.recorded record NAME --item ID --lines lines.json \\
        --model openai/smollm2 --api-base http://127.0.0.1:8775/v1
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.core.errors import InputError, UserError
from simulator.testing.recorder import recorder as testing_recorder
from simulator.testing.recorder import scrub_request

RECORDED_DIR = Path(__file__).resolve().parent / "data" / "recorded"
META, SESSION, GRADE, CASSETTE = "meta.json", "session.json", "grade.json", "cassette.yaml"
_NONCE = re.compile(r"transcript-[0-9a-f]{8,64}")


class Meta(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")
    item: str
    variant: str | None = None
    seed: int = 0
    lines: list[str] = Field(min_length=1)
    model: str = Field(description="MOCKPANEL_MODEL while recording: every purpose used it.")
    api_base: str
    response_format: str = "json_object"
    context_window: int | None = 4096
    engine: str = "llm"
    recorded_at: str = ""
    source: str = Field("", description="What answered: server and model weights.")
    gold: dict[str, Any] | None = None
    family: str | None = None
    level: str | None = None
    note: str = ""

    def env(self) -> dict[str, str]:
        env = {
            "MOCKPANEL_MODEL": self.model,
            "MOCKPANEL_API_BASE": self.api_base,
            "MOCKPANEL_RESPONSE_FORMAT": self.response_format,
            "MOCKPANEL_MAX_RETRIES": "0",
        }
        if self.context_window:
            env["MOCKPANEL_CONTEXT_WINDOW"] = str(self.context_window)
        return env


# --- environment and cassette ------------------------------------------------------------------


@contextlib.contextmanager
def environment(values: dict[str, str]) -> Iterator[None]:
    """The settings a session was recorded with, for the duration; MOCKPANEL_* outside it are hidden."""
    from simulator.core.settings import reset_settings

    saved = {k: v for k, v in os.environ.items() if k.startswith("MOCKPANEL_") and k not in ("MOCKPANEL_DB", "MOCKPANEL_ENV_FILE")}
    for k in saved:
        del os.environ[k]
    os.environ.update(values)
    reset_settings()
    try:
        yield
    finally:
        for k in values:
            os.environ.pop(k, None)
        os.environ.update(saved)
        reset_settings()


def _body_key(request: Any) -> Any:
    try:
        body = json.loads(request.body or b"{}")
    except ValueError:
        return request.body
    key = {k: body.get(k) for k in ("model", "messages", "stream", "response_format", "max_tokens")}
    return json.loads(_NONCE.sub("transcript-NONCE", json.dumps(key, sort_keys=True)))


def _same_call(r1: Any, r2: Any) -> None:
    assert _body_key(r1) == _body_key(r2), "request differs from the recorded one"






def cassette(path: Path, mode: str, only: str | None = None) -> Any:
    """vcrpy with the product's matching; `only` (a base URL) keeps just the requests the product
    sent there (the recording proxy's own forwarding runs in the same process and is not kept)."""
    from urllib.parse import urlsplit

    keep = urlsplit(only).netloc if only else None

    def before(request: Any) -> Any:
        if keep and urlsplit(request.uri).netloc != keep:
            return None
        return scrub_request(request)

    recorder = testing_recorder(mode, _same_call, before_record_request=before)
    return recorder.use_cassette(str(path))


# --- playing -----------------------------------------------------------------------------------


def play(meta: Meta, lib: Any) -> tuple[Any, Any, Any, Any]:
    """The session and its grade, under whatever the current settings and cassette are."""
    from simulator.grading.grader import grade
    from simulator.models.ledger import Ledger
    from simulator.practice.session import Session, reproducible
    from simulator.storage import open_store

    session_ledger, grade_ledger = Ledger(), Ledger()
    s = Session.start(meta.item, meta.variant, None, meta.seed, store=open_store(":memory:"), lib=lib,
                      clock="virtual", ledger=session_ledger)
    s.opening()
    for line in meta.lines:
        if s.finished:
            break
        s.respond(line)
    transcript = reproducible(s.transcript())
    g = grade(transcript, lib.item(meta.item), engine=meta.engine, ledger=grade_ledger, library=lib)
    return transcript, g, session_ledger, grade_ledger


def load_meta(directory: Path) -> Meta:
    path = directory / META
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(path, None, None, exc.strerror or str(exc)) from None
    try:
        return Meta.model_validate_json(text)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(path, None, ".".join(str(p) for p in err["loc"]) or None, err["msg"]) from None


def sessions(path: Path) -> list[Path]:
    """A recorded session directory, or a directory of them."""
    if (path / META).exists():
        return [path]
    found = sorted(p for p in path.iterdir() if (p / META).exists()) if path.is_dir() else []
    if not found:
        raise InputError(path, None, None, "no recorded sessions (directories with meta.json) here")
    return found


def _turn_key(t: Any) -> tuple[str, str, str]:
    return (t.speaker, t.channel, t.text)


def replay(directory: Path, lib: Any | None = None) -> dict[str, Any]:
    """Replays one recorded session with no network and says whether it came out the same."""
    from simulator.content.library import load_library
    from simulator.core.transcript import load_transcript

    lib = lib or load_library()
    meta = load_meta(directory)
    recorded = load_transcript(directory / SESSION)
    recorded_grade = json.loads((directory / GRADE).read_text(encoding="utf-8"))
    out: dict[str, Any] = {"name": meta.name, "item": meta.item, "engine": meta.engine, "variant": meta.variant, "family": meta.family,
                           "level": meta.level, "recorded_rating": recorded_grade.get("rating")}
    start = time.perf_counter()
    try:
        with environment(meta.env()), cassette(directory / CASSETTE, "none") as cas:
            transcript, g, s_led, g_led = play(meta, lib)
            out["played"] = cas.play_count
            out["recorded_calls"] = len(cas)
            out["all_played"] = bool(cas.all_played)
    except Exception as exc:  # a mismatch or a call missing from the cassette: report, don't crash the run
        out.update(error=f"{type(exc).__name__}: {str(exc).splitlines()[0][:300] if str(exc) else ''}",
                   transcript_match=False, grade_match=False, all_played=False, latency_s=time.perf_counter() - start)
        return out
    out["latency_s"] = time.perf_counter() - start
    a, b = [_turn_key(t) for t in recorded.turns], [_turn_key(t) for t in transcript.turns]
    out["transcript_match"] = a == b
    if a != b:
        n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
        out["first_difference"] = {"turn": n, "recorded": a[n][2] if n < len(a) else None,
                                   "replayed": b[n][2] if n < len(b) else None}
    replayed = {i.id: i.present for i in g.indicators}
    before = {i["id"]: i["present"] for i in recorded_grade.get("indicators", [])}
    out["grade_match"] = g.rating == recorded_grade.get("rating") and replayed == before and list(g.flags) == list(recorded_grade.get("flags", []))
    out.update(rating=g.rating, indicators=replayed, flags=list(g.flags),
               evidence={i.id: [e.quote for e in i.evidence] for i in g.indicators},
               session_calls=s_led.totals(), grade_calls=g_led.totals(), turns=len(transcript.turns))
    out["_transcript"] = transcript
    return out


def reproduced(r: dict[str, Any]) -> bool:
    """Same transcript, every recorded call used, and, where the grade came from recorded calls
    (the llm engine), the same grade. A semantic grade is computed offline from the current
    thresholds, so its change is reported (`grade_match`) but is the grader's news, not the replay's."""
    ok = bool(r.get("transcript_match") and r.get("all_played") and not r.get("error"))
    return ok and (bool(r.get("grade_match")) if r.get("engine") == "llm" else True)


def run_recorded(path: str | Path, *, concurrency: int = 1, progress: bool = False, lib: Any | None = None) -> dict[str, Any]:
    """Replays every recorded session (one at a time: the settings are process-wide) and, where a
    session carries gold labels, scores the replayed grades like any dataset."""
    from evals.runner import Attempt, Row, _Progress, compute_metrics, row_prediction
    from simulator.content.library import load_library

    lib = lib or load_library()
    dirs = sessions(Path(path))
    bar = _Progress(len(dirs), "replaying") if progress else None
    results = []
    try:
        for d in dirs:
            results.append(replay(d, lib))
            if bar:
                bar.advance()
    finally:
        if bar:
            bar.close()
    predictions, transcripts = [], {}
    for d, r in zip(dirs, results):
        meta = load_meta(d)
        transcript = r.pop("_transcript", None)
        if meta.gold is None or transcript is None:
            continue
        row = Row.model_validate({"id": meta.name, "transcript": json.loads(transcript.model_dump_json()),
                                  "gold": meta.gold, "family": meta.family, "level": meta.level})
        cost = (r["grade_calls"] or {}).get("cost")
        attempt = Attempt(r["rating"], {k: bool(v) for k, v in r["indicators"].items()}, r["evidence"], r["flags"],
                          r["latency_s"], cost, (r["grade_calls"] or {}).get("total_tokens"), (r["grade_calls"] or {}).get("calls"))
        predictions.append(row_prediction(row, lib.items.get(meta.item), [attempt]))
        transcripts[meta.name] = transcript
    for r in results:
        r.pop("_transcript", None)
    n = len(results)
    metrics: dict[str, Any] = {
        "sessions": n,
        "transcripts_reproduced": sum(1 for r in results if r.get("transcript_match")),
        "grades_reproduced": sum(1 for r in results if r.get("grade_match")),
        "all_calls_played": sum(1 for r in results if r.get("all_played")),
        "errors": sum(1 for r in results if r.get("error")),
    }
    metrics["reproduced_rate"] = (sum(1 for r in results if reproduced(r)) / n) if n else 0.0
    if predictions:
        metrics["grader"] = compute_metrics(predictions, transcripts, bootstrap=200)
    return {
        "kind": "recorded",
        "dataset": str(path),
        "engine": "as recorded (see each session)",
        "repeats": 1,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "metrics": metrics,
        "sessions": results,
        "predictions": predictions,
    }


# --- recording ---------------------------------------------------------------------------------


def _all_required(schema: Any) -> Any:
    if isinstance(schema, dict):
        out = {k: _all_required(v) for k, v in schema.items()}
        if out.get("type") == "object" and isinstance(out.get("properties"), dict):
            out["required"] = list(out["properties"])
        return out
    if isinstance(schema, list):
        return [_all_required(v) for v in schema]
    return schema


def cap_proxy(port: int, upstream: str, chat_tokens: int, structured_tokens: int) -> Any:
    """A pass-through to a local OpenAI-compatible server that caps `max_tokens`, because a small
    model left uncapped can ramble to the end of its context (minutes per reply on two cores). It
    sits behind the client, so the cassette holds exactly what the product sent; the cap shows only
    in the replies' length (and `meta.source` says so). 127.0.0.1 only."""
    import threading
    import urllib.error
    import urllib.request
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    if not re.match(r"^https?://(127\.0\.0\.1|localhost)(:\d+)?/?", upstream):
        raise UserError("the recording proxy forwards only to a server on 127.0.0.1")

    root = upstream.rstrip("/").removesuffix("/v1")  # the client's path (/v1/...) is forwarded as is

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self._forward(None)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            try:
                data = json.loads(body or b"{}")
                cap = structured_tokens if data.get("response_format") else chat_tokens
                data["max_tokens"] = min(int(data.get("max_tokens") or cap), cap)
                fmt = data.get("response_format")
                if isinstance(fmt, dict) and fmt.get("type") in ("json_schema", "json_object"):
                    schema = fmt.get("schema") or (fmt.get("json_schema") or {}).get("schema")
                    if schema:  # llama.cpp's grammar: every field required, so the reply parses
                        data["response_format"] = {"type": "json_object", "schema": _all_required(schema)}
                body = json.dumps(data).encode()
            except ValueError:
                pass
            self._forward(body, capped_chat=not (json.loads(body or b"{}").get("response_format")) if body else False)

        def _forward(self, body: bytes | None, capped_chat: bool = False) -> None:
            req = urllib.request.Request(root + self.path, data=body, method=self.command,
                                         headers={"content-type": self.headers.get("content-type", "application/json")})
            try:
                with urllib.request.urlopen(req, timeout=900) as r:
                    status, payload, ctype = r.status, r.read(), r.headers.get("content-type", "application/json")
            except urllib.error.HTTPError as exc:
                status, payload, ctype = exc.code, exc.read(), exc.headers.get("content-type", "application/json")
            if capped_chat and status == 200:
                try:  # a chat reply cut by the cap ends there, as if the model had stopped
                    doc = json.loads(payload)
                    for choice in doc.get("choices", []):
                        if choice.get("finish_reason") == "length":
                            choice["finish_reason"] = "stop"
                    payload = json.dumps(doc).encode()
                except ValueError:
                    pass
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def record(meta: Meta, out_root: Path = RECORDED_DIR, lib: Any | None = None, timeout: float = 600.0) -> Path:
    """Plays the session against the live server named in `meta`, writing the four files (a small
    model on two cores answers slowly: the timeout only applies while recording)."""
    from simulator.content.library import load_library

    lib = lib or load_library()
    directory = out_root / meta.name
    directory.mkdir(parents=True, exist_ok=True)
    for name in (CASSETTE, SESSION, GRADE):
        (directory / name).unlink(missing_ok=True)
    meta.recorded_at = meta.recorded_at or datetime.now(UTC).isoformat(timespec="seconds")
    with environment({**meta.env(), "MOCKPANEL_TIMEOUT": str(timeout)}), cassette(directory / CASSETTE, "all", only=meta.api_base):
        transcript, g, _, _ = play(meta, lib)
    (directory / SESSION).write_text(transcript.to_json() + "\n", encoding="utf-8")
    (directory / GRADE).write_text(g.model_dump_json(indent=2) + "\n", encoding="utf-8")
    (directory / META).write_text(meta.model_dump_json(indent=2) + "\n", encoding="utf-8")
    return directory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals.recorded", description="record or replay recorded sessions")
    sub = parser.add_subparsers(dest="cmd", required=True)
    rec = sub.add_parser("record", help="record one session against a server on 127.0.0.1")
    rec.add_argument("name")
    rec.add_argument("--item", required=True)
    rec.add_argument("--lines", required=True, help="JSON array of the candidate's lines")
    rec.add_argument("--variant", default=None)
    rec.add_argument("--seed", type=int, default=0)
    rec.add_argument("--model", required=True, help="e.g. openai/smollm2")
    rec.add_argument("--api-base", required=True, help="e.g. http://127.0.0.1:8775/v1")
    rec.add_argument("--response-format", default="json_object")
    rec.add_argument("--context-window", type=int, default=4096)
    rec.add_argument("--source", default="", help="what answered (server, weights), for the record")
    rec.add_argument("--gold", default=None, help="JSON file: {indicators, rating[, family, level, note]}")
    rec.add_argument("--out", default=str(RECORDED_DIR))
    rec.add_argument("--upstream", default=None, help="put a max_tokens-capping proxy on --api-base's port in front of this server")
    rec.add_argument("--cap-chat", type=int, default=120)
    rec.add_argument("--engine", default="llm", choices=["llm", "semantic"], help="the grader engine to record")
    rec.add_argument("--cap-structured", type=int, default=700)
    rep = sub.add_parser("replay", help="replay recorded sessions with no network")
    rep.add_argument("path", nargs="?", default=str(RECORDED_DIR))
    args = parser.parse_args(argv)
    try:
        if args.cmd == "record":
            if not re.match(r"^https?://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?/", args.api_base):
                raise UserError("record only against a server on this machine (127.0.0.1); never a hosted provider")
            from simulator.practice.session import read_script

            gold = json.loads(Path(args.gold).read_text(encoding="utf-8")) if args.gold else None
            meta = Meta(name=args.name, item=args.item, variant=args.variant, seed=args.seed, lines=read_script(args.lines),
                        model=args.model, api_base=args.api_base, response_format=args.response_format,
                        context_window=args.context_window, source=args.source, engine=args.engine,
                        gold={"indicators": gold["indicators"], "rating": gold["rating"]} if gold else None,
                        family=(gold or {}).get("family"), level=(gold or {}).get("level"), note=(gold or {}).get("note", ""))
            proxy = None
            if args.upstream:
                port = int(re.search(r":(\d+)", args.api_base.split("//", 1)[1]).group(1))  # type: ignore[union-attr]
                proxy = cap_proxy(port, args.upstream, args.cap_chat, args.cap_structured)
                meta.source += (f" (behind the recording proxy: chat replies capped at {args.cap_chat} tokens and then"
                                f" reported as finished, structured replies at {args.cap_structured})")
            try:
                print(record(meta, Path(args.out)))
            finally:
                if proxy is not None:
                    proxy.shutdown()
            return 0
        res = run_recorded(args.path)
        for s in res["sessions"]:
            note = s.get("error") or ("" if s.get("grade_match") else f"grade now {s.get('rating')} (recorded {s.get('recorded_rating')})")
            print(f"{'ok  ' if reproduced(s) else 'FAIL'} {s['name']}: {note}")
        return 0 if res["metrics"]["reproduced_rate"] == 1.0 else 1
    except UserError as exc:
        print(f"evals.recorded: {exc}", file=sys.stderr)
        return exc.exit_code


if __name__ == "__main__":
    sys.exit(main())
