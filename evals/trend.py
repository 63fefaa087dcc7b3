"""`exchange-assistant eval trend DIR`: one self-contained page with each headline figure per
commit and date, across the report.json files kept under DIR (one line chart per figure and
dataset, and the table of values)."""

from __future__ import annotations

import html
import json
from collections import defaultdict
from pathlib import Path
from typing import Any

from evals.report import HEADLINE, fmt

COLOURS = ("#3a6ea5", "#b3261e", "#137333", "#8e44ad", "#c77700", "#00838f")


def collect(folder: Path) -> list[dict[str, Any]]:
    """Every report under `folder`, oldest first: dataset, commit, date, figures."""
    runs = []
    for path in sorted(folder.rglob("report.json")):
        try:
            report = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(report, dict) or "questions" not in report:
            continue
        config = report.get("config", {})
        runs.append(
            {
                "path": str(path.parent.relative_to(folder)),
                "dataset": Path(str(config.get("dataset", "?"))).name,
                "commit": str(config.get("git_commit", "?")) + ("+" if config.get("git_dirty") else ""),
                "date": str(config.get("created_utc") or path.parent.name[:15]),
                "n": (report.get("n") or {}).get("total"),
                "generator": config.get("generator"),
                "figures": {f"{s}.{k}": (report.get(s) or {}).get(k) for s, k in HEADLINE},
                "p50": (((report.get("latency_ms") or {}).get("total")) or {}).get("p50"),
            }
        )
    runs.sort(key=lambda r: r["date"])
    return runs


def line_chart(series: dict[str, list[float | None]], labels: list[str], width: int = 640, height: int = 160) -> str:
    """0-1 figures over runs, one polyline per series (inline SVG)."""
    left, right, top, bottom = 80, 70, 10, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    step = plot_w / max(1, len(labels) - 1)
    out = [f"<svg width='{width}' height='{height}' role='img'>"]
    for v in (0.0, 0.5, 1.0):
        y = top + plot_h * (1 - v)
        out.append(f"<line x1='{left}' x2='{width - right}' y1='{y:.1f}' y2='{y:.1f}' stroke='#eee'/>")
        out.append(f"<text x='{left - 28}' y='{y + 4:.1f}' font-size='11' text-anchor='end'>{v:.1f}</text>")
    for index, (name, values) in enumerate(series.items()):
        colour = COLOURS[index % len(COLOURS)]
        points = [
            (left + i * step, top + plot_h * (1 - max(0.0, min(1.0, v))))
            for i, v in enumerate(values)
            if isinstance(v, int | float)
        ]
        if len(points) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
            out.append(f"<polyline points='{path}' fill='none' stroke='{colour}' stroke-width='2'/>")
        for (x, y), v in zip(points, [v for v in values if isinstance(v, int | float)], strict=True):
            out.append(f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='{colour}'><title>{html.escape(name)} "
                       f"{v:.3f}</title></circle>")
    for i, label in enumerate(labels):
        out.append(f"<text x='{left + i * step:.1f}' y='{height - 6}' font-size='10' text-anchor='middle'>"
                   f"{html.escape(label)}</text>")
    out.append("</svg>")
    return "".join(out)


def render_trend(runs: list[dict[str, Any]], folder: Path) -> str:
    esc = html.escape
    by_dataset: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for run in runs:
        by_dataset[run["dataset"]].append(run)
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Eval trend</title><style>"
        "body{font:14px/1.45 system-ui,sans-serif;margin:2rem auto;max-width:1100px;color:#222;padding:0 1rem}"
        "table{border-collapse:collapse;margin:.5rem 0 1.5rem}td,th{border:1px solid #ddd;padding:3px 8px;"
        "text-align:right}th:first-child,td:first-child{text-align:left}.legend span{margin-right:12px}"
        "</style></head><body>",
        f"<h1>Eval trend: {esc(str(folder))}</h1>",
        f"<p>{len(runs)} reports, {len(by_dataset)} dataset(s). Each headline figure per commit and date.</p>",
    ]
    if not runs:
        parts.append("<p>No report.json under this folder.</p>")
    for dataset, items in sorted(by_dataset.items()):
        labels = [f"{r['commit']} {r['date'][:10]}" for r in items]
        parts.append(f"<section data-testid='trend-dataset' data-dataset='{esc(dataset)}'><h2>{esc(dataset)}</h2>")
        for section in ("retrieval", "answers", "citations", "refusal"):
            names = [f"{s}.{k}" for s, k in HEADLINE if s == section]
            series = {name: [r["figures"].get(name) for r in items] for name in names}
            legend = "".join(
                f"<span style='color:{COLOURS[i % len(COLOURS)]}'>■ {esc(name)}</span>" for i, name in enumerate(names)
            )
            parts.append(f"<h3>{section}</h3><div class='legend'>{legend}</div>{line_chart(series, labels)}")
        head = "".join(f"<th>{esc(s + '.' + k)}</th>" for s, k in HEADLINE)
        rows = "".join(
            f"<tr data-testid='trend-row'><td>{esc(r['date'])}</td><td><code>{esc(r['commit'])}</code></td>"
            f"<td>{r['n']}</td><td>{esc(str(r['generator']))}</td>"
            + "".join(f"<td>{fmt(r['figures'].get(f'{s}.{k}'))}</td>" for s, k in HEADLINE)
            + f"<td>{fmt(r['p50'])}</td><td>{esc(r['path'])}</td></tr>"
            for r in items
        )
        parts.append(
            f"<table><tr><th>date</th><th>commit</th><th>n</th><th>generator</th>{head}<th>p50 ms</th>"
            f"<th>report</th></tr>{rows}</table></section>"
        )
    parts.append("</body></html>\n")
    return "\n".join(parts)


def write_trend(folder: Path, out: Path | None = None) -> tuple[Path, int]:
    runs = collect(folder)
    target = out or folder / "trend.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(render_trend(runs, folder), encoding="utf-8")
    return target, len(runs)
