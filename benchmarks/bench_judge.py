"""The offline engines' speed: grading a 20-turn transcript (10 candidate answers) with cold
caches each run, p50/p90 over repeats, for 1 and 2 onnxruntime threads; the first grade in a
process (model load included); and the judge's raw pairs per second. Prints figures; asserts nothing.

    .venv/bin/python -m benchmarks.bench_judge [ENGINE ...]    # default: trained blend semantic
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REPEATS = 9


def twenty_turns() -> dict:
    """A 20-turn work-simulation transcript from the dev set's candidate lines (never the blind split)."""
    rows = [json.loads(line) for line in (ROOT / "evals" / "data" / "dev.jsonl").read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = [t["text"] for r in rows if r["transcript"]["item"] == "ds2-work-sim-ab-test-ai-recs"
             for t in r["transcript"]["turns"] if t["speaker"] == "candidate" and len(t["text"]) > 60]
    turns = []
    for k in range(10):
        turns += [{"speaker": "jordan-lee", "text": "Okay. What else would you want to know before we start?"},
                  {"speaker": "candidate", "text": lines[k % len(lines)]}]
    return {"item": "ds2-work-sim-ab-test-ai-recs", "variant": None, "turns": turns}


CHILD = r"""
import json, sys, time, statistics
from simulator.content.library import load_library
from simulator.core.transcript import Transcript
from simulator.grading.grader import grade
from simulator.models import crossencoder, embedding
lib = load_library()
t = Transcript.model_validate(json.loads(sys.argv[1]))
engine = sys.argv[3]
item = lib.items[t.item]
def cold():
    crossencoder._get().cache.clear()
    embedding.clear_cache()
cold()
t0 = time.perf_counter(); grade(t, item, engine=engine, library=lib); first = time.perf_counter() - t0
times = []
for _ in range(int(sys.argv[2])):
    cold()
    t0 = time.perf_counter(); grade(t, item, engine=engine, library=lib); times.append(time.perf_counter() - t0)
times.sort()
pairs = [crossencoder.pair_text("Tracks usage metrics post-launch", "How did you know it worked?", f"After launch I counted weekly viewers of each tab, week {i}.") for i in range(256)]
crossencoder._get().cache.clear()
t0 = time.perf_counter(); crossencoder.score(pairs); rate = len(pairs) / (time.perf_counter() - t0)
print(json.dumps({"first": first, "p50": statistics.median(times), "p90": times[int(0.9 * (len(times) - 1))], "pairs_per_s": rate}))
"""


def main(argv: list[str] | None = None) -> None:
    engines = (argv if argv is not None else sys.argv[1:]) or ["trained", "blend", "semantic"]
    t = json.dumps(twenty_turns())
    for engine in engines:
        for threads in ("1", "2"):
            env = {**os.environ, "MOCKPANEL_THREADS": threads}
            out = subprocess.run([sys.executable, "-c", CHILD, t, str(REPEATS), engine], capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
            if out.returncode != 0:
                print(f"{engine}, threads={threads}: failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            print(f"{engine}, 20-turn transcript, {threads} thread(s): p50 {r['p50']:.3f}s, p90 {r['p90']:.3f}s over {REPEATS} cold-cache runs; "
                  f"first grade in a process (model load included) {r['first']:.2f}s; judge {r['pairs_per_s']:.0f} pairs/s")


if __name__ == "__main__":
    main()
