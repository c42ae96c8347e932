"""Dialogue loop speed and memory: 300+ candidate turns with Jordan Lee and the scripted voice.

Per turn: the director's plan (with semantic intent detection), the voice through the model seam
(litellm's `local/scripted` provider), the reply check, and the SQLite writes. Every candidate
sentence is new (templates x slots, none repeated, none seen in the warm-up), so the embedding
cache cannot answer for the model; the figure also says how many sentences the embedding model
really encoded. A session that ends is followed by a new one. Model loading (litellm import, the
embedding model) is excluded by a warm-up session. Targets on 2 cores: p50 < 30 ms, p99 < 100 ms.
"""

from __future__ import annotations

import itertools
import os
import random
import resource
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

TURNS = 320
MEMORY_TURNS = 40
FIRST_REPLIES = 20  # new sessions whose first reply is timed on its own (a session's first reply builds what it reads with)
TEMPLATES = [
    "What does {metric} mean for the {team} team in this pilot?",
    "Could we use {metric} as the primary metric for {team}?",
    "How much traffic could the {team} team give us over {weeks}?",
    "Would {metric} move if we randomised by {unit} instead?",
    "Does engineering worry that {metric} hides latency for {team}?",
    "I'd watch {metric} as a guardrail while {team} runs the test for {weeks}.",
    "How noisy is {metric} from one {unit} to the next?",
    "Should the {team} rollout last {weeks} so {metric} settles?",
    "Let me think about {unit} as the unit of randomisation for {team}.",
    "If suggestions spread between {unit}s, does {metric} still mean anything?",
]
SLOTS = {
    "metric": ["acceptance rate", "time to merge", "review latency", "build failures", "weekly active use", "session length"],
    "team": ["payments", "search", "mobile", "platform", "data", "growth"],
    "weeks": ["two weeks", "a month", "six weeks"],
    "unit": ["developer", "team", "repository"],
}


def sentences(n: int, seed: int = 0) -> list[str]:
    """`n` distinct candidate sentences: every template filled with every combination of its slots,
    shuffled; never two the same."""
    import string

    out: list[str] = []
    for template in TEMPLATES:
        names = [f for _, f, _, _ in string.Formatter().parse(template) if f]
        for values in itertools.product(*(SLOTS[name] for name in names)):
            out.append(template.format(**dict(zip(names, values))))
    out = list(dict.fromkeys(out))
    if len(out) < n:
        raise SystemExit(f"only {len(out)} distinct sentences for {n} turns: add templates or slots")
    random.Random(seed).shuffle(out)
    return out[:n]


def _item_for(lib: object, persona: str) -> str:
    for item in lib.items.values():  # type: ignore[attr-defined]
        if persona in item.personas:
            return str(item.id)
    raise SystemExit(f"no item is played by {persona!r}; is the content installed?")


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def run(turns: int = TURNS, persona: str = "jordan-lee") -> dict[str, float]:
    from simulator.content.library import load_library
    from simulator.models import embedding
    from simulator.practice.session import Session
    from simulator.storage.sqlite import Store

    lib = load_library()
    item_id = _item_for(lib, persona)
    lines = sentences(turns + MEMORY_TURNS + FIRST_REPLIES + 1)
    warm_line, timed = lines[0], lines[1 : turns + 1]
    memory_lines, first_lines = lines[turns + 1 : turns + 1 + MEMORY_TURNS], lines[turns + 1 + MEMORY_TURNS :]
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")  # one database, as in the app: its WAL file exists after warm-up
        warm = Session.start(item_id, store=store, lib=lib, clock="wall")
        warm.opening()
        warm.respond(warm_line)

        # Timing run (no tracemalloc: it slows Python down several times).
        encoder = embedding._get()
        encoded = [0]
        real_run = encoder._run

        def counting(chunk: list[str]) -> object:
            encoded[0] += len(chunk)
            return real_run(chunk)

        encoder._run = counting  # type: ignore[method-assign]
        times: list[float] = []
        cpu: list[float] = []
        sessions = 0
        saved = 0
        s = None
        try:
            for text in timed:
                if s is None or s.finished:
                    if s is not None:
                        saved += len(s.transcript().turns)
                    s = Session.start(item_id, store=store, lib=lib, clock="wall", seed=1 + sessions)
                    s.opening()
                    sessions += 1
                t0, c0 = time.perf_counter(), time.process_time()
                s.respond(text)
                times.append(time.perf_counter() - t0)
                cpu.append(time.process_time() - c0)
        finally:
            encoder._run = real_run  # type: ignore[method-assign]
        assert s is not None
        saved += len(s.transcript().turns)
        firsts: list[float] = []
        for i, text in enumerate(first_lines):
            f = Session.start(item_id, store=store, lib=lib, clock="wall", seed=2000 + i)
            f.opening()
            t0 = time.perf_counter()
            f.respond(text)
            firsts.append(time.perf_counter() - t0)
        # Memory run: what a running session holds (transcript, director state, caches it adds).
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        m = Session.start(item_id, store=store, lib=lib, clock="wall", seed=1000)
        m.opening()
        for text in memory_lines:
            if m.finished:
                break
            m.respond(text)
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {
            "turns": float(len(times)),
            "distinct": float(len(set(timed))),
            "sessions": float(sessions),
            "encoded": float(encoded[0]),
            "p50_ms": statistics.median(times) * 1000,
            "p95_ms": _percentile(times, 0.95) * 1000,
            "p99_ms": _percentile(times, 0.99) * 1000,
            "max_ms": max(times) * 1000,
            "mean_ms": statistics.fmean(times) * 1000,
            "cpu_p50_ms": statistics.median(cpu) * 1000,
            "cpu_p95_ms": _percentile(cpu, 0.95) * 1000,
            "cpu_p99_ms": _percentile(cpu, 0.99) * 1000,
            "first_p50_ms": statistics.median(firsts) * 1000,
            "first_max_ms": max(firsts) * 1000,
            "load": os.getloadavg()[0],
            "session_mem_kb": (current - base) / 1024,
            "session_peak_kb": (peak - base) / 1024,
            "process_rss_mb": rss_mb,
            "turns_saved": float(saved),
        }


def main() -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    r = run()
    n = int(r["turns"])
    print(f"dialogue: {n} candidate turns with Jordan Lee over {int(r['sessions'])} session(s) (director + scripted voice + check + sqlite)")
    print(f"  {int(r['distinct'])} distinct sentences, none repeated; the embedding model encoded {int(r['encoded'])} texts meanwhile"
          " (sentences and their cues not already cached)")
    print(f"  per turn, {n} samples: p50 {r['p50_ms']:.1f} ms, p95 {r['p95_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, "
          f"max {r['max_ms']:.1f} ms, mean {r['mean_ms']:.1f} ms  (targets: p50 < 30 ms, p99 < 100 ms)")
    print(f"  per turn CPU time: p50 {r['cpu_p50_ms']:.1f} ms, p95 {r['cpu_p95_ms']:.1f} ms, p99 {r['cpu_p99_ms']:.1f} ms"
          f"  (load average {r['load']:.1f} on {os.cpu_count()} cores while measuring)")
    print(f"  first reply of a new session, {FIRST_REPLIES} sessions: p50 {r['first_p50_ms']:.1f} ms, max {r['first_max_ms']:.1f} ms")
    print(f"  memory ({MEMORY_TURNS}-turn session): {r['session_mem_kb']:.0f} KiB held, {r['session_peak_kb']:.0f} KiB peak (tracemalloc);"
          f" process max RSS {r['process_rss_mb']:.0f} MiB (includes litellm and the embedding model)")
    print(f"  turns saved: {int(r['turns_saved'])}")


if __name__ == "__main__":
    main()
