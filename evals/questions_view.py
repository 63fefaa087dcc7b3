"""The report's per-question view: the place a maintainer fixes things from. Every question with
its text, gold answers, the answer, why it failed (wrong document retrieved, right document but
wrong sentence, refused, not refused), expected vs retrieved vs used vs cited documents and the
passages given to the generator; filters by kind, language and outcome; sort by latency.
Self-contained HTML (inline CSS and script)."""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from typing import Any

from evals.metrics import gold_match

OUTCOMES = {
    "pass": "pass",
    "wrong_doc": "wrong document retrieved",
    "wrong_sentence": "right document, wrong sentence",
    "refused": "refused (should answer)",
    "not_refused": "not refused (should refuse)",
    "wrong_answer": "wrong answer",
    "error": "error",
}


def outcome(q: dict[str, Any]) -> str:
    """Why a question passed or failed, as one of OUTCOMES."""
    if q.get("error"):
        return "error"
    if not q.get("answerable", True):
        return "pass" if q.get("refused") else "not_refused"
    if q.get("refused"):
        return "refused"
    if q.get("correct"):
        return "pass"
    gold = q.get("gold_ids") or []
    if not gold:
        return "wrong_answer"
    seen = list(q.get("used") or []) + list(q.get("retrieved") or [])
    if not any(gold_match(doc, g) for doc in seen for g in gold):
        return "wrong_doc"
    return "wrong_sentence"


NONE = "<span class='none'>none</span>"


def _docs(ids: Sequence[str], gold: Sequence[str]) -> str:
    if not ids:
        return "<span class='none'>none</span>"
    return " ".join(
        f"<code class='{'gold' if any(gold_match(d, g) for g in gold) else ''}'>{html.escape(d)}</code>"
        for d in ids
    )


_CSS = (
    ".qbar{display:flex;gap:12px;align-items:center;flex-wrap:wrap;margin:.5rem 0 1rem;"
    "position:sticky;top:0;background:#fff;padding:6px 0;z-index:1}"
    ".qbar label{font-size:13px}.qbar select{font:inherit;padding:2px 4px}"
    ".q{border:1px solid #ddd;border-left:6px solid #b3261e;border-radius:6px;margin:6px 0;padding:0}"
    ".q.pass{border-left-color:#137333}.q>summary{cursor:pointer;padding:6px 10px;display:flex;gap:10px;"
    "align-items:baseline;list-style:none}.q>summary::-webkit-details-marker{display:none}"
    ".q .qid{font-family:monospace;color:#555;min-width:7em}.q .qtext{flex:1}"
    ".outcome{font-size:12px;font-weight:600;padding:1px 7px;border-radius:9px;background:#fde7e4;color:#8c1d18;"
    "white-space:nowrap}.q.pass .outcome{background:#e3f4e8;color:#0d5a27}"
    ".meta{font-size:12px;color:#666;white-space:nowrap}.qbody{padding:4px 14px 10px}"
    ".qbody dl{display:grid;grid-template-columns:9em 1fr;gap:4px 10px;margin:0}.qbody dt{color:#555}"
    ".qbody dd{margin:0}code.gold{background:#e3f4e8;color:#0d5a27;font-weight:600}.none{color:#999}"
    ".passage{border-left:3px solid #3a6ea5;margin:4px 0;padding:2px 8px;font-size:13px;white-space:pre-wrap}"
    ".count{font-size:13px;color:#555}"
)

_SCRIPT = """
(() => {
  const list = document.getElementById('questions');
  const items = Array.from(list.children);
  const pick = (id) => document.getElementById(id);
  const apply = () => {
    const kind = pick('f-kind').value, lang = pick('f-lang').value, out = pick('f-outcome').value;
    const order = pick('f-sort').value;
    let shown = 0;
    const sorted = items.slice();
    if (order !== 'dataset') {
      const sign = order === 'latency-desc' ? -1 : 1;
      sorted.sort((a, b) => sign * (parseFloat(a.dataset.latency) - parseFloat(b.dataset.latency)));
    }
    for (const el of sorted) {
      const ok = (!kind || el.dataset.kind === kind) && (!lang || el.dataset.lang === lang) &&
        (!out || el.dataset.outcome === out || (out === 'fail' && el.dataset.outcome !== 'pass'));
      el.hidden = !ok;
      if (ok) shown++;
      list.appendChild(el);
    }
    pick('q-count').textContent = shown + ' of ' + items.length + ' questions';
  };
  for (const id of ['f-kind', 'f-lang', 'f-outcome', 'f-sort']) pick(id).addEventListener('change', apply);
  apply();
})();
"""


def _select(ident: str, label: str, options: Sequence[tuple[str, str]]) -> str:
    opts = "".join(f"<option value='{html.escape(v)}'>{html.escape(t)}</option>" for v, t in options)
    return f"<label>{html.escape(label)} <select id='{ident}' data-testid='{ident}'>{opts}</select></label>"


def questions_html(questions: Sequence[dict[str, Any]]) -> str:
    esc = html.escape
    kinds = sorted({q["kind"] for q in questions})
    langs = sorted({q["lang"] for q in questions})
    present = [o for o in OUTCOMES if any(outcome(q) == o for q in questions)]
    bar = "".join(
        [
            "<div class='qbar'>",
            _select("f-kind", "kind", [("", "all"), *((k, k) for k in kinds)]),
            _select("f-lang", "language", [("", "all"), *((g, g) for g in langs)]),
            _select("f-outcome", "outcome", [("", "all"), ("fail", "every failure"),
                                             *((o, OUTCOMES[o]) for o in present)]),
            _select("f-sort", "sort", [("dataset", "dataset order"), ("latency-desc", "slowest first"),
                                       ("latency-asc", "fastest first")]),
            "<span id='q-count' class='count' data-testid='q-count'></span></div>",
        ]
    )
    items = []
    for q in questions:
        result = outcome(q)
        latency = float((q.get("timings_ms") or {}).get("total", 0.0))
        gold = q.get("gold_ids") or []
        answers = q.get("answers") or []
        passages = q.get("passages") or []
        passage_html = "".join(
            f"<div class='passage'>{_docs([str(p.get('doc_id', ''))], gold)} {esc(str(p.get('text', ''))[:600])}</div>"
            for p in passages
        ) or "<span class='none'>none recorded</span>"
        expected = (
            ", ".join(esc(a) for a in answers) if answers
            else ("<span class='none'>refusal</span>" if not q.get("answerable", True)
                  else "<span class='none'>unknown (draft)</span>")
        )
        body = (
            "<div class='qbody'><dl>"
            f"<dt>question</dt><dd>{esc(q['question'])}</dd>"
            f"<dt>gold answer</dt><dd data-testid='gold'>{expected}</dd>"
            f"<dt>answer</dt><dd data-testid='answer'>{esc(q.get('answer') or '') or NONE}</dd>"
            f"<dt>why</dt><dd data-testid='why'>{esc(OUTCOMES[result])}"
            + (f": {esc(q['error'])}" if q.get("error") else "")
            + f" (score {q.get('score', 0.0):.2f})</dd>"
            f"<dt>expected docs</dt><dd>{_docs(gold, gold)}</dd>"
            f"<dt>retrieved</dt><dd>{_docs(q.get('retrieved') or [], gold)}</dd>"
            f"<dt>given to the generator</dt><dd>{_docs(q.get('used') or [], gold)}</dd>"
            f"<dt>cited</dt><dd>{_docs(q.get('cited') or [], gold)}</dd>"
            f"<dt>passages used</dt><dd>{passage_html}</dd>"
            "</dl></div>"
        )
        items.append(
            f"<details class='q {'pass' if result == 'pass' else 'fail'}' data-testid='question' "
            f"data-id='{esc(q['id'])}' data-kind='{esc(q['kind'])}' data-lang='{esc(q['lang'])}' "
            f"data-outcome='{result}' data-latency='{latency:.1f}'>"
            f"<summary><span class='qid'>{esc(q['id'])}</span>"
            f"<span class='outcome'>{esc(OUTCOMES[result])}</span>"
            f"<span class='qtext'>{esc(q['question'])}</span>"
            f"<span class='meta'>{esc(q['kind'])} · {esc(q['lang'])} · {latency:.0f} ms</span></summary>"
            f"{body}</details>"
        )
    data = json.dumps({"n": len(questions)})
    return (
        f"<style>{_CSS}</style>{bar}<div id='questions' data-meta='{esc(data)}'>{''.join(items)}</div>"
        f"<script>{_SCRIPT}</script>"
    )
