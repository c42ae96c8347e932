"""The model seam's costs: start-up, and what simulator.models.seam adds to each litellm call.

    python -m benchmarks seam        (or python -m benchmarks.bench_seam)

Figures (targets from issue 3):
- wall time of `python -c "import simulator"` and `mockpanel --help` (target < 0.3 s), and of
  `import simulator.models.seam` (litellm must not be imported with it) vs `import litellm` (paid once,
  on the first model call);
- per-call time of `simulator.models.seam.chat(..., mock_response=...)` against a raw
  `litellm.completion(mock_response=...)` (target: within 10%), interleaved rounds, median;
- per-call time of the embedded `local/scripted` voice and of a FakeModel call (retry path idle).
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

MESSAGES = [
    {"role": "system", "content": "You are a concise technical interviewer."},
    {"role": "user", "content": "Tell me about a time you had to debug a production outage."},
]


def wall(cmd: list[str], runs: int = 7) -> tuple[float, float]:
    """(min, median) seconds over `runs` fresh processes, after one warm-up run."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "0"}
    subprocess.run(cmd, capture_output=True, cwd=ROOT, env=env, check=False)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run(cmd, capture_output=True, cwd=ROOT, env=env, check=False)
        times.append(time.perf_counter() - t)
    return min(times), statistics.median(times)


def startup() -> None:
    py = sys.executable
    mockpanel = shutil.which("mockpanel", path=str(Path(py).parent)) or ""
    rows: list[tuple[str, list[str], int]] = [
        ("python -c pass (interpreter floor)", [py, "-c", "pass"], 7),
        ("import simulator", [py, "-c", "import simulator"], 7),
        ("mockpanel --help", [mockpanel, "--help"] if mockpanel else [py, "-c", "from simulator.cli.main import main; main(['--help'])"], 7),
        ("import simulator.models.seam, .scripted, .tokens, .testing", [py, "-c", "import simulator.models.seam, simulator.models.scripted, simulator.models.tokens, simulator.testing.recorder"], 7),
        ("import simulator.core.settings (pydantic-settings)", [py, "-c", "import simulator.core.settings"], 7),
        ("import litellm (paid on the first model call)", [py, "-c", "import os; os.environ['LITELLM_LOCAL_MODEL_COST_MAP']='True'; import litellm"], 3),
    ]
    for label, cmd, runs in rows:
        lo, med = wall(cmd, runs)
        print(f"  {label:<55} min {lo * 1000:7.0f} ms   median {med * 1000:7.0f} ms")


def per_call(fn: Callable[[], object], n: int) -> float:
    t = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - t) / n


def overhead(rounds: int = 8, n: int = 150) -> None:
    from simulator.models import seam as model
    from simulator.models.ledger import Ledger

    litellm = model.litellm_module()
    ledger = Ledger()

    def raw() -> object:
        return litellm.completion(model="openai/gpt-4o-mini", messages=MESSAGES, mock_response="Fine, go on.")

    def seam() -> object:
        return model.chat(MESSAGES, model="openai/gpt-4o-mini", mock_response="Fine, go on.", ledger=ledger)

    for fn in (raw, seam):  # warm-up: imports, cost map, first-call setup
        per_call(fn, 50)
    raw_t, seam_t = [], []
    for i in range(rounds):  # ABBA order, so drift in litellm's own speed hits both alike
        pair = [(raw, raw_t), (seam, seam_t)]
        for fn, out in pair if i % 2 == 0 else reversed(pair):
            out.append(per_call(fn, n))
    r, s = statistics.median(raw_t), statistics.median(seam_t)
    print(f"  raw litellm.completion(mock_response)   {r * 1e6:8.0f} us/call  (median of {rounds} rounds x {n})")
    print(f"  simulator.models.seam.chat(mock_response)     {s * 1e6:8.0f} us/call")
    print(f"  difference                              {(s - r) * 1e6:+8.0f} us/call = {100 * (s - r) / r:+.1f}%  (target within +10%; noisy at this size)")

    # The seam's own time, measured directly: total chat() time minus time inside litellm.completion.
    inner = [0.0]
    real_completion = litellm.completion

    def timed(*args: object, **kwargs: object) -> object:
        t = time.perf_counter()
        try:
            return real_completion(*args, **kwargs)
        finally:
            inner[0] += time.perf_counter() - t

    litellm.completion = timed
    try:
        total = per_call(seam, n * 2)
    finally:
        litellm.completion = real_completion
    own = total - inner[0] / (n * 2)
    print(f"  seam's own work per call (outside litellm)  {own * 1e6:6.0f} us = {100 * own / r:.1f}% of a raw call")


def embedded(n: int = 200) -> None:
    from simulator.models import scripted
    from simulator.models import seam as model
    from simulator.testing.recorder import FakeModel

    scripted.renderer("bench")(lambda plan: f"{plan['speaker']}: {plan['line']}")
    msgs = [*MESSAGES, scripted.plan_message({"kind": "bench", "speaker": "Priya", "line": "Walk me through the rollback."})]
    per_call(lambda: model.chat(msgs, model="local/scripted"), 20)
    t = per_call(lambda: model.chat(msgs, model="local/scripted"), n)
    print(f"  local/scripted chat (plan -> renderer -> litellm -> Reply)  {t * 1e6:8.0f} us/call")
    fake = FakeModel(name="bench", default="Sure.")
    per_call(lambda: model.chat(MESSAGES, model=fake.model), 20)
    t = per_call(lambda: model.chat(MESSAGES, model=fake.model), n)
    print(f"  fake/bench chat (FakeModel, no latency)                     {t * 1e6:8.0f} us/call")
    fake.close()


def main() -> None:
    print("start-up (fresh processes):")
    startup()
    print("per-call cost, in process:")
    overhead()
    embedded()


if __name__ == "__main__":
    main()
