"""The grader's labelled development set: its schema and the validator every row must pass.

A row (one JSON object per line of `evals/data/dev.jsonl` or `heldout.jsonl`):

    {"id": "jl-normal-meets-1",
     "transcript": {...interchange format, see simulator.core.transcript...},
     "gold": {"indicators": {"<indicator id>": true|false, ...}, "rating": "exceeds"|"meets"|"below"},
     "family": "normal"|"buzzword"|"persona-supplied"|"dismissal"|"injection"|"padding"|
               "concise-excellence"|"evasive"|"off-topic"|"empty",
     "level": "junior"|"mid"|"senior"|"lead"|"principal",
     "note": "why the labels are what they are (optional)"}

Gold labels are an interviewer's judgement of the transcript, written against the item's
indicators, never produced by running the grader. `gold.indicators` must name exactly the
indicators that apply to the item and variant, so a rubric edit that adds, drops or renames one
makes the set fail here (with the file and line) instead of silently scoring against stale labels.

`dev.jsonl` is what `evals/calibrate.py` tunes thresholds on; `heldout.jsonl` is only ever
measured, so the figures reported for it are not fitted to it.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from simulator.core.errors import InputError
from simulator.core.transcript import Transcript

DATA = Path(__file__).resolve().parent / "data"
DEV = DATA / "dev.jsonl"
HELDOUT = DATA / "heldout.jsonl"

Family = Literal[
    "normal", "buzzword", "persona-supplied", "dismissal", "injection", "padding",
    "concise-excellence", "evasive", "off-topic", "empty",
    # the hard-case families of docs/labelling.md
    "mention-to-reject", "hypothetical", "on-topic-wrong", "rubric-restatement", "hedged",
]
FAMILIES: tuple[str, ...] = Family.__args__  # type: ignore[attr-defined]
#: The families the dev and held-out sets were written for (the blind split covers all of them).
CORE_FAMILIES: tuple[str, ...] = FAMILIES[:10]


class Gold(BaseModel):
    model_config = ConfigDict(extra="forbid")

    indicators: dict[str, bool]
    rating: Literal["exceeds", "meets", "below"]


class Row(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    transcript: Transcript
    gold: Gold
    family: Family
    level: Literal["junior", "mid", "senior", "lead", "principal"]
    note: str = ""


RowT = TypeVar("RowT", bound=Row)


def read_rows(path: Path, schema: type[RowT], seen: dict[str, str]) -> Iterator[tuple[int, RowT]]:
    """(line number, row) for each non-blank line of a JSONL file; a bad line or a row id already
    in `seen` (id -> "file:line", shared across files) is one InputError naming file, line and field."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(path, None, None, f"cannot read: {exc}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(path, n, None, f"not valid JSON: {exc.msg}") from None
        try:
            row = schema.model_validate(data)
        except ValidationError as exc:
            err = exc.errors()[0]
            raise InputError(path, n, ".".join(str(p) for p in err["loc"]) or None, err["msg"]) from None
        if row.id in seen:
            raise InputError(path, n, "id", f"duplicate row id {row.id!r} (first at {seen[row.id]})")
        seen[row.id] = f"{path}:{n}"
        yield n, row


def load(path: Path, library: object | None = None, seen: dict[str, str] | None = None) -> list[Row]:
    """Every row of one file, checked against the library; the first problem is an InputError."""
    from simulator.content.library import Library, load_library

    lib: Library = library if library is not None else load_library()  # type: ignore[assignment]
    rows: list[Row] = []
    for n, row in read_rows(path, Row, {} if seen is None else seen):
        check_row(row, lib, path, n)
        rows.append(row)
    return rows


def check_row(row: Row, lib: object, path: Path, n: int) -> None:
    item = getattr(lib, "items", {}).get(row.transcript.item)
    if item is None:
        raise InputError(path, n, "transcript.item", f"no item {row.transcript.item!r} in the library")
    variants = {v.id for v in item.variants}
    if row.transcript.variant and row.transcript.variant not in variants:
        raise InputError(path, n, "transcript.variant", f"item {item.id!r} has no variant {row.transcript.variant!r}")
    if variants and row.transcript.variant is None:
        raise InputError(path, n, "transcript.variant", f"item {item.id!r} has variants {sorted(variants)}: name one")
    want = {i.id for i in item.indicators_for(row.transcript.variant)}
    got = set(row.gold.indicators)
    if want != got:
        parts = []
        if want - got:
            parts.append(f"missing {sorted(want - got)}")
        if got - want:
            parts.append(f"not applicable {sorted(got - want)}")
        raise InputError(path, n, "gold.indicators", "indicator ids do not match the item: " + "; ".join(parts))
    if not any(t.is_candidate for t in row.transcript.turns):
        raise InputError(path, n, "transcript.turns", "no candidate turn")


def files_sha256(paths: list[Path]) -> str:
    """The sha256 of data files, by name and content, in the order given: what a model's card or
    a fitted file records of the data it came from."""
    import hashlib

    h = hashlib.sha256()
    for path in paths:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def heldout_items() -> set[str]:
    """Items the judge and the blend are never fitted on (`data/judge/heldout_items.txt`): the blind
    split's measure of how the grader does on a rubric it never saw, such as a user's own."""
    text = (Path(__file__).resolve().parent / "data" / "judge" / "heldout_items.txt").read_text(encoding="utf-8")
    return {ln.split("#")[0].strip() for ln in text.splitlines() if ln.split("#")[0].strip()}


def load_all(library: object | None = None) -> tuple[list[Row], list[Row]]:
    """(dev, heldout); an id in both is an error, since the held-out figures would then be fitted."""
    from simulator.content.library import load_library

    lib = library if library is not None else load_library()
    dev, held = load(DEV, lib), load(HELDOUT, lib)
    overlap = {r.id for r in dev} & {r.id for r in held}
    if overlap:
        raise InputError(HELDOUT, None, "id", f"rows also in dev.jsonl: {sorted(overlap)[:5]}")
    return dev, held


def summary(rows: list[Row]) -> dict[str, dict[str, int]]:
    return {
        "rating": dict(Counter(r.gold.rating for r in rows)),
        "family": dict(Counter(r.family for r in rows)),
        "item": dict(Counter(r.transcript.item for r in rows)),
    }


def main(argv: list[str] | None = None) -> int:
    """`python -m evals.devset`: validate both files and print what they cover."""
    try:
        dev, held = load_all()
    except InputError as exc:
        print(exc, file=sys.stderr)
        return 2
    for name, rows in (("dev", dev), ("heldout", held)):
        print(f"{name}: {len(rows)} rows")
        for k, v in summary(rows).items():
            print(f"  {k}: " + ", ".join(f"{a}={b}" for a, b in sorted(v.items())))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
