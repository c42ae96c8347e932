"""The embedding model as a user meets it: a cold `mockpanel grade`, with and without the cache of
the rubric's vectors on disk, and onnxruntime's thread count for the embedding model.

    python -m benchmarks embedding

- cold grade: a fresh `mockpanel grade t.json --json` process each run (a 6-answer Jordan Lee
  transcript, the semantic engine), alternating an empty cache directory (what every run cost
  before the cache) with one a previous run filled; the median of RUNS each, wall time;
- threads: a fresh process per run that loads the model and embeds SENTENCES new sentences (none
  cached), with MOCKPANEL_THREADS=1 and =2 alternating, RUNS pairs; sentences per second, median.
  Paired and alternating because the machine is shared: load drifts, pairs see the same load.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5
SENTENCES = 96

ANSWERS = [
    "What does developer productivity mean for you in this pilot?",
    "I'd make accepted suggestions per active coding hour the primary metric, with IDE latency as a guardrail.",
    "Since teams share code, I'd randomise by team so the control group stays clean.",
    "With a 5% traffic cap and noisy session lengths we need about four weeks for 80% power.",
    "We could ramp in phases with a pre-registered stopping rule and watch p95 latency.",
    "Before we start, let's agree the decision criteria for shipping with engineering.",
]

EMBED_SNIPPET = """
import sys, time
from simulator.models import embedding
n = int(sys.argv[1])
embedding.embed(["warm up"])
texts = [f"Sentence {k}: the team would randomise by squad {k % 7} and watch metric {k * 13 % 17} closely." for k in range(n)]
t0 = time.perf_counter()
embedding.embed(texts)
print(n / (time.perf_counter() - t0))
"""


def _transcript(path: Path) -> None:
    from simulator.content.library import load_library

    lib = load_library()
    item = next(i for i in lib.items.values()
                if i.kind == "work_simulation" and any(lib.personas[p].name == "Jordan Lee" for p in i.personas))
    persona = next(p for p in item.personas if lib.personas[p].name == "Jordan Lee")
    turns = []
    for n, answer in enumerate(ANSWERS):
        turns.append({"speaker": persona, "text": f"Question {n}: what would you do next, and why?"})
        turns.append({"speaker": "candidate", "text": answer})
    path.write_text(json.dumps({"item": item.id, "variant": None, "turns": turns, "metadata": {}}), encoding="utf-8")


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKPANEL_")}
    env.update(LITELLM_LOCAL_MODEL_COST_MAP="True", **extra)
    return env


def _grade_once(transcript: Path, cache_dir: Path, root: Path) -> float:
    env = _env(MOCKPANEL_CACHE_DIR=str(cache_dir), MOCKPANEL_DB=str(root / "bench.db"), MOCKPANEL_ENV_FILE=str(root / "no.env"))
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "simulator.cli.main", "grade", str(transcript), "--json"], cwd=ROOT, env=env,
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


def cold_grade() -> dict[str, list[float]]:
    with tempfile.TemporaryDirectory(prefix="mockpanel-bench-embedding-") as tmp:
        root = Path(tmp)
        transcript = root / "t.json"
        _transcript(transcript)
        filled = root / "filled"
        _grade_once(transcript, filled, root)  # fills the cache (and the OS file cache: both arms see warm files)
        empty_s: list[float] = []
        cached_s: list[float] = []
        for n in range(RUNS):
            empty_s.append(_grade_once(transcript, root / f"empty-{n}", root))
            cached_s.append(_grade_once(transcript, filled, root))
    return {"no cache on disk": empty_s, "cache on disk": cached_s}


def threads() -> dict[str, list[float]]:
    rates: dict[str, list[float]] = {"1": [], "2": []}
    for _ in range(RUNS):
        for t in ("1", "2"):
            out = subprocess.run([sys.executable, "-c", EMBED_SNIPPET, str(SENTENCES)], cwd=ROOT, env=_env(MOCKPANEL_THREADS=t),
                                 check=True, capture_output=True, text=True)
            rates[t].append(float(out.stdout.strip().splitlines()[-1]))
    return rates


def main() -> None:
    load = os.getloadavg()[0]
    grades = cold_grade()
    print(f"cold `mockpanel grade` (6 answers, semantic engine), median of {RUNS}, load average {load:.1f} on {os.cpu_count()} cores:")
    for name, values in grades.items():
        print(f"  {name:18s} {statistics.median(values):5.2f} s  (min {min(values):.2f}, max {max(values):.2f})")
    rates = threads()
    print(f"embedding {SENTENCES} new sentences, fresh process each, {RUNS} alternating pairs (load average now {os.getloadavg()[0]:.1f}):")
    for t, values in rates.items():
        print(f"  MOCKPANEL_THREADS={t}: median {statistics.median(values):6.1f} sentences/s  (min {min(values):.1f}, max {max(values):.1f})")
    wins = sum(a > b for a, b in zip(rates["2"], rates["1"]))
    print(f"  2 threads faster in {wins} of {RUNS} pairs")


if __name__ == "__main__":
    main()
