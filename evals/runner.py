"""`mockpanel eval run` and `mockpanel eval compare`: grade a labelled dataset and say what changed.

A dataset row is `{"id", "transcript": {interchange}, "gold": {"indicators": {id: bool}, "rating"},
"family", "level"}` (one JSON object per line; see evals/devset.py for the full schema). Every row
is graded `--repeats` times, concurrently under `--concurrency`, and the run is written as
`results.json` (per-row predictions and the metrics) plus `report.html` (plots) so two runs can
be compared later without re-grading.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import ConfigDict

from evals import devset
from evals import metrics as M
from simulator.content.rubric import Item
from simulator.core.errors import InputError, UserError
from simulator.core.transcript import Transcript

DATA_DIR = Path(__file__).resolve().parent / "data"
SHORT_NAMES = {
    "dev": DATA_DIR / "dev.jsonl",
    "heldout": DATA_DIR / "heldout.jsonl",
    "blind": DATA_DIR / "blind",
    "blind-e": DATA_DIR / "blind-e",
    "blind-f": DATA_DIR / "blind-f",
    "tuning": DATA_DIR / "tuning",
    "calibration": DATA_DIR / "calibration",
    "probes": DATA_DIR / "probes",
    "probes-dev": DATA_DIR / "probes" / "dev",
    "probes-dev-2": DATA_DIR / "probes" / "dev-2",
    "probes-dev-3": DATA_DIR / "probes" / "dev-3",
    "probes-dev-4": DATA_DIR / "probes" / "dev-4",
    "probes-blind-8": DATA_DIR / "probes" / "blind-8",
    "probes-blind-9": DATA_DIR / "probes" / "blind-9",
    "probes-blind-10": DATA_DIR / "probes" / "blind-10",
    "probes-blind-11": DATA_DIR / "probes" / "blind-11",
    "probes-blind-12": DATA_DIR / "probes" / "blind-12",
    "probes-blind-13": DATA_DIR / "probes" / "blind-13",
    "probes-blind-15": DATA_DIR / "probes" / "blind-15",
    "probes-blind-16": DATA_DIR / "probes" / "blind-16",
    "probes-blind-17": DATA_DIR / "probes" / "blind-17",
    "probes-blind-18": DATA_DIR / "probes" / "blind-18",
    "probes-blind-19": DATA_DIR / "probes" / "blind-19",
    "probes-blind-20": DATA_DIR / "probes" / "blind-20",
    "probes-blind-21": DATA_DIR / "probes" / "blind-21",
    "probes-blind-22": DATA_DIR / "probes" / "blind-22",
    "probes-long": DATA_DIR / "probes" / "long",
    "probes-reviewed": DATA_DIR / "probes" / "reviewed",
    "probes-reviewed-2": DATA_DIR / "probes" / "reviewed-2",
    "probes-reviewed-3": DATA_DIR / "probes" / "reviewed-3",
    "probes-reviewed-4": DATA_DIR / "probes" / "reviewed-4",
    "probes-reviewed-5": DATA_DIR / "probes" / "reviewed-5",
    "probes-reviewed-6": DATA_DIR / "probes" / "reviewed-6",
    "probes-reviewed-7": DATA_DIR / "probes" / "reviewed-7",
    "recorded": DATA_DIR / "recorded",
}
RESULTS = "results.json"
REPORT = "report.html"
BOOTSTRAP = 1000

# (transcript, item, ledger) -> a Grade (or anything with .rating, .indicators, .flags)
GradeFn = Callable[[Transcript, Item, Any], Any]


# --- the dataset -------------------------------------------------------------------------------


class Gold(devset.Gold):
    model_config = ConfigDict(extra="allow")


class Row(devset.Row):
    """The dev set's row, relaxed for any labelled dataset: extra keys (notes, provenance) are kept
    and ignored, and family and level are optional."""

    model_config = ConfigDict(extra="allow")

    gold: Gold
    family: str | None = None  # type: ignore[assignment]
    level: str | None = None  # type: ignore[assignment]


def resolve_dataset(name: str | Path) -> Path:
    """A path, or one of the short names (`SHORT_NAMES`)."""
    path = Path(name)
    if not path.exists() and str(name) in SHORT_NAMES:
        path = SHORT_NAMES[str(name)]
    if not path.exists():
        raise InputError(name, None, None, f"no such dataset (a .jsonl file, a directory, or one of {', '.join(SHORT_NAMES)})")
    return path


def dataset_kind(path: Path) -> Literal["grader", "probes", "recorded"]:
    """Which runner a dataset needs, by what it holds."""
    if path.is_dir():
        if any(path.glob("*/cassette*.yaml")) or any(path.glob("*/session.json")) or (path / "index.json").exists():
            return "recorded"
        if any(path.glob("*.jsonl")):
            return "grader"
        if any(path.glob("*.yaml")) or any(path.glob("*.yml")):
            return "probes"
        raise InputError(path, None, None, "directory holds no *.jsonl rows, probe *.yaml or recorded sessions")
    if path.suffix in (".yaml", ".yml"):
        return "probes"
    return "grader"


def load_rows(path: str | Path) -> list[Row]:
    """Rows from a .jsonl file or every .jsonl under a directory; a bad line is one InputError."""
    path = Path(path)
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    seen: dict[str, str] = {}
    rows = [row for file in files for _, row in devset.read_rows(file, Row, seen)]
    if not rows:
        raise InputError(path, None, None, "dataset has no rows")
    return rows


# --- grading -----------------------------------------------------------------------------------


@dataclass
class Attempt:
    """One grading of one row: what came back, or the error, with its cost."""

    rating: str | None
    indicators: dict[str, bool]
    evidence: dict[str, list[str]]
    flags: list[str]
    latency_s: float
    cost_usd: float | None = None
    tokens: int | None = None
    calls: int | None = None
    error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items()}


def extract(grade: Any) -> tuple[str, dict[str, bool], dict[str, list[str]], list[str]]:
    """A Grade's rating, presence and evidence per indicator id, and flags, whatever the shape."""
    rating = str(grade.rating)
    present: dict[str, bool] = {}
    evidence: dict[str, list[str]] = {}
    raw = getattr(grade, "indicators", None) or []
    entries: Iterable[tuple[str, Any]]
    if isinstance(raw, dict):
        entries = raw.items()
    else:
        entries = ((_first_attr(ind, ("id", "indicator", "indicator_id")), ind) for ind in raw)
    for ident, ind in entries:
        present[str(ident)] = bool(getattr(ind, "present", ind if isinstance(ind, bool) else False))
        evidence[str(ident)] = _quotes(getattr(ind, "evidence", None))
    flags = [str(getattr(f, "id", None) or getattr(f, "code", None) or f) for f in (getattr(grade, "flags", None) or [])]
    return rating, present, evidence, flags


def _first_attr(obj: Any, names: Sequence[str]) -> Any:
    for n in names:
        v = getattr(obj, n, None)
        if v is not None:
            return v
    raise ValueError(f"grade indicator {obj!r} has no id")


def _quotes(ev: Any) -> list[str]:
    if ev is None:
        return []
    if isinstance(ev, str):
        return [ev] if ev.strip() else []
    if isinstance(ev, (list, tuple)):
        out: list[str] = []
        for e in ev:
            out += _quotes(e)
        return out
    for name in ("quote", "text"):
        v = getattr(ev, name, None)
        if isinstance(v, str):
            return [v] if v.strip() else []
    return [str(ev)]


def _new_ledger() -> Any:
    try:
        from simulator.models.ledger import Ledger
    except ImportError:
        return None
    try:
        return Ledger()
    except TypeError:
        return None


def ledger_totals(ledger: Any) -> tuple[float | None, int | None, int | None]:
    """(cost in USD, tokens, calls) of what the ledger recorded; None where it cannot say."""
    if ledger is None:
        return None, None, None
    totals = getattr(ledger, "totals", None)
    if callable(totals):
        t = totals()
        if isinstance(t, dict) and "cost" in t:
            return float(t["cost"]), int(t.get("total_tokens") or 0), int(t.get("calls") or 0)
    cost = _number(ledger, ("total_cost", "cost_usd", "cost"))
    tokens = _number(ledger, ("total_tokens", "tokens"))
    calls = _number(ledger, ("calls", "n_calls", "count"))
    entries = None
    for name in ("entries", "records", "calls"):
        v = getattr(ledger, name, None)
        if isinstance(v, (list, tuple)):
            entries = v
            break
    if entries is not None:
        if calls is None:
            calls = len(entries)
        if cost is None:
            cost = sum(float(_number(e, ("cost_usd", "cost")) or 0.0) for e in entries)
        if tokens is None:
            tokens = int(sum((_number(e, ("total_tokens", "tokens")) or 0) for e in entries)) or None
    return (None if cost is None else float(cost), None if tokens is None else int(tokens),
            None if calls is None else int(calls))


def _number(obj: Any, names: Sequence[str]) -> float | None:
    for n in names:
        v = obj.get(n) if isinstance(obj, dict) else getattr(obj, n, None)
        if callable(v):
            try:
                v = v()
            except TypeError:
                continue
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return v
    return None


def grade_once(fn: GradeFn, row: Row, item: Item) -> Attempt:
    ledger = _new_ledger()
    start = time.perf_counter()
    try:
        grade = fn(row.transcript, item, ledger)
        rating, present, evidence, flags = extract(grade)
        error = None
    except Exception as exc:  # one bad row must not sink the run; the error is reported per row
        rating, present, evidence, flags = None, {}, {}, []
        error = f"{type(exc).__name__}: {exc}"
    latency = time.perf_counter() - start
    cost, tokens, calls = ledger_totals(ledger)
    return Attempt(rating, present, evidence, flags, latency, cost, tokens, calls, error)


def default_grade_fn(engine: str | None) -> GradeFn:
    """The product's grader, with the library loaded once (not once per transcript)."""
    from simulator.content.library import load_library
    from simulator.grading.grader import grade

    lib = load_library()

    def fn(transcript: Transcript, item: Item, ledger: Any) -> Any:
        return grade(transcript, item, engine=engine, ledger=ledger, library=lib)

    return fn


def grade_rows(
    rows: Sequence[Row],
    items: dict[str, Item],
    fn: GradeFn,
    *,
    repeats: int = 1,
    concurrency: int = 4,
    progress: bool = True,
) -> list[list[Attempt]]:
    """Every row `repeats` times, at most `concurrency` at once; attempts in row order."""
    if repeats < 1:
        raise InputError("--repeats", None, None, "must be at least 1")
    if concurrency < 1:
        raise InputError("--concurrency", None, None, "must be at least 1")
    out: list[list[Attempt | None]] = [[None] * repeats for _ in rows]
    jobs = [(i, r) for r in range(repeats) for i in range(len(rows))]
    bar = _Progress(len(jobs), "grading") if progress else None
    try:
        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            futures = {pool.submit(grade_once, fn, rows[i], items[rows[i].transcript.item]): (i, r) for i, r in jobs}
            for fut in as_completed(futures):
                i, r = futures[fut]
                out[i][r] = fut.result()
                if bar:
                    bar.advance()
    finally:
        if bar:
            bar.close()
    return [[a for a in attempts if a is not None] for attempts in out]


class _Progress:
    """A rich progress bar on stderr (stdout stays clean for the summary and for pipes)."""

    def __init__(self, total: int, what: str) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        self.progress = Progress(TextColumn(what), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 console=Console(stderr=True), transient=False)
        self.task = self.progress.add_task(what, total=total)
        self.progress.start()

    def advance(self) -> None:
        self.progress.advance(self.task)

    def close(self) -> None:
        self.progress.stop()


# --- metrics over a run ------------------------------------------------------------------------


def row_prediction(row: Row, item: Item | None, attempts: Sequence[Attempt]) -> dict[str, Any]:
    """The row's majority prediction over its repeats, whether it passed, and every attempt."""
    ok = [a for a in attempts if a.error is None]
    pred: dict[str, Any] | None = None
    passed = False
    if ok:
        rating = str(M.majority([a.rating for a in ok]))
        indicators = {k: bool(M.majority([a.indicators.get(k, False) for a in ok])) for k in row.gold.indicators}
        pred = {"rating": rating, "indicators": indicators}
        positive = {i.id for i in item.indicators if i.polarity == "positive"} if item else set(row.gold.indicators)
        false_credit = sorted(k for k in positive if indicators.get(k) and not row.gold.indicators.get(k, False))
        pred["false_credit"] = false_credit
        passed = rating == row.gold.rating and not false_credit
    return {
        "id": row.id,
        "item": row.transcript.item,
        "family": row.family,
        "level": row.level,
        "gold": {"rating": row.gold.rating, "indicators": dict(row.gold.indicators)},
        "pred": pred,
        "passed": passed,
        "repeats": [a.to_dict() for a in attempts],
    }


def candidate_text(transcript: Transcript) -> list[str]:
    return [t.text for _, t in transcript.candidate_turns()]


def compute_metrics(predictions: Sequence[dict[str, Any]], transcripts: dict[str, Transcript], *,
                    bootstrap: int = BOOTSTRAP, seed: int = 0) -> dict[str, Any]:
    """Everything the summary, the report and `compare` read, from the per-row predictions."""
    done = [p for p in predictions if p["pred"] is not None]
    gold_r = [p["gold"]["rating"] for p in done]
    pred_r = [p["pred"]["rating"] for p in done]
    unknown = sorted({r for r in pred_r if r not in M.RATING_ORDER})
    if unknown:
        raise UserError(f"the grader returned unknown rating(s) {unknown}")

    def triples(rows: Sequence[dict[str, Any]]) -> list[tuple[str, bool, bool]]:
        return [(f"{p['item']}/{k}", g, p["pred"]["indicators"].get(k, False))
                for p in rows for k, g in p["gold"]["indicators"].items()]

    per = M.per_key_prf(triples(done))
    macro = M.macro_f1(per)

    def macro_of(rows: list[dict[str, Any]]) -> float:
        return M.macro_f1(M.per_key_prf(triples(rows)))

    ci: Callable[..., list[float]] = lambda stat, *cols: list(M.bootstrap_ci(stat, *cols, n=bootstrap, seed=seed)) if done else [0.0, 0.0]  # noqa: E731

    quotes_ok = quotes_all = 0
    for p in done:
        sources = candidate_text(transcripts[p["id"]])
        for a in p["repeats"]:
            for qs in (a.get("evidence") or {}).values():
                for q in qs:
                    quotes_all += 1
                    quotes_ok += int(M.is_verbatim(q, sources))

    rating_runs = [[a["rating"] for a in p["repeats"] if a["error"] is None] for p in done]
    ind_runs = [[a["indicators"].get(k, False) for a in p["repeats"] if a["error"] is None]
                for p in done for k in p["gold"]["indicators"]]

    families = M.pass_rate_by((p["family"] or "(none)", p["passed"]) for p in done)
    by_item: dict[str, dict[str, Any]] = {}
    for item_id in sorted({p["item"] for p in done}):
        rows = [p for p in done if p["item"] == item_id]
        pairs = [(g, p["pred"]["indicators"].get(k, False)) for p in rows for k, g in p["gold"]["indicators"].items()]
        by_item[item_id] = {
            "n": len(rows),
            "exact": M.exact_agreement([p["gold"]["rating"] for p in rows], [p["pred"]["rating"] for p in rows]),
            "indicator_accuracy": (sum(1 for g, q in pairs if g == q) / len(pairs)) if pairs else 1.0,
            "macro_f1": macro_of(rows),
        }
    held = devset.heldout_items()

    def subset(rows: list[dict[str, Any]]) -> dict[str, Any]:
        g, q = [p["gold"]["rating"] for p in rows], [p["pred"]["rating"] for p in rows]
        return {"n": len(rows), "macro_f1": macro_of(rows) if rows else 0.0, "exact": M.exact_agreement(g, q) if rows else 0.0,
                "qwk": M.quadratic_kappa(g, q) if rows else 0.0, "extreme_error_rate": M.extreme_error_rate(g, q) if rows else 0.0}

    # items the judge and the blend were never fitted on (a rubric the grader never saw) and the rest
    by_training = {"never_fitted": subset([p for p in done if p["item"] in held]),
                   "fitted": subset([p for p in done if p["item"] not in held])}
    by_level = {lvl: M.exact_agreement([p["gold"]["rating"] for p in done if (p["level"] or "(none)") == lvl],
                                       [p["pred"]["rating"] for p in done if (p["level"] or "(none)") == lvl])
                for lvl in sorted({p["level"] or "(none)" for p in done})}

    attempts = [a for p in predictions for a in p["repeats"]]
    per_row_cost = [sum(a["cost_usd"] or 0.0 for a in p["repeats"]) / max(len(p["repeats"]), 1) for p in predictions]
    has_cost = any(a["cost_usd"] is not None for a in attempts)
    return {
        "rows": len(predictions),
        "graded": len(done),
        "errors": sum(1 for a in attempts if a["error"] is not None),
        "indicators": {
            "macro_f1": macro,
            "macro_f1_ci": ci(macro_of, done),
            "micro": M.micro(per).to_dict(),
            "per_indicator": {k: v.to_dict() for k, v in sorted(per.items())},
        },
        "rating": {
            "labels": list(M.RATING_ORDER),
            "confusion": M.confusion(gold_r, pred_r),
            "exact": M.exact_agreement(gold_r, pred_r),
            "exact_ci": ci(M.exact_agreement, gold_r, pred_r),
            "kappa": M.cohen_kappa(gold_r, pred_r),
            "kappa_ci": ci(M.cohen_kappa, gold_r, pred_r),
            "qwk": M.quadratic_kappa(gold_r, pred_r),
            "qwk_ci": ci(M.quadratic_kappa, gold_r, pred_r),
            "extreme_error_rate": M.extreme_error_rate(gold_r, pred_r),
        },
        "verbatim": {"rate": quotes_ok / quotes_all if quotes_all else 1.0, "quotes": quotes_all, "verbatim": quotes_ok},
        "flip_rate": {"rating": M.flip_rate(rating_runs), "indicators": M.flip_rate(ind_runs)},
        "families": {k: v.to_dict() for k, v in sorted(families.items())},
        "pass_rate": (sum(1 for p in done if p["passed"]) / len(done)) if done else 0.0,
        "by_item": by_item,
        "by_level": by_level,
        "by_training": by_training,
        "latency_s": M.summary([sum(a["latency_s"] for a in p["repeats"]) / max(len(p["repeats"]), 1) for p in predictions]),
        "cost_usd": M.summary(per_row_cost) if has_cost else None,
        "tokens": M.summary([a["tokens"] for a in attempts if a["tokens"] is not None]) if any(a["tokens"] is not None for a in attempts) else None,
    }


def run_grader(
    rows: Sequence[Row],
    fn: GradeFn,
    *,
    items: dict[str, Item] | None = None,
    repeats: int = 1,
    concurrency: int = 4,
    progress: bool = False,
    dataset: str = "",
    engine: str | None = None,
    bootstrap: int = BOOTSTRAP,
) -> dict[str, Any]:
    """Grades the rows and returns the results document (what results.json holds)."""
    items = items if items is not None else library_items()
    for row in rows:
        if row.transcript.item not in items:
            raise InputError(dataset or "<dataset>", None, f"{row.id}.transcript.item",
                             f"no item {row.transcript.item!r} in the rubrics")
        unknown = set(row.gold.indicators) - {i.id for i in items[row.transcript.item].indicators}
        if unknown:
            raise InputError(dataset or "<dataset>", None, f"{row.id}.gold.indicators",
                             f"indicator(s) {sorted(unknown)} are not on item {row.transcript.item!r}")
    attempts = grade_rows(rows, items, fn, repeats=repeats, concurrency=concurrency, progress=progress)
    if all(a.error is not None for per in attempts for a in per):
        first = attempts[0][0].error if attempts and attempts[0] else "no attempts"
        raise UserError(f"every grading failed; the first error: {first}")
    predictions = [row_prediction(row, items.get(row.transcript.item), a) for row, a in zip(rows, attempts)]
    transcripts = {row.id: row.transcript for row in rows}
    return {
        "kind": "grader",
        "dataset": str(dataset),
        "engine": engine,
        "repeats": repeats,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "pass_rule": "rating equals the gold rating and no positive indicator is credited that gold marks absent",
        "metrics": compute_metrics(predictions, transcripts, bootstrap=bootstrap),
        "predictions": predictions,
    }


def library_items() -> dict[str, Item]:
    from simulator.content.library import load_library

    return dict(load_library().items)


# --- writing and showing a run -----------------------------------------------------------------


def write_run(results: dict[str, Any], out: str | Path) -> Path:
    from evals.report import render

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    (out / RESULTS).write_text(json.dumps(results, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    (out / REPORT).write_text(render(results), encoding="utf-8")
    return out


def default_out(dataset: Path, engine: str | None) -> Path:
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path("eval-runs") / f"{dataset.stem}-{engine or 'default'}-{stamp}"


def headline(results: dict[str, Any]) -> dict[str, tuple[float, bool]]:
    """The figures `compare` judges: name -> (value, higher is better)."""
    m = results["metrics"]
    kind = results.get("kind")
    if kind == "probes":
        out = {
            "leak_rate": (m["leak_rate"], False),
            "disclosure_rate": (m["disclosure_rate"], True),
            "tension_coverage": (m["tension_coverage"], True),
            "do_not_violation_rate": (m["do_not_violations"] / m["replies"] if m["replies"] else 0.0, False),
            "expectations met": (m["expectations_rate"], True),
        }
        for k, v in m.get("probes", {}).items():
            out[f"probe {k} expectations met"] = (v["expectations_rate"], True)
        return out
    if kind == "recorded":
        out = {"sessions reproduced": (m["reproduced_rate"], True)}
        if m.get("grader"):
            out.update({f"replayed llm · {k}": v for k, v in _grader_headline(m["grader"]).items()})
        return out
    return _grader_headline(m)


def _grader_headline(m: dict[str, Any]) -> dict[str, tuple[float, bool]]:
    out = {
        "indicator macro-F1": (m["indicators"]["macro_f1"], True),
        "rating exact agreement": (m["rating"]["exact"], True),
        "rating kappa": (m["rating"]["kappa"], True),
        "rating QWK": (m["rating"]["qwk"], True),
        "exceeds<->below error rate": (m["rating"]["extreme_error_rate"], False),
        "verbatim-quote rate": (m["verbatim"]["rate"], True),
        "rating flip rate": (m["flip_rate"]["rating"], False),
        "pass rate": (m["pass_rate"], True),
    }
    for fam, v in m["families"].items():
        out[f"family {fam} pass rate"] = (v["rate"], True)
    return out


def _grader_table(m: dict[str, Any], title: str, repeats: int = 1) -> Any:
    from rich.table import Table

    table = Table(title=f"{title} · {m['graded']}/{m['rows']} rows graded")
    table.add_column("metric")
    table.add_column("value", justify="right")
    table.add_column("95% CI", justify="right")
    ind, rat = m["indicators"], m["rating"]
    table.add_row("indicator macro-F1", f"{ind['macro_f1']:.3f}", _ci(ind["macro_f1_ci"]))
    table.add_row("indicator micro P / R / F1", f"{ind['micro']['precision']:.3f} / {ind['micro']['recall']:.3f} / {ind['micro']['f1']:.3f}", "")
    table.add_row("rating exact agreement", f"{rat['exact']:.3f}", _ci(rat["exact_ci"]))
    table.add_row("rating Cohen's kappa", f"{rat['kappa']:.3f}", _ci(rat["kappa_ci"]))
    table.add_row("rating QWK", f"{rat['qwk']:.3f}", _ci(rat["qwk_ci"]))
    table.add_row("exceeds<->below errors", f"{rat['extreme_error_rate']:.3f}", "")
    table.add_row("verbatim-quote rate", f"{m['verbatim']['rate']:.3f} ({m['verbatim']['quotes']} quotes)", "")
    for key, label in (("never_fitted", "items never fitted on"), ("fitted", "items fitted on")):
        sub = (m.get("by_training") or {}).get(key)
        if sub and sub["n"] and sub["n"] < m["graded"]:
            table.add_row(f"{label} ({sub['n']} rows): F1 / exact / QWK",
                          f"{sub['macro_f1']:.3f} / {sub['exact']:.3f} / {sub['qwk']:.3f}", "")
    if repeats > 1:
        table.add_row("flip rate (rating / indicators)", f"{m['flip_rate']['rating']:.3f} / {m['flip_rate']['indicators']:.3f}", "")
    for fam, v in m["families"].items():
        table.add_row(f"pass · {fam}", f"{v['passed']}/{v['total']} = {v['rate']:.2f}", "")
    lat = m["latency_s"]
    table.add_row("latency per transcript", f"mean {lat['mean']:.3f}s · p90 {lat['p90']:.3f}s", "")
    if m.get("cost_usd"):
        table.add_row("cost per transcript", f"${m['cost_usd']['mean']:.5f} (total ${m['cost_usd']['total']:.4f})", "")
    if m.get("tokens") and m["tokens"]["total"]:
        table.add_row("tokens per grading", f"mean {m['tokens']['mean']:.0f}", "")
    if m["errors"]:
        table.add_row("errors", str(m["errors"]), "")
    return table


def _recorded_summary(results: dict[str, Any], console: Any) -> None:
    from rich.table import Table

    m = results["metrics"]
    table = Table(title=f"recorded sessions · {results['dataset']} · replayed with no network")
    for col in ("session", "engine", "transcript", "grade", "calls played", "rating (gold)"):
        table.add_column(col)
    for s in results["sessions"]:
        gold = next((p["gold"]["rating"] for p in results.get("predictions", []) if p["id"] == s["name"]), None)
        table.add_row(s["name"], s.get("engine", ""), "same" if s.get("transcript_match") else "DIFFERS",
                      "same" if s.get("grade_match") else "DIFFERS",
                      f"{s.get('played', 0)}/{s.get('recorded_calls', 0)}" + ("" if s.get("all_played") else " (not all)"),
                      f"{s.get('rating', '—')} ({gold or '—'})")
    console.print(table)
    console.print(f"reproduced: {m['reproduced_rate']:.2f} of {m['sessions']} session(s)", markup=False)
    for s in results["sessions"]:
        if s.get("error"):
            console.print(f"  {s['name']}: {s['error']}", markup=False)
    if m.get("grader"):
        console.print(_grader_table(m["grader"], "recorded grades on the replayed sessions vs gold"))


def _ci(ci: Sequence[float]) -> str:
    return f"[{ci[0]:.3f}, {ci[1]:.3f}]"


# --- compare -----------------------------------------------------------------------------------


def load_results(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if p.is_dir():
        p = p / RESULTS
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(p, None, None, exc.strerror or str(exc)) from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(p, getattr(exc, "lineno", None), None, f"not a results file: {exc}") from None
    if not isinstance(data, dict) or "metrics" not in data or "kind" not in data:
        raise InputError(p, 1, None, "not a results.json written by 'mockpanel eval run'")
    return data


@dataclass
class Change:
    name: str
    before: float | None
    after: float | None
    higher_is_better: bool

    @property
    def delta(self) -> float:
        return (self.after or 0.0) - (self.before or 0.0)

    @property
    def gain(self) -> float:
        """Positive is better whatever the metric's direction."""
        return self.delta if self.higher_is_better else -self.delta


def compare(a: dict[str, Any], b: dict[str, Any], margin: float = 0.02) -> dict[str, Any]:
    """Headline changes, regressions beyond `margin`, and the rows whose outcome changed."""
    if a.get("kind") != b.get("kind"):
        raise InputError("<runs>", None, "kind", f"cannot compare a {a.get('kind')} run with a {b.get('kind')} run")
    ha, hb = headline(a), headline(b)
    changes = [Change(k, ha.get(k, (None, True))[0], hb.get(k, (None, True))[0], (ha.get(k) or hb.get(k))[1])  # type: ignore[index]
               for k in list(ha) + [k for k in hb if k not in ha]]
    comparable = [c for c in changes if c.before is not None and c.after is not None]
    regressions = [c for c in comparable if c.gain < -margin - 1e-12]
    improvements = [c for c in comparable if c.gain > margin + 1e-12]
    rows_better: list[str] = []
    rows_worse: list[str] = []
    indicators: list[tuple[str, float, float]] = []
    if a["kind"] == "grader":
        pa = {p["id"]: p for p in a.get("predictions", [])}
        pb = {p["id"]: p for p in b.get("predictions", [])}
        for rid in sorted(set(pa) & set(pb)):
            if pa[rid]["passed"] and not pb[rid]["passed"]:
                rows_worse.append(rid)
            elif pb[rid]["passed"] and not pa[rid]["passed"]:
                rows_better.append(rid)
        ia = a["metrics"]["indicators"]["per_indicator"]
        ib = b["metrics"]["indicators"]["per_indicator"]
        for k in sorted(set(ia) & set(ib)):
            if abs(ib[k]["f1"] - ia[k]["f1"]) > 1e-12:
                indicators.append((k, ia[k]["f1"], ib[k]["f1"]))
    return {
        "changes": changes,
        "regressions": regressions,
        "improvements": improvements,
        "rows_better": rows_better,
        "rows_worse": rows_worse,
        "indicators": indicators,
        "only_in_a": sorted(set(ha) - set(hb)),
        "only_in_b": sorted(set(hb) - set(ha)),
        "datasets": (a.get("dataset"), b.get("dataset")),
    }


def print_compare(diff: dict[str, Any], a_name: str, b_name: str, margin: float) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    da, db = diff.get("datasets", (None, None))
    if da != db:
        console.print(f"note: the runs are on different datasets ({da} vs {db}); row changes are by id", markup=False)
    table = Table(title=f"{a_name} -> {b_name} (margin {margin:g})")
    for col in ("metric", "A", "B", "change", ""):
        table.add_column(col, justify="left" if col == "metric" else "right")
    regressed = {c.name for c in diff["regressions"]}
    improved = {c.name for c in diff["improvements"]}
    for c in diff["changes"]:
        fmt: Callable[[float | None], str] = lambda v: "—" if v is None else f"{v:.3f}"  # noqa: E731
        verdict = "worse" if c.name in regressed else "better" if c.name in improved else ""
        table.add_row(c.name, fmt(c.before), fmt(c.after),
                      "" if c.before is None or c.after is None else f"{c.delta:+.3f}", verdict)
    console.print(table)
    if diff["indicators"]:
        worse = [x for x in diff["indicators"] if x[2] < x[1]]
        better = [x for x in diff["indicators"] if x[2] > x[1]]
        for label, group in (("indicator F1 down", worse), ("indicator F1 up", better)):
            if group:
                console.print(f"{label}: " + ", ".join(f"{k} {x:.2f}->{y:.2f}" for k, x, y in group), markup=False)
    if diff["rows_worse"]:
        console.print(f"rows now failing ({len(diff['rows_worse'])}): {', '.join(diff['rows_worse'])}", markup=False)
    if diff["rows_better"]:
        console.print(f"rows now passing ({len(diff['rows_better'])}): {', '.join(diff['rows_better'])}", markup=False)
    if diff["regressions"]:
        console.print(f"REGRESSION beyond {margin:g}: " + ", ".join(c.name for c in diff["regressions"]), markup=False)
    else:
        console.print(f"no regression beyond {margin:g}")


# --- CLI ---------------------------------------------------------------------------------------


