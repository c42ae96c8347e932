"""A tiny OpenAI-compatible chat server (stdlib only) for recording the cassettes a real model
cannot be made to produce on demand: a malformed JSON reply, a 500 before a good answer.

Behaviour is chosen by a marker in the request's messages:
- `[stub:malformed]` : the first answer is broken JSON; once the seam's repair re-ask arrives
  ("Your reply could not be used"), a valid object for the requested schema;
- `[stub:flaky]`     : the first request for that conversation gets HTTP 500, the next succeeds;
- otherwise          : a short deterministic reply (or a schema-valid object when a JSON schema
  is asked for, via response_format or the seam's prompt instruction). `stream: true` is served
  as server-sent events, with a usage chunk when `stream_options.include_usage` is set.

Listens on 127.0.0.1 only. Run alone: `python scripts/record_cassettes_stub.py 8766`.
"""

from __future__ import annotations

import json
import re
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

REPAIR_MARK = "Your reply could not be used"


def instance(schema: dict[str, Any], defs: dict[str, Any] | None = None) -> Any:
    """A small value valid for a simple JSON schema (objects, strings, numbers, enums, arrays)."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return instance(defs[schema["$ref"].rsplit("/", 1)[-1]], defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "anyOf" in schema:
        return instance(schema["anyOf"][0], defs)
    kind = schema.get("type", "object")
    if kind == "object":
        props = schema.get("properties", {})
        return {k: instance(v, defs) for k, v in props.items() if k in schema.get("required", props)}
    if kind == "array":
        return [instance(schema.get("items", {"type": "string"}), defs)] * int(schema.get("minItems", 0) or 0)
    if kind == "integer":
        return int(schema.get("minimum", 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    return "stub"


def requested_schema(body: dict[str, Any]) -> dict[str, Any] | None:
    fmt = body.get("response_format") or {}
    if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
        return fmt.get("json_schema", {}).get("schema")
    for m in body.get("messages", []):
        content = m.get("content")
        if isinstance(content, str) and "JSON Schema:" in content:
            found = re.search(r"JSON Schema:\n(\{.*\})", content, re.DOTALL)
            if found:
                return json.loads(found.group(1))
    return None


class Stub(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, port: int) -> None:
        super().__init__(("127.0.0.1", port), Handler)
        self.seen: dict[str, int] = {}
        self.lock = threading.Lock()
        self.counter = 0


class Handler(BaseHTTPRequestHandler):
    server: Stub

    def log_message(self, *args: Any) -> None:  # quiet
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/").endswith("/models"):
            self._json(200, {"object": "list", "data": [{"id": "stub", "object": "model", "owned_by": "mockpanel"}]})
        else:
            self._json(404, {"error": {"message": "not found", "type": "invalid_request_error"}})

    def do_POST(self) -> None:
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._json(404, {"error": {"message": f"no route {self.path}", "type": "invalid_request_error"}})
            return
        body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))) or b"{}")
        messages = body.get("messages", [])
        text_all = "\n".join(m.get("content") or "" for m in messages if isinstance(m.get("content"), str))
        with self.server.lock:
            self.server.counter += 1
            n = self.server.counter
            if "[stub:flaky]" in text_all:
                key = messages[-1].get("content", "")
                self.server.seen[key] = self.server.seen.get(key, 0) + 1
                if self.server.seen[key] == 1:
                    self._json(500, {"error": {"message": "simulated overload, try again", "type": "server_error", "code": 500}})
                    return
        schema = requested_schema(body)
        if "[stub:malformed]" in text_all and REPAIR_MARK not in text_all:
            text = '{"score": 3, "reason": "cut short'  # broken JSON, as small models do
        elif schema is not None:
            text = json.dumps(instance(schema))
        else:
            last = next((m.get("content") for m in reversed(messages) if m.get("role") == "user"), "") or ""
            text = f"Stub reply to: {' '.join(str(last).split()[:8])}"
        prompt_tokens = max(1, len(text_all.split()))
        completion_tokens = max(1, len(text.split()))
        usage = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens, "total_tokens": prompt_tokens + completion_tokens}
        cid, model, created = f"chatcmpl-stub-{n}", body.get("model", "stub"), int(time.time())
        if body.get("stream"):
            self._sse(cid, model, created, text, usage if (body.get("stream_options") or {}).get("include_usage") else None)
            return
        self._json(200, {
            "id": cid, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
            "usage": usage,
        })

    def _json(self, status: int, payload: dict[str, Any]) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _sse(self, cid: str, model: str, created: int, text: str, usage: dict[str, int] | None) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("cache-control", "no-cache")
        self.end_headers()

        def send(choices: list[dict[str, Any]], extra: dict[str, Any] | None = None) -> None:
            chunk = {"id": cid, "object": "chat.completion.chunk", "created": created, "model": model, "choices": choices, **(extra or {})}
            self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            self.wfile.flush()

        send([{"index": 0, "delta": {"role": "assistant", "content": ""}, "finish_reason": None}])
        for piece in re.findall(r"\S+\s*", text):
            send([{"index": 0, "delta": {"content": piece}, "finish_reason": None}])
        send([{"index": 0, "delta": {}, "finish_reason": "stop"}])
        if usage:
            send([], {"usage": usage})
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()
        self.close_connection = True


def serve(port: int) -> Stub:
    """Start in a daemon thread; `.shutdown()` to stop."""
    server = Stub(port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


if __name__ == "__main__":
    port = int(sys.argv[1]) if len(sys.argv) > 1 else 8766
    print(f"stub OpenAI-compatible server on http://127.0.0.1:{port}/v1", flush=True)
    Stub(port).serve_forever()
