"""From per-question results to the report's figures (overall, per language, per kind), and the
comparison with a baseline report (deltas and flipped questions)."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from evals import metrics
from evals.runner import RETRIEVAL_DEPTH, QuestionResult

SECTIONS = ("retrieval", "answers", "citations", "refusal", "latency_ms")
STAGES = ("retrieve", "generate", "total")


def summarize(results: Sequence[QuestionResult]) -> dict[str, Any]:
    """Every figure of the report for one group of questions. A figure with no question to
    measure it on (e.g. retrieval over unanswerable questions) is None."""
    answerable = [r for r in results if r.answerable]
    with_gold = [r for r in answerable if r.gold_ids]
    return {
        "retrieval": _retrieval(with_gold),
        "answers": _answers(results, answerable),
        "citations": _citations(answerable, with_gold, results),
        "refusal": _refusal(results),
        "latency_ms": {
            stage: metrics.latency_summary([r.timings_ms.get(stage, 0.0) for r in results if r.timings_ms])
            for stage in STAGES
        },
        "n": _counts(results),
    }


def build_report(results: Sequence[QuestionResult], config: dict[str, Any]) -> dict[str, Any]:
    overall = summarize(results)
    report: dict[str, Any] = {section: overall[section] for section in SECTIONS}
    report["by_lang"] = {k: summarize(v) for k, v in _group(results, lambda r: r.lang).items()}
    report["by_kind"] = {k: summarize(v) for k, v in _group(results, lambda r: r.kind).items()}
    report["n"] = {
        **overall["n"],
        "by_lang": {k: len(v) for k, v in _group(results, lambda r: r.lang).items()},
        "by_kind": {k: len(v) for k, v in _group(results, lambda r: r.kind).items()},
    }
    report["config"] = config
    report["judge"] = _judge(results)
    report["questions"] = [r.to_dict() for r in results]
    return report


# --- sections ----------------------------------------------------------------------------------


def _mean_or_none(values: list[float]) -> float | None:
    return metrics.mean(values) if values else None


def _retrieval(with_gold: Sequence[QuestionResult]) -> dict[str, float | None]:
    rows = [r for r in with_gold if r.error is None]
    depth = RETRIEVAL_DEPTH
    return {
        "recall@1": _mean_or_none([metrics.recall_at(r.retrieved, r.gold_ids, 1) for r in rows]),
        "recall@5": _mean_or_none([metrics.recall_at(r.retrieved, r.gold_ids, 5) for r in rows]),
        f"recall@{depth}": _mean_or_none([metrics.recall_at(r.retrieved, r.gold_ids, depth) for r in rows]),
        f"mrr@{depth}": _mean_or_none([metrics.mrr_at(r.retrieved, r.gold_ids, depth) for r in rows]),
        f"ndcg@{depth}": _mean_or_none([metrics.ndcg_at(r.retrieved, r.gold_ids, depth) for r in rows]),
    }


def _answers(
    results: Sequence[QuestionResult], answerable: Sequence[QuestionResult]
) -> dict[str, float | None]:
    lists = [r for r in answerable if r.kind == "list"]
    yesno = [r for r in answerable if r.kind == "yesno"]
    answered = [r for r in results if r.answer_language is not None]
    return {
        "accuracy": _mean_or_none([r.score for r in results]),
        "accuracy_answerable": _mean_or_none([r.score for r in answerable]),
        "token_f1": _mean_or_none([r.token_f1 for r in answerable]),
        "list_f1": _mean_or_none([r.score for r in lists]),
        "yesno_accuracy": _mean_or_none([r.score for r in yesno]),
        # share of answers written in the question's language (answers only, not refusals)
        "in_question_language": _mean_or_none([float(r.answer_language == r.lang) for r in answered]),
    }


def _citations(
    answerable: Sequence[QuestionResult],
    with_gold: Sequence[QuestionResult],
    results: Sequence[QuestionResult],
) -> dict[str, float | int | None]:
    precision = [
        sum(1 for c in r.cited if any(metrics.gold_match(c, g) for g in r.gold_ids)) / len(r.cited)
        for r in with_gold
        if r.cited
    ]
    recall = [
        sum(1 for g in set(r.gold_ids) if any(metrics.gold_match(c, g) for c in r.cited))
        / len(set(r.gold_ids))
        for r in with_gold
    ]
    cited = sum(r.cited_sentences for r in results)
    supported = sum(r.supported_sentences for r in results)
    return {
        "precision": _mean_or_none(precision),
        "recall": _mean_or_none(recall),
        "supported": supported / cited if cited else None,
        "unsupported_removed": sum(r.unsupported_removed for r in results),
    }


def _refusal(results: Sequence[QuestionResult]) -> dict[str, Any]:
    return metrics.refusal_scores([r.refused for r in results], [r.answerable for r in results])


def _counts(results: Sequence[QuestionResult]) -> dict[str, int]:
    return {
        "total": len(results),
        "answerable": sum(1 for r in results if r.answerable),
        "unanswerable": sum(1 for r in results if not r.answerable),
        "with_gold": sum(1 for r in results if r.answerable and r.gold_ids),
        "errors": sum(1 for r in results if r.error),
    }


def _judge(results: Sequence[QuestionResult]) -> dict[str, Any] | None:
    scores = [r.judge for r in results if r.judge is not None]
    return {"faithfulness": metrics.mean(scores), "n": len(scores)} if scores else None


def _group(
    results: Sequence[QuestionResult], key: Callable[[QuestionResult], str]
) -> dict[str, list[QuestionResult]]:
    groups: dict[str, list[QuestionResult]] = defaultdict(list)
    for r in results:
        groups[key(r)].append(r)
    return dict(sorted(groups.items()))


# --- baseline comparison -----------------------------------------------------------------------


def compare(report: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """Per-figure change (current - baseline) for every number present in both, overall and per
    group, and the questions whose outcome flipped."""
    delta: dict[str, Any] = {s: _diff(report.get(s), baseline.get(s)) for s in SECTIONS}
    for grouping in ("by_lang", "by_kind"):
        delta[grouping] = {
            name: {s: _diff(group.get(s), baseline.get(grouping, {}).get(name, {}).get(s)) for s in SECTIONS}
            for name, group in report.get(grouping, {}).items()
            if name in baseline.get(grouping, {})
        }
    delta["flips"] = flips(report.get("questions", []), baseline.get("questions", []))
    delta["baseline"] = {
        "commit": baseline.get("config", {}).get("git_commit"),
        "dataset_sha256": baseline.get("config", {}).get("dataset_sha256"),
        "mismatch": baseline_mismatch(report, baseline),
    }
    return delta


SETTINGS_KEYS = ("generator", "k", "embedders", "chunking", "fusion", "min_relevance", "retrieval_depth", "judge")


def baseline_mismatch(report: dict[str, Any], baseline: dict[str, Any]) -> list[str]:
    """Why the comparison may mean nothing: the baseline ran other questions, another corpus or
    other settings. Empty when both runs are alike."""
    now, base = report.get("config", {}), baseline.get("config", {})
    problems: list[str] = []
    ids_now = [q.get("id") for q in report.get("questions", [])]
    ids_base = [q.get("id") for q in baseline.get("questions", [])]
    if set(ids_now) != set(ids_base) or now.get("dataset_sha256") != base.get("dataset_sha256"):
        common = len(set(ids_now) & set(ids_base))
        problems.append(
            f"other questions: the baseline ran {len(ids_base)} questions "
            f"({Path(str(base.get('dataset', '?'))).name}, limit {base.get('limit')}), this run {len(ids_now)} "
            f"({Path(str(now.get('dataset', '?'))).name}, limit {now.get('limit')}); {common} in common"
        )
    corpus_now, corpus_base = now.get("corpus") or {}, base.get("corpus") or {}
    if isinstance(corpus_now, dict) and isinstance(corpus_base, dict) and (
        corpus_now.get("fingerprint") != corpus_base.get("fingerprint")
        or corpus_now.get("paths") != corpus_base.get("paths")
    ):
        problems.append(
            f"another corpus: the baseline indexed {corpus_base.get('files', '?')} files "
            f"({', '.join(map(str, corpus_base.get('paths') or [])) or '?'}), this run "
            f"{corpus_now.get('files', '?')} ({', '.join(map(str, corpus_now.get('paths') or [])) or '?'})"
        )
    changed = [
        f"{key} {json.dumps(base.get(key), sort_keys=True)} → {json.dumps(now.get(key), sort_keys=True)}"
        for key in SETTINGS_KEYS
        if (key in now or key in base) and now.get(key) != base.get(key)
    ]
    if changed:
        problems.append("other settings: " + "; ".join(changed))
    return problems


def _diff(current: Any, base: Any) -> Any:
    if isinstance(current, dict) and isinstance(base, dict):
        return {
            k: _diff(v, base[k]) for k, v in current.items() if k in base and _diff(v, base[k]) is not None
        }
    if isinstance(current, bool) or isinstance(base, bool):
        return None
    if isinstance(current, int | float) and isinstance(base, int | float):
        return round(current - base, 6)
    return None


def flips(
    current: Sequence[dict[str, Any]], baseline: Sequence[dict[str, Any]]
) -> dict[str, list[dict[str, Any]]]:
    before = {q["id"]: q for q in baseline}
    out: dict[str, list[dict[str, Any]]] = {
        "correct_to_wrong": [],
        "wrong_to_correct": [],
        "newly_refused": [],
        "no_longer_refused": [],
    }
    for q in current:
        old = before.get(q["id"])
        if old is None:
            continue
        entry = {
            "id": q["id"],
            "question": q["question"],
            "before": old.get("answer", ""),
            "after": q.get("answer", ""),
        }
        if old.get("correct") and not q.get("correct"):
            out["correct_to_wrong"].append(entry)
        elif not old.get("correct") and q.get("correct"):
            out["wrong_to_correct"].append(entry)
        if q.get("refused") and not old.get("refused"):
            out["newly_refused"].append(entry)
        elif old.get("refused") and not q.get("refused"):
            out["no_longer_refused"].append(entry)
    return out
