"""Writing an eval report: report.json (the figures, exact keys), report.md (tables) and a
self-contained report.html (inline CSS and SVG charts, no external asset)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from evals.gate import gate_check, gate_note, load_thresholds
from evals.summary import SECTIONS, STAGES

HEADLINE = (
    ("retrieval", "recall@1"),
    ("retrieval", "recall@5"),
    ("retrieval", "recall@10"),
    ("retrieval", "mrr@10"),
    ("retrieval", "ndcg@10"),
    ("answers", "accuracy"),
    ("answers", "token_f1"),
    ("citations", "precision"),
    ("citations", "recall"),
    ("citations", "supported"),
    ("refusal", "f1"),
)
# Figures where a drop is an improvement.
LOWER_IS_BETTER = ("latency_ms", "false_refusals", "unsupported_removed")


def write_reports(
    report: dict[str, Any], out_dir: Path, thresholds: dict[str, Any] | None = None
) -> dict[str, Path]:
    """report.json/.md/.html; the figures are checked against `thresholds` (default the CI gate,
    evals/thresholds.json)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    gate = thresholds if thresholds is not None else load_thresholds()
    paths = {"json": out_dir / "report.json", "md": out_dir / "report.md", "html": out_dir / "report.html"}
    paths["json"].write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    paths["md"].write_text(render_markdown(report, gate), encoding="utf-8")
    paths["html"].write_text(render_html(report, gate), encoding="utf-8")
    return paths


def load_report(path: Path) -> dict[str, Any]:
    from evals.dataset import DatasetError

    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as exc:
        raise DatasetError(f"{path}: not a readable report.json ({exc})") from exc
    if not isinstance(data, dict) or "questions" not in data:
        raise DatasetError(f"{path}: not an eval report (no 'questions')")
    return data


# --- formatting helpers ------------------------------------------------------------------------


def fmt(value: Any) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def arrow(delta: Any, path: Sequence[str]) -> str:
    """'▲ +0.050' / '▼ -0.020' / '= 0'; coloured by whether the change is good in HTML."""
    if not isinstance(delta, int | float) or isinstance(delta, bool):
        return ""
    if abs(delta) < 1e-9:
        return "= 0"
    sign = "▲" if delta > 0 else "▼"
    return f"{sign} {delta:+.3f}" if isinstance(delta, float) else f"{sign} {delta:+d}"


def is_good(delta: float, path: Sequence[str]) -> bool:
    lower = any(part in LOWER_IS_BETTER for part in path)
    return (delta < 0) if lower else (delta > 0)


def _short(section: str, key: str) -> str:
    """Column label in group tables: citation and refusal figures keep their section."""
    return {"citations": f"citation {key}", "refusal": f"refusal {key}"}.get(section, key)


def _flat(section: dict[str, Any], prefix: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    rows: list[tuple[tuple[str, ...], Any]] = []
    for key, value in section.items():
        if isinstance(value, dict):
            rows.extend(_flat(value, (*prefix, key)))
        else:
            rows.append(((*prefix, key), value))
    return rows


def _lookup(tree: Any, path: Sequence[str]) -> Any:
    for part in path:
        if not isinstance(tree, dict) or part not in tree:
            return None
        tree = tree[part]
    return tree


# --- markdown ----------------------------------------------------------------------------------


def render_markdown(report: dict[str, Any], thresholds: dict[str, Any] | None = None) -> str:
    config, n, delta = report["config"], report["n"], report.get("delta")
    gate = thresholds or {}
    lines = [
        f"# Eval report: {Path(str(config.get('dataset', ''))).name}",
        "",
        *_mismatch_md(delta),
        f"{n['total']} questions ({n['answerable']} answerable, {n['with_gold']} with gold documents), "
        f"generator `{config.get('generator')}`, k={config.get('k')}, commit `{config.get('git_commit')}`.",
        "",
        "| figure | value | CI gate |" + (" change |" if delta else ""),
        "|---|---|---|" + ("---|" if delta else ""),
    ]
    for section in SECTIONS:
        for path, value in _flat(report[section]):
            full = (section, *path)
            change = f" {arrow(_lookup(delta, full), full)} |" if delta else ""
            check = gate_check(gate, ".".join(full), value)
            verdict = f"{check[0]} {'pass' if check[1] else '**FAIL**'}" if check else ""
            lines.append(f"| {'.'.join(full)} | {fmt(value)} | {verdict} |{change}")
    note = gate_note(report, gate)
    if note:
        lines += ["", f"_{note}_"]
    for grouping in ("by_lang", "by_kind"):
        lines += ["", f"## {grouping.replace('_', ' ')}", "", _group_table_md(report[grouping])]
    if report.get("judge"):
        lines += [
            "",
            f"Judge faithfulness: {fmt(report['judge']['faithfulness'])} over {report['judge']['n']}.",
        ]
    if delta:
        lines += ["", "## Flipped questions", ""]
        for name, items in delta["flips"].items():
            lines.append(
                f"- **{name.replace('_', ' ')}** ({len(items)}): " + ", ".join(q["id"] for q in items)
            )
    lines += [
        "",
        "## Configuration",
        "",
        "```json",
        json.dumps(config, indent=2, ensure_ascii=False),
        "```",
        "",
    ]
    return "\n".join(lines)


def _mismatch_md(delta: dict[str, Any] | None) -> list[str]:
    problems = ((delta or {}).get("baseline") or {}).get("mismatch") or []
    if not problems:
        return []
    return [
        "> **⚠ WARNING: the baseline is not comparable; its changes below may mean nothing.**",
        *(f"> - {p}" for p in problems),
        "",
    ]


def _group_table_md(groups: dict[str, Any]) -> str:
    head = "| group | n | " + " | ".join(_short(s, k) for s, k in HEADLINE) + " | p50 total ms |"
    rows = [head, "|" + "---|" * (len(HEADLINE) + 3)]
    for name, group in groups.items():
        cells = [fmt(group[s][k]) for s, k in HEADLINE]
        rows.append(
            f"| {name} | {group['n']['total']} | "
            + " | ".join(cells)
            + f" | {fmt(group['latency_ms']['total']['p50'])} |"
        )
    return "\n".join(rows)


# --- html --------------------------------------------------------------------------------------

_CSS = (
    "body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}"
    "table{border-collapse:collapse;margin:.5rem 0 1.5rem}"
    "td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}"
    "th:first-child,td:first-child{text-align:left}.good{color:#137333}.bad{color:#b3261e}"
    "svg{display:block;margin:.5rem 0}details{margin:.3rem 0}code{background:#f4f4f4;padding:0 3px}"
    ".warn{border:3px solid #b3261e;background:#fde7e4;color:#5c0f0b;padding:10px 14px;border-radius:6px;"
    "margin:1rem 0}.warn strong{font-size:16px}.gate-pass{color:#137333;font-weight:600}"
    ".gate-fail{color:#fff;background:#b3261e;font-weight:600}.note{color:#555;font-style:italic}"
)


def render_html(report: dict[str, Any], thresholds: dict[str, Any] | None = None) -> str:
    from evals.questions_view import questions_html

    config, n, delta = report["config"], report["n"], report.get("delta")
    gate = thresholds or {}
    esc = html.escape
    name = esc(Path(str(config.get("dataset", ""))).name)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Eval report {name}</title><style>{_CSS}</style></head><body>",
        f"<h1>Eval report: {name}</h1>",
        _mismatch_html(delta),
        f"<p>{n['total']} questions ({n['answerable']} answerable, {n['with_gold']} with gold documents); "
        f"generator <code>{esc(str(config.get('generator')))}</code>, k={esc(str(config.get('k')))}, "
        f"commit <code>{esc(str(config.get('git_commit')))}</code>.</p>",
        "<h2>Headline figures</h2>",
        bar_chart(
            [(f"{s}.{k}", report[s][k]) for s, k in HEADLINE],
            baseline=[_base_value(report[s][k], _lookup(delta, (s, k))) for s, k in HEADLINE] if delta else None,
        ),
        "<p class='note'>Dark tick: the baseline's value.</p>" if delta else "",
        "<h2>All figures</h2>",
        _figures_table(report, delta, gate),
        f"<p class='note' data-testid='gate-note'>{esc(gate_note(report, gate) or '')}</p>",
    ]
    for grouping, title in (("by_lang", "By question language"), ("by_kind", "By kind")):
        groups = report[grouping]
        parts.append(f"<h2>{title}</h2>")
        for metric in (("answers", "accuracy"), ("retrieval", "recall@5")):
            parts.append(f"<h3>{'.'.join(metric)}</h3>")
            parts.append(bar_chart([(name, g[metric[0]][metric[1]]) for name, g in groups.items()]))
        parts.append(_group_table_html(groups))
    totals = [q["timings_ms"].get("total", 0.0) for q in report["questions"] if q.get("timings_ms")]
    parts += ["<h2>Latency (total, ms)</h2>", histogram(totals)]
    if delta:
        parts.append("<h2>Flipped questions</h2>")
        for name, items in delta["flips"].items():
            rows = "".join(
                f"<tr><td>{esc(q['id'])}</td><td>{esc(q['question'])}</td><td>{esc(q['before'][:200])}</td>"
                f"<td>{esc(q['after'][:200])}</td></tr>"
                for q in items
            )
            parts.append(
                f"<details><summary>{esc(name.replace('_', ' '))} ({len(items)})</summary><table>"
                f"<tr><th>id</th><th>question</th><th>before</th><th>after</th></tr>{rows}</table></details>"
            )
    parts.append("<h2 id='every-question'>Every question</h2>")
    parts.append(questions_html(report["questions"]))
    parts.append(f"<h2>Configuration</h2><pre>{esc(json.dumps(config, indent=2, ensure_ascii=False))}</pre>")
    parts.append("</body></html>\n")
    return "\n".join(parts)


def _base_value(value: Any, change: Any) -> float | None:
    if isinstance(value, int | float) and isinstance(change, int | float):
        return float(value) - float(change)
    return None


def _mismatch_html(delta: dict[str, Any] | None) -> str:
    problems = ((delta or {}).get("baseline") or {}).get("mismatch") or []
    if not problems:
        return ""
    items = "".join(f"<li>{html.escape(p)}</li>" for p in problems)
    return (
        "<div class='warn' role='alert' data-testid='baseline-warning'><strong>⚠ The baseline is not comparable:"
        f" the changes below may mean nothing.</strong><ul>{items}</ul></div>"
    )


def _figures_table(report: dict[str, Any], delta: dict[str, Any] | None, gate: dict[str, Any]) -> str:
    rows = [
        "<table data-testid='figures'><tr><th>figure</th><th>value</th><th>CI gate</th>"
        + ("<th>change</th>" if delta else "") + "</tr>"
    ]
    for section in SECTIONS:
        for path, value in _flat(report[section]):
            full = (section, *path)
            check = gate_check(gate, ".".join(full), value)
            gate_cell = (
                f"<td class='{'gate-pass' if check[1] else 'gate-fail'}' data-testid='gate'>"
                f"{html.escape(check[0])} {'pass' if check[1] else 'FAIL'}</td>"
                if check else "<td></td>"
            )
            cell = ""
            if delta:
                change = _lookup(delta, full)
                cls = (
                    ""
                    if not isinstance(change, int | float) or not change
                    else ("good" if is_good(change, full) else "bad")
                )
                cell = f"<td class='{cls}'>{html.escape(arrow(change, full))}</td>"
            rows.append(
                f"<tr data-figure='{html.escape('.'.join(full))}'><td>{html.escape('.'.join(full))}</td>"
                f"<td>{fmt(value)}</td>{gate_cell}{cell}</tr>"
            )
    rows.append("</table>")
    return "".join(rows)


def _group_table_html(groups: dict[str, Any]) -> str:
    head = "".join(f"<th>{html.escape(_short(s, k))}</th>" for s, k in HEADLINE)
    rows = [f"<table><tr><th>group</th><th>n</th>{head}<th>p50 total ms</th></tr>"]
    for name, g in groups.items():
        cells = "".join(f"<td>{fmt(g[s][k])}</td>" for s, k in HEADLINE)
        rows.append(
            f"<tr><td>{html.escape(name)}</td><td>{g['n']['total']}</td>{cells}"
            f"<td>{fmt(g['latency_ms']['total']['p50'])}</td></tr>"
        )
    rows.append("</table>")
    return "".join(rows)


def bar_chart(
    items: Sequence[tuple[str, float | None]], width: int = 640, baseline: Sequence[float | None] | None = None
) -> str:
    """Horizontal bars for 0-1 figures, as inline SVG; with `baseline`, a tick at each baseline value."""
    row, label_w = 22, 190
    height = row * len(items) + 10
    bar_w = width - label_w - (140 if baseline else 60)
    out = [f"<svg width='{width}' height='{height}' role='img'>"]
    for i, (label, value) in enumerate(items):
        y = 5 + i * row
        v = max(0.0, min(1.0, value)) if isinstance(value, int | float) else 0.0
        out.append(
            f"<text x='{label_w - 6}' y='{y + 15}' text-anchor='end' font-size='12'>"
            f"{html.escape(label)}</text>"
        )
        out.append(f"<rect x='{label_w}' y='{y + 3}' width='{bar_w}' height='14' fill='#eee'/>")
        out.append(f"<rect x='{label_w}' y='{y + 3}' width='{bar_w * v:.1f}' height='14' fill='#3a6ea5'/>")
        base = baseline[i] if baseline else None
        if isinstance(base, int | float):
            x = label_w + bar_w * max(0.0, min(1.0, base))
            out.append(
                f"<line x1='{x:.1f}' x2='{x:.1f}' y1='{y}' y2='{y + 20}' stroke='#111' stroke-width='3'>"
                f"<title>baseline {base:.3f}</title></line>"
            )
        label = fmt(value) + (f" (base {base:.3f})" if isinstance(base, int | float) else "")
        out.append(f"<text x='{label_w + bar_w + 6}' y='{y + 15}' font-size='12'>{html.escape(label)}</text>")
    out.append("</svg>")
    return "".join(out)


def histogram(values: Sequence[float], bins: int = 20, width: int = 640, height: int = 180) -> str:
    """Latency histogram as inline SVG."""
    if not values:
        return "<p>No timings.</p>"
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    counts = [0] * bins
    for v in values:
        counts[min(bins - 1, int((v - low) / span * bins))] += 1
    top = max(counts)
    plot_h, bar_w = height - 30, (width - 20) / bins
    out = [f"<svg width='{width}' height='{height}' role='img'>"]
    for i, c in enumerate(counts):
        h = plot_h * c / top
        start, end = low + i * span / bins, low + (i + 1) * span / bins
        out.append(
            f"<rect x='{10 + i * bar_w:.1f}' y='{10 + plot_h - h:.1f}' width='{bar_w - 2:.1f}' "
            f"height='{h:.1f}' fill='#3a6ea5'><title>{start:.0f}-{end:.0f} ms: {c}</title></rect>"
        )
    out.append(f"<text x='10' y='{height - 4}' font-size='12'>{low:.0f} ms</text>")
    out.append(
        f"<text x='{width - 10}' y='{height - 4}' font-size='12' text-anchor='end'>{high:.0f} ms</text>"
    )
    out.append("</svg>")
    return "".join(out)


__all__ = ["STAGES", "load_report", "render_html", "render_markdown", "write_reports"]
