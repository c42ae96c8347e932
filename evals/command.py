"""`mockpanel eval run` and `eval compare`: pick the suite for a dataset, run it, write and print.

The suites (grader rows, persona probes, recorded sessions) live in their own modules; this is
the one place that knows all three.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from evals.probes import print_summary as probe_summary
from evals.probes import run_probes
from evals.recorded import run_recorded
from evals.runner import (
    REPORT,
    RESULTS,
    GradeFn,
    _grader_table,
    _recorded_summary,
    compare,
    dataset_kind,
    default_grade_fn,
    default_out,
    load_results,
    load_rows,
    print_compare,
    resolve_dataset,
    run_grader,
    write_run,
)
from simulator.core.errors import InputError


def print_summary(results: dict[str, Any], out_dir: Path | None = None, failures: bool | None = None) -> None:
    """The run's table. A probe run also lists each failed check, unless `failures` is False or,
    left unsaid, the set is a blind one: a blind set is measured, never read."""
    from rich.console import Console

    console = Console()
    kind = results.get("kind")
    if kind == "probes":
        if failures is None:
            failures = not is_blind(Path(str(results.get("dataset", ""))))
        probe_summary(results, console, failures=failures)
    elif kind == "recorded":
        _recorded_summary(results, console)
    else:
        console.print(_grader_table(results["metrics"], f"{results['dataset']} · engine {results['engine'] or 'default'}",
                                    results.get("repeats", 1)))
    if out_dir is not None:
        console.print(f"results: {out_dir / RESULTS}\nreport:  {out_dir / REPORT}", markup=False)



def cmd_run(args: argparse.Namespace, *, grade_fn: GradeFn | None = None) -> int:
    path = resolve_dataset(args.dataset)
    kind = dataset_kind(path)
    repeats = int(getattr(args, "repeats", 1) or 1)
    concurrency = int(getattr(args, "concurrency", 4) or 4)
    if repeats < 1 or concurrency < 1:
        raise InputError("--repeats/--concurrency", None, None, "must be at least 1")
    engine = getattr(args, "engine", None)
    progress = sys.stderr.isatty()
    if kind == "probes":
        results = run_probes(path, repeats=repeats, progress=progress)
    elif kind == "recorded":
        results = run_recorded(path, concurrency=concurrency, progress=progress)
    else:
        rows = load_rows(path)
        fn = grade_fn or default_grade_fn(engine)
        results = run_grader(rows, fn, repeats=repeats, concurrency=concurrency, progress=progress,
                             dataset=str(args.dataset), engine=engine)
    out = Path(args.out) if getattr(args, "out", None) else default_out(path, engine if kind == "grader" else kind)
    write_run(results, out)
    print_summary(results, out, getattr(args, "failures", None))
    return 0


def is_blind(path: Path) -> bool:
    """A blind set (its folder or file is named blind..., not retired): measured, never read."""
    return any(part.startswith("blind") for part in path.parts)


def cmd_compare(args: argparse.Namespace) -> int:
    margin = float(getattr(args, "margin", 0.02))
    if margin < 0:
        raise InputError("--margin", None, None, "must not be negative")
    a, b = load_results(args.run_a), load_results(args.run_b)
    diff = compare(a, b, margin)
    print_compare(diff, str(args.run_a), str(args.run_b), margin)
    return 1 if diff["regressions"] else 0
