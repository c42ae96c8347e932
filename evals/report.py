"""The HTML report of a run: one self-contained file with inline SVG plots (no plotting library).

Every piece of text that came from data (ids, transcripts, quotes, errors) goes through `esc`,
because datasets hold candidate words and candidate words may hold markup.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from typing import Any

CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}
h1{font-size:1.5rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
table{border-collapse:collapse;margin:.5rem 0;font-size:.9rem}td,th{border:1px solid #ddd;padding:.25rem .5rem;text-align:left}
th{background:#f4f4f4}td.num{text-align:right;font-variant-numeric:tabular-nums}.bad{color:#b00020}.good{color:#1b7f3b}
.muted{color:#777}svg text{font-family:system-ui,sans-serif}details{margin:.3rem 0}pre{white-space:pre-wrap;background:#f8f8f8;padding:.5rem}
"""


def esc(value: Any) -> str:
    return html.escape(str(value), quote=True)


def fmt(v: Any, digits: int = 3) -> str:
    if v is None:
        return "—"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


# --- plots -------------------------------------------------------------------------------------


def confusion_svg(matrix: Sequence[Sequence[int]], labels: Sequence[str], *, title: str = "rating confusion") -> str:
    """Gold on the rows, prediction on the columns; darker cells hold more rows."""
    k = len(labels)
    cell, left, top = 70, 110, 60
    width, height = left + cell * k + 20, top + cell * k + 40
    peak = max((v for row in matrix for v in row), default=0) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f"<title>{esc(title)}</title>",
             f'<text x="{left + cell * k / 2}" y="18" text-anchor="middle" font-size="13">predicted</text>',
             f'<text x="14" y="{top + cell * k / 2}" font-size="13" transform="rotate(-90 14 {top + cell * k / 2})" text-anchor="middle">gold</text>']
    for j, lab in enumerate(labels):
        parts.append(f'<text x="{left + cell * j + cell / 2}" y="{top - 10}" text-anchor="middle" font-size="12">{esc(lab)}</text>')
    for i, lab in enumerate(labels):
        parts.append(f'<text x="{left - 8}" y="{top + cell * i + cell / 2 + 4}" text-anchor="end" font-size="12">{esc(lab)}</text>')
        for j in range(k):
            v = matrix[i][j] if i < len(matrix) and j < len(matrix[i]) else 0
            shade = v / peak
            fill = f"rgb({int(255 - 200 * shade)},{int(255 - 140 * shade)},{int(255 - 60 * shade)})"
            colour = "#fff" if shade > 0.6 else "#222"
            stroke = "#1b7f3b" if i == j else "#bbb"
            parts.append(f'<rect x="{left + cell * j}" y="{top + cell * i}" width="{cell}" height="{cell}" fill="{fill}" stroke="{stroke}" stroke-width="{2 if i == j else 1}"/>')
            parts.append(f'<text x="{left + cell * j + cell / 2}" y="{top + cell * i + cell / 2 + 5}" text-anchor="middle" font-size="15" fill="{colour}">{v}</text>')
    parts.append("</svg>")
    return "".join(parts)


def bars_svg(values: Sequence[tuple[str, float | None]], *, title: str, vmax: float = 1.0, width: int = 900,
             note: Sequence[str] | None = None) -> str:
    """Horizontal bars, one per label, scaled to `vmax`; the value is printed at the bar's end."""
    bar, gap, left, right = 16, 6, 330, 230
    height = 30 + len(values) * (bar + gap) + 10
    scale = (width - left - right) / (vmax or 1.0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" width="{width}" height="{height}" viewBox="0 0 {width} {height}">',
             f"<title>{esc(title)}</title>"]
    for frac in (0.0, 0.5, 1.0):
        x = left + frac * vmax * scale
        parts.append(f'<line x1="{x}" y1="20" x2="{x}" y2="{height - 8}" stroke="#eee"/>')
        parts.append(f'<text x="{x}" y="14" text-anchor="middle" font-size="10" fill="#777">{frac * vmax:g}</text>')
    for n, (label, value) in enumerate(values):
        y = 24 + n * (bar + gap)
        if value is None:  # undefined (e.g. F1 of an indicator never present and never predicted)
            extra = f" {note[n]}" if note and n < len(note) and note[n] else ""
            parts.append(f'<text x="{left - 6}" y="{y + bar - 4}" text-anchor="end" font-size="11" fill="#999"><title>{esc(label)}</title>{esc(label if len(label) <= 52 else label[:50] + "…")}</text>')
            parts.append(f'<text x="{left + 4}" y="{y + bar - 4}" font-size="11" fill="#999">n/a{esc(extra)}</text>')
            continue
        v = max(0.0, min(float(value), vmax))
        colour = "#1b7f3b" if v >= 0.8 * vmax else "#c98a00" if v >= 0.5 * vmax else "#b00020"
        short = label if len(label) <= 52 else label[:50] + "…"
        extra = f" {note[n]}" if note and n < len(note) and note[n] else ""
        parts.append(f'<text x="{left - 6}" y="{y + bar - 4}" text-anchor="end" font-size="11"><title>{esc(label)}</title>{esc(short)}</text>')
        parts.append(f'<rect x="{left}" y="{y}" width="{v * scale:.1f}" height="{bar}" fill="{colour}"/>')
        parts.append(f'<text x="{left + v * scale + 4}" y="{y + bar - 4}" font-size="11">{float(value):.2f}{esc(extra)}</text>')
    parts.append("</svg>")
    return "".join(parts)


# --- pages -------------------------------------------------------------------------------------


def render(results: dict[str, Any]) -> str:
    if results.get("kind") == "probes":
        body = _probes(results)
    elif results.get("kind") == "recorded":
        body = _recorded(results)
    else:
        body = _grader(results)
    title = f"mockpanel eval · {results.get('dataset', '')}"
    return (f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{esc(title)}</title>"
            f"<style>{CSS}</style></head><body>\n<h1>{esc(title)}</h1>\n"
            f"<p class=\"muted\">kind {esc(results.get('kind'))} · engine {esc(results.get('engine') or 'default')} · "
            f"repeats {esc(results.get('repeats', 1))} · {esc(results.get('created_at', ''))}</p>\n{body}\n</body></html>\n")


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]], numeric: Sequence[int] = ()) -> str:
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = []
    for r in rows:
        cells = "".join(f'<td class="num">{esc(fmt(v))}</td>' if i in numeric else f"<td>{esc(fmt(v))}</td>"
                        for i, v in enumerate(r))
        body.append(f"<tr>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(body)}</table>"


def _recorded(results: dict[str, Any]) -> str:
    m = results["metrics"]
    out = ["<h2>Replay</h2>", _table(["metric", "value"], [
        ("sessions", m["sessions"]), ("transcripts reproduced", m["transcripts_reproduced"]),
        ("grades reproduced", m["grades_reproduced"]), ("every recorded call used", m["all_calls_played"]),
        ("errors", m["errors"]), ("reproduced rate", m["reproduced_rate"])])]
    rows = [(s["name"], f"{s['item']} ({s.get('engine', '')})", "same" if s.get("transcript_match") else "differs",
             "same" if s.get("grade_match") else "differs", f"{s.get('played', 0)}/{s.get('recorded_calls', 0)}",
             s.get("rating"), s.get("recorded_rating"), s.get("error") or "") for s in results.get("sessions", [])]
    out.append(_table(["session", "item", "transcript", "grade", "calls played", "rating", "recorded rating", "error"], rows))
    if m.get("grader"):
        out.append("<h2>Recorded grades on the replayed sessions, against gold</h2>")
        out.append(_grader({**results, "metrics": m["grader"]}))
    return "\n".join(out)


def _grader(results: dict[str, Any]) -> str:
    m = results["metrics"]
    ind, rat = m["indicators"], m["rating"]
    ci: Callable[[Sequence[float]], str] = lambda c: f"[{c[0]:.3f}, {c[1]:.3f}]"  # noqa: E731
    head = [
        ("rows graded", f"{m['graded']}/{m['rows']}", ""),
        ("indicator macro-F1", fmt(ind["macro_f1"]), ci(ind["macro_f1_ci"])),
        ("indicator micro precision / recall / F1",
         f"{ind['micro']['precision']:.3f} / {ind['micro']['recall']:.3f} / {ind['micro']['f1']:.3f}", ""),
        ("rating exact agreement", fmt(rat["exact"]), ci(rat["exact_ci"])),
        ("rating Cohen's kappa", fmt(rat["kappa"]), ci(rat["kappa_ci"])),
        ("rating quadratic-weighted kappa", fmt(rat["qwk"]), ci(rat["qwk_ci"])),
        ("exceeds<->below error rate", fmt(rat["extreme_error_rate"]), ""),
        ("verbatim-quote rate", f"{m['verbatim']['rate']:.3f} of {m['verbatim']['quotes']} quotes", ""),
        ("flip rate across repeats (rating / indicators)", f"{m['flip_rate']['rating']:.3f} / {m['flip_rate']['indicators']:.3f}", ""),
        ("pass rate (all rows)", fmt(m["pass_rate"]), ""),
        ("latency per transcript (mean / p90, s)", f"{m['latency_s']['mean']:.3f} / {m['latency_s']['p90']:.3f}", ""),
        ("cost per transcript (mean, USD)", fmt(m["cost_usd"]["mean"], 5) if m.get("cost_usd") else "—", ""),
        ("errors", str(m["errors"]), ""),
    ]
    out = ["<h2>Summary</h2>", _table(["metric", "value", "95% bootstrap CI"], head)]
    out.append(f"<p class=\"muted\">pass rule: {esc(results.get('pass_rule', ''))}</p>")
    out += ["<h2>Rating confusion</h2>", confusion_svg(rat["confusion"], rat["labels"])]
    per = ind["per_indicator"]
    out += ["<h2>Per-indicator F1</h2>",
            "<p class=\"muted\">n/a: never present in gold and never predicted (left out of macro-F1).</p>",
            bars_svg([(k, v["f1"] if v.get("defined", True) else None) for k, v in per.items()], title="per-indicator F1",
                     note=[f"(n={v['support']}, P={v['precision']:.2f}, R={v['recall']:.2f})" for v in per.values()])]
    by_item = m["by_item"]
    out += ["<h2>Agreement by item</h2>",
            bars_svg([(k, v["exact"]) for k, v in by_item.items()], title="rating exact agreement by item",
                     note=[f"(n={v['n']}, indicator acc {v['indicator_accuracy']:.2f})" for v in by_item.values()])]
    fams = m["families"]
    out += ["<h2>Hard-case families</h2>",
            _table(["family", "passed", "total", "rate"], [(k, v["passed"], v["total"], v["rate"]) for k, v in fams.items()], (1, 2, 3))]
    if m.get("by_level"):
        out += ["<h2>Exact agreement by level</h2>", _table(["level", "exact"], list(m["by_level"].items()), (1,))]
    out.append("<h2>Rows</h2>")
    rows = []
    for p in results.get("predictions", []):
        pred = p["pred"] or {}
        wrong = [k for k, g in p["gold"]["indicators"].items() if pred.get("indicators", {}).get(k, False) != g]
        errors = [a["error"] for a in p["repeats"] if a.get("error")]
        cls = "good" if p["passed"] else "bad"
        rows.append(f"<tr><td>{esc(p['id'])}</td><td>{esc(p['item'])}</td><td>{esc(p['family'] or '')}</td>"
                    f"<td>{esc(p['gold']['rating'])}</td><td>{esc(pred.get('rating', '—'))}</td>"
                    f"<td class=\"{cls}\">{'pass' if p['passed'] else 'fail'}</td><td>{esc(', '.join(wrong))}</td>"
                    f"<td>{esc('; '.join(errors))}</td></tr>")
    out.append("<table><tr><th>id</th><th>item</th><th>family</th><th>gold</th><th>predicted</th><th></th>"
               "<th>indicators wrong</th><th>errors</th></tr>" + "".join(rows) + "</table>")
    return "\n".join(out)


def _probes(results: dict[str, Any]) -> str:
    m = results["metrics"]
    head = [
        ("leak rate (hidden facts disclosed before asked)", f"{m['leak_rate']:.3f} ({m['leaks']}/{m['leak_opportunities']})"),
        ("disclosure rate once asked", f"{m['disclosure_rate']:.3f} ({m['disclosed_when_asked']}/{m['asked']})"),
        ("tension coverage", f"{m['tension_coverage']:.3f} ({m['tensions_raised']}/{m['tensions_total']})"),
        ("do-not violations", f"{m['do_not_violations']} in {m['replies']} replies"),
        ("per-turn expectations met", f"{m.get('expectations_rate', 0.0):.3f}"),
    ]
    out = ["<h2>Summary</h2>", _table(["metric", "value"], head)]
    probes = m.get("probes", {})
    out += ["<h2>Expectations met by probe</h2>",
            bars_svg([(k, v["expectations_rate"]) for k, v in probes.items()], title="expectations met by probe")]
    out.append("<h2>Turns</h2>")
    for run in results.get("runs", []):
        out.append(f"<details><summary>{esc(run['probe'])} · repeat {esc(run['repeat'])} · "
                   f"{esc(run['met'])}/{esc(run['checks'])} expectations met</summary>")
        rows = [(t["candidate"], t["reply"], ", ".join(t["disclosed"]), ", ".join(t["tensions"]),
                 ", ".join(t["violations"]), "; ".join(t["failures"]) or "ok") for t in run["turns"]]
        out.append(_table(["candidate", "persona reply", "disclosed", "tensions", "do-not broken", "check"], rows))
        out.append("</details>")
    return "\n".join(out)
