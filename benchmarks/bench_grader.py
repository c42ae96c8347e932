"""Grader benchmarks: the embedding model, the semantic engine, and the llm engine's plan.

    python -m benchmarks.bench_grader

Figures (targets from issue 5):
- embedding: model load time; sentences/second at batch 1 and batch 32 (cache cleared);
- semantic: time to grade a 20-turn transcript after warm-up (target < 150 ms), cold (new
  sentences) and warm (same transcript again), and transcripts/second;
- llm with a FakeModel of fixed latency L: wall time for one grade (target < 1.3 L, i.e. the calls
  run concurrently) and prompt tokens per grade / (transcript + rubric tokens) (target < 1.3).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

LATENCY_S = 0.4

SENTENCES = [
    "I'd define the primary metric as accepted suggestions per active coding hour.",
    "Since teammates share code, I'd randomise at the team level so the control group stays clean.",
    "With a 5% traffic cap and noisy session lengths we need roughly four weeks to reach 80% power.",
    "We could ramp from 1% to 5% in phases with sequential monitoring and a pre-registered stopping rule.",
    "p95 IDE latency is a guardrail; if it regresses by more than 50 ms we stop the test.",
    "Number of completions would reward low-quality suggestions, so I'd rather not use it as the success metric.",
    "I'd check for novelty effects by looking at the treatment effect by week since exposure.",
    "Before the test, I'd agree with Jordan and engineering on the decision criteria for shipping.",
]


def _item_and_transcript(n_turns: int = 20, salt: str = "") -> tuple[Any, Any]:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from grader_fixtures import ITEM  # the test item: the same shape as the shipped work simulation

    from simulator.core.transcript import Transcript

    turns = []
    for k in range(n_turns // 2):
        turns.append({"speaker": "interviewer" if k % 2 else "jordan-lee", "text": f"Follow-up {k}{salt}: what about the next part of the design, and why?"})
        a, b, c = SENTENCES[k % 8], SENTENCES[(k + 3) % 8], SENTENCES[(k + 5) % 8]
        turns.append({"speaker": "candidate", "text": f"{a} {b} On point {k}{salt}, {c[0].lower()}{c[1:]}"})
    return ITEM, Transcript.model_validate({"item": ITEM.id, "turns": turns})


def bench_embedding() -> dict[str, float]:
    t0 = time.perf_counter()
    from simulator.models import embedding

    embedding.embed(["warm up"])
    load = time.perf_counter() - t0
    texts = [f"{s} ({k})" for k in range(8) for s in SENTENCES]  # 64 distinct sentences
    embedding.clear_cache()
    t0 = time.perf_counter()
    for s in texts:
        embedding.embed([s])
    single = len(texts) / (time.perf_counter() - t0)
    rates: dict[str, float] = {}
    for size in (32,):
        runs = []
        for start in (0, 32):
            embedding.clear_cache()
            chunk = texts[start : start + size]
            t0 = time.perf_counter()
            embedding._get()._run(chunk)  # one padded batch of 32, straight through the model
            runs.append(len(chunk) / (time.perf_counter() - t0))
        rates[f"sentences_per_s_batch{size}"] = round(max(runs), 1)
    embedding.clear_cache()
    t0 = time.perf_counter()
    embedding.embed(texts)  # what callers get: sorted by length, batches of embedding.BATCH
    rates["sentences_per_s_embed_64"] = round(len(texts) / (time.perf_counter() - t0), 1)
    embedding.clear_cache()
    return {"load_s": round(load, 3), "sentences_per_s_batch1": round(single, 1), **rates}


def bench_semantic() -> dict[str, float]:
    from simulator.content.library import Library
    from simulator.grading.grader import grade

    item, t = _item_and_transcript()
    grade(t, item, engine="semantic", library=Library())  # warm-up: model loaded, cues embedded
    cold: list[float] = []
    for k in range(5):
        _, fresh = _item_and_transcript(salt=f"-{k}")  # new sentences each time: nothing cached
        t0 = time.perf_counter()
        grade(fresh, item, engine="semantic", library=Library())
        cold.append(time.perf_counter() - t0)
    warm: list[float] = []
    for _ in range(10):
        t0 = time.perf_counter()
        grade(t, item, engine="semantic", library=Library())
        warm.append(time.perf_counter() - t0)
    return {
        "turns": len(t.turns),
        "grade_ms_new_sentences_median": round(1000 * statistics.median(cold), 1),
        "grade_ms_cached_sentences_median": round(1000 * statistics.median(warm), 1),
        "transcripts_per_s_new_sentences": round(1 / statistics.median(cold), 2),
        "target_ms": 150,
    }


def bench_llm(latency_s: float = LATENCY_S) -> dict[str, float]:
    from simulator.content.library import Library
    from simulator.grading import llm as judge
    from simulator.grading.grader import grade
    from simulator.models import tokens
    from simulator.testing.recorder import FakeModel

    item, t = _item_and_transcript()

    def reply(messages: list[dict[str, Any]]) -> str:
        ids = [line[2:].split(" [", 1)[0] for line in messages[1]["content"].splitlines() if line.startswith("- ")]
        return json.dumps({"verdicts": [{"id": i, "present": False, "evidence": []} for i in ids], "injection": False})

    out: dict[str, float] = {"latency_s": latency_s}
    base = tokens.count(judge.render_turns(t)) + judge.rubric_tokens(item, t.variant)
    for label, tr in (("20_turns", t), ("80_turns", _item_and_transcript(80)[1])):
        with FakeModel(name="bench-judge", latency_s=latency_s, default=None) as fake:
            fake.add(*[reply] * 16)
            grade(tr, item, engine="llm", model=fake.model, library=Library())  # warm-up: litellm import
            fake.calls.clear()
            fake.add(*[reply] * 16)
            t0 = time.perf_counter()
            grade(tr, item, engine="llm", model=fake.model, library=Library())
            wall = time.perf_counter() - t0
            sent = sum(tokens.count_messages(c.messages) for c in fake.calls)
        b = tokens.count(judge.render_turns(tr)) + judge.rubric_tokens(item, tr.variant)
        out[f"{label}_calls"] = len(fake.calls)
        out[f"{label}_wall_over_L"] = round(wall / latency_s, 3)
        out[f"{label}_prompt_tokens"] = sent
        out[f"{label}_transcript_plus_rubric_tokens"] = b
        out[f"{label}_token_ratio"] = round(sent / b, 3)
    # Forced indicator groups (4 concurrent calls): the wall time of the concurrent path itself.
    with FakeModel(name="bench-judge-4", latency_s=latency_s, default=None) as fake:
        fake.add(*[reply] * 16)
        t0 = time.perf_counter()
        grade(t, item, engine="llm", model=fake.model, library=Library(), groups=4)
        out["4_groups_calls"] = len(fake.calls)
        out["4_groups_wall_over_L"] = round((time.perf_counter() - t0) / latency_s, 3)
        out["4_groups_token_ratio"] = round(sum(tokens.count_messages(c.messages) for c in fake.calls) / base, 3)
    out["targets"] = "wall_over_L < 1.3, token_ratio < 1.3"  # type: ignore[assignment]
    return out


def main() -> None:
    os.environ.setdefault("MOCKPANEL_ENV_FILE", "")
    print(f"cores: {os.cpu_count()}")
    for name, fn in (("embedding", bench_embedding), ("semantic grader", bench_semantic), ("llm grader (FakeModel)", bench_llm)):
        figures = fn()
        print(f"{name}:")
        for k, v in figures.items():
            print(f"  {k}: {v}")


if __name__ == "__main__":
    main()
