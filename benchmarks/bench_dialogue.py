"""Dialogue loop speed and memory: a 40-turn Jordan Lee session with the scripted voice.

Per turn: the director's plan (with semantic intent detection), the voice through the model seam
(litellm's `local/scripted` provider), the reply check, and the SQLite writes. Model loading
(litellm import, the embedding model) is excluded by a warm-up session. Targets on 2 cores:
p50 < 30 ms, p99 < 100 ms.
"""

from __future__ import annotations

import os
import resource
import statistics
import tempfile
import time
import tracemalloc
from pathlib import Path

TURNS = 40
PROBES = [
    "Hi Jordan, thanks. Before we pick anything, what does success look like for you?",
    "What percentage of developers could we put into the pilot?",
    "I'd like to improve productivity overall.",
    "How long were you hoping the test would run?",
    "Does engineering have concerns about latency from the model calls?",
    "What metric should we use?",
    "We'll roll it out to half of all developers next week.",
    "How much do session lengths vary from developer to developer?",
    "Let me think about the unit of randomisation for a second.",
    "Could suggestions spread between teams who share code?",
]


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
    from simulator.practice.session import Session
    from simulator.storage.sqlite import Store

    lib = load_library()
    item_id = _item_for(lib, persona)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "bench.db")  # one database, as in the app: its WAL file exists after warm-up
        warm = Session.start(item_id, store=store, lib=lib, clock="wall")
        warm.opening()
        warm.respond("What percentage of developers could we put into the pilot? (warm-up)")

        # Timing run (no tracemalloc: it slows Python down several times).
        s = Session.start(item_id, store=store, lib=lib, clock="wall", seed=1)
        s.opening()
        times: list[float] = []
        cpu: list[float] = []
        for n in range(turns):
            if s.finished:
                break
            text = f"{PROBES[n % len(PROBES)]} (turn {n})"
            t0, c0 = time.perf_counter(), time.process_time()
            s.respond(text)
            times.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
        # Memory run: what a running session holds (transcript, director state, caches it adds).
        tracemalloc.start()
        base, _ = tracemalloc.get_traced_memory()
        m = Session.start(item_id, store=store, lib=lib, clock="wall", seed=2)
        m.opening()
        for n in range(turns):
            if m.finished:
                break
            m.respond(f"{PROBES[n % len(PROBES)]} (memory run {n})")
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        return {
            "turns": float(len(times)),
            "p50_ms": statistics.median(times) * 1000,
            "p99_ms": _percentile(times, 0.99) * 1000,
            "max_ms": max(times) * 1000,
            "mean_ms": statistics.fmean(times) * 1000,
            "cpu_p50_ms": statistics.median(cpu) * 1000,
            "cpu_p99_ms": _percentile(cpu, 0.99) * 1000,
            "load": os.getloadavg()[0],
            "session_mem_kb": (current - base) / 1024,
            "session_peak_kb": (peak - base) / 1024,
            "process_rss_mb": rss_mb,
            "turns_saved": float(len(s.transcript().turns)),
        }


def main() -> None:
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    r = run()
    print(f"dialogue: {int(r['turns'])} candidate turns with Jordan Lee (director + scripted voice + check + sqlite)")
    print(f"  per turn: p50 {r['p50_ms']:.1f} ms, p99 {r['p99_ms']:.1f} ms, max {r['max_ms']:.1f} ms, mean {r['mean_ms']:.1f} ms"
          f"  (targets: p50 < 30 ms, p99 < 100 ms)")
    print(f"  per turn CPU time: p50 {r['cpu_p50_ms']:.1f} ms, p99 {r['cpu_p99_ms']:.1f} ms"
          f"  (load average {r['load']:.1f} on {os.cpu_count()} cores while measuring)")
    print(f"  memory: session {r['session_mem_kb']:.0f} KiB held, {r['session_peak_kb']:.0f} KiB peak (tracemalloc);"
          f" process max RSS {r['process_rss_mb']:.0f} MiB (includes litellm and the embedding model)")
    print(f"  turns saved: {int(r['turns_saved'])}")


if __name__ == "__main__":
    main()
