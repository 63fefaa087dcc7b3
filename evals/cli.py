"""`exchange-assistant eval`: ingest the given corpora into an eval collection of their own, run a
dataset through the assistant, write report.json/.md/.html; `eval convert` prepares public sets.

The eval index lives under `<data_dir>/evals/` (never the user's collection). Its collection name
is derived from the corpus paths and the index spec, so it is reused from run to run; a
fingerprint of the corpus files (paths, sizes, mtimes) decides whether ingest must run again
(incrementally) or can be skipped.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.cli import GENERATOR_HELP
from assistant.settings import GENERATORS
from evals.paths import DATASETS, REPO_ROOT, default_data_root

if TYPE_CHECKING:
    from assistant.index.store import IndexSpec


def _shared_data() -> Path | None:
    """The shared benchmark data folder, when it exists."""
    root = default_data_root()
    return root if root.is_dir() else None


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("eval", parents=[common], help="run an eval dataset and write a report")
    p.add_argument(
        "--corpus", action="append", type=Path, default=[], help="folder or file to ingest (repeatable)"
    )
    p.add_argument("--dataset", type=Path, help="questions, JSON Lines (see evals/datasets/README.md)")
    p.add_argument("--generator", choices=GENERATORS, help=GENERATOR_HELP)
    p.add_argument("--k", type=int, help="passages given to the generator (default: settings top_k)")
    p.add_argument(
        "--out", type=Path, help="report folder (default evals/reports/<UTC date-time>-<git sha>-<dataset>)"
    )
    p.add_argument("--baseline", type=Path, help="an earlier report.json to compare with")
    p.add_argument("--limit", type=int, help="only the first N questions")
    p.add_argument("--data", type=Path, default=None, help="public data root (default ../shared/data)")
    p.add_argument("--judge", action="store_true", help="add LLM-judge faithfulness (judge_base_url)")
    p.set_defaults(handler=cmd_eval)

    sub = p.add_subparsers(dest="eval_command")
    c = sub.add_parser("convert", parents=[common], help="convert a public QA set (xquad, squad-v2)")
    c.add_argument("source", choices=["xquad", "squad-v2"], help="which public set to convert")
    c.add_argument("--data", type=Path, default=None, help="public data root (default ../shared/data)")
    c.add_argument("--out", type=Path, help="work folder (default <data_dir>/evals/work/<source>)")
    c.add_argument("--lang", default="en", help="question language (xquad)")
    c.add_argument("--corpus-lang", help="corpus language (xquad; default = --lang)")
    c.add_argument("--sample", type=int, help="keep a random N questions (seeded)")
    c.add_argument("--seed", type=int, default=0, help="random seed of --sample (default 0)")
    c.add_argument("--articles", type=int, help="squad-v2: only the first N articles (smaller corpus)")
    c.set_defaults(handler=cmd_convert)

    c = sub.add_parser(
        "trend", parents=[common], help="a page of each headline figure per commit/date across the reports in DIR"
    )
    c.add_argument("folder", type=Path, metavar="DIR", help="folder holding report folders (e.g. evals/reports)")
    c.add_argument("--out", type=Path, help="page to write (default DIR/trend.html)")
    c.set_defaults(handler=cmd_trend)


def cmd_trend(args: argparse.Namespace) -> int:
    from evals.dataset import DatasetError
    from evals.trend import write_trend

    if not args.folder.is_dir():
        raise DatasetError(f"eval trend {args.folder}: not a folder")
    out, count = write_trend(args.folder, args.out)
    print(f"trend of {count} report(s): {out}")
    return 0


# --- eval -----------------------------------------------------------------------------------------


def cmd_eval(args: argparse.Namespace) -> int:
    from assistant.components import build_assistant, build_chroma_client, build_encoders, index_spec
    from assistant.settings import load_settings
    from evals.dataset import DatasetError, dataset_sha256, load_dataset
    from evals.report import load_report, write_reports
    from evals.runner import run_eval
    from evals.summary import build_report, compare

    if not args.corpus or args.dataset is None:
        raise DatasetError("eval: --corpus and --dataset are required (or use `eval convert ...`)")
    data_root = args.data or _shared_data()
    corpora = [_resolve(path, data_root, "--corpus") for path in args.corpus]
    dataset = _resolve(args.dataset, data_root, "--dataset", also=DATASETS)
    records = load_dataset(dataset, limit=args.limit)
    baseline = load_report(args.baseline) if args.baseline else None

    settings = load_settings(args, top_k=args.k)
    eval_dir = settings.data_dir / "evals"
    encoders = build_encoders(settings)  # models load lazily, on first use
    spec = index_spec(settings, encoders)
    eval_settings = settings.model_copy(update={"collection": eval_collection_name(corpora, spec)})
    client = build_chroma_client(settings.model_copy(update={"data_dir": eval_dir}))
    assistant = build_assistant(eval_settings, generator=args.generator, client=client, encoders=encoders)
    corpus_info = ensure_eval_index(corpora, assistant, eval_settings, eval_dir / "collections.json")

    judge = _build_judge(settings) if args.judge else None
    started = time.perf_counter()
    results = run_eval(assistant, records, judge=judge)
    config = {
        "dataset": str(dataset),
        "dataset_sha256": dataset_sha256(dataset),
        "limit": args.limit,
        "generator": assistant.generator.name,
        "embedders": dict(spec.encoders),
        "chunking": {"size": spec.chunk_size, "overlap": spec.chunk_overlap},
        "k": assistant.limits.top_k,
        "evidence_chars": assistant.limits.evidence_chars,
        "retrieval_depth": 10,
        "fusion": retriever_config(assistant.retriever),
        "min_relevance": assistant.policy.min_relevance,
        "min_relevance_crosslingual": assistant.policy.min_relevance_crosslingual,
        "corpus": corpus_info,
        "judge": settings.judge_model if judge else None,
        **git_info(),
        "created_utc": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "seconds": round(time.perf_counter() - started, 1),
    }
    report = build_report(results, config)
    if baseline is not None:
        report["delta"] = compare(report, baseline)
    out = args.out or default_out_dir(config["git_commit"], dataset.stem)
    paths = write_reports(report, out)
    for problem in (report.get("delta") or {}).get("baseline", {}).get("mismatch", []):
        print(f"WARNING: the baseline is not comparable: {problem}", file=sys.stderr)
    print(_summary_line(report))
    print(f"report: {paths['md']}  ({paths['html'].name}, {paths['json'].name})")
    return 0


def retriever_config(retriever: Any) -> dict[str, Any]:
    """The retriever's scalar parameters (fusion weights, candidates...), whatever they are named:
    read from the built object, so the report shows what was used."""
    fields = getattr(type(retriever), "model_fields", {})
    skip = {"store", "encoders", "tags", "metadata", "callbacks", "verbose"}
    return {
        name: getattr(retriever, name)
        for name in fields
        if name not in skip and isinstance(getattr(retriever, name, None), int | float | str | bool | dict)
    }


def _resolve(path: Path, data_root: Path | None, option: str, also: Path | None = None) -> Path:
    """A path as given, else under the data root (or `also`), e.g. `--corpus xquad/corpus.en.jsonl`."""
    from evals.dataset import DatasetError

    for candidate in (path, *(base / path for base in (data_root, also) if base is not None)):
        if candidate.exists():
            return candidate.resolve()
    raise DatasetError(f"{option} {path}: does not exist (also looked under {data_root or 'no data root'})")


def eval_collection_name(corpora: list[Path], spec: IndexSpec) -> str:
    """Stable per (corpus paths, index spec): the same corpora reuse the same collection, and a
    change of encoder or chunking gets a collection of its own."""
    payload = json.dumps([[str(p) for p in corpora], spec.to_metadata()], sort_keys=True)
    return f"eval-{hashlib.sha256(payload.encode()).hexdigest()[:16]}"


def corpus_fingerprint(corpora: list[Path]) -> tuple[str, int]:
    """sha256 over every ingestable file's path, size and mtime; and the number of files."""
    from ingest.load import iter_files

    digest = hashlib.sha256()
    count = 0
    for root in corpora:
        for path in iter_files(root):
            stat = path.stat()
            digest.update(f"{path.resolve()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
            count += 1
    return digest.hexdigest(), count


def ensure_eval_index(corpora: list[Path], assistant: Any, settings: Any, marker: Path) -> dict[str, Any]:
    """Ingest the corpora into the eval collection unless its recorded fingerprint is current
    (see evals.index.ensure_index)."""
    from evals.index import ensure_index
    from ingest.pipeline import IngestStats, run_ingest

    fingerprint, files = corpus_fingerprint(corpora)
    store = assistant.retriever.store
    paths = [str(p) for p in corpora]

    def build() -> IngestStats:
        stats = run_ingest(
            corpora,
            store,
            assistant.retriever.encoders,
            chunk_size=settings.chunk_size,
            chunk_overlap=settings.chunk_overlap,
        )
        for error in stats.errors:
            print(f"ingest failed: {error}", file=sys.stderr)
        print(f"eval index {settings.collection}: {stats.summary()}", file=sys.stderr)
        return stats

    stats = ensure_index(store, marker, settings.collection, fingerprint, build, extra={"paths": paths})
    info: dict[str, Any] = {
        "paths": paths,
        "files": files,
        "fingerprint": fingerprint,
        "collection": settings.collection,
        "ingested": stats is not None,
    }
    if stats is not None:
        info["failed"] = stats.failed
    info["documents"], info["chunks"] = store.counts()
    return info


def git_info() -> dict[str, Any]:
    def git(*cmd: str) -> str | None:
        try:
            done = subprocess.run(
                ["git", "-C", str(REPO_ROOT), *cmd], capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout.strip()

    status = git("status", "--porcelain", "--untracked-files=no")
    return {"git_commit": git("rev-parse", "--short", "HEAD") or "nogit", "git_dirty": bool(status)}


def default_out_dir(commit: str, dataset_name: str) -> Path:
    """evals/reports/<UTC date-time>-<git sha>-<dataset>: several sets can run on one commit."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return REPO_ROOT / "evals" / "reports" / f"{stamp}-{commit}-{dataset_name}"


def _build_judge(settings: Any) -> Any:
    from assistant.components import build_judge_llm
    from evals.judge import FaithfulnessJudge

    return FaithfulnessJudge(build_judge_llm(settings))


def _summary_line(report: dict[str, Any]) -> str:
    def f(value: Any) -> str:
        return "–" if value is None else f"{value:.3f}"

    r, a, c, ref = report["retrieval"], report["answers"], report["citations"], report["refusal"]
    return (
        f"{report['n']['total']} questions: recall@5 {f(r['recall@5'])}, mrr@10 {f(r['mrr@10'])}, "
        f"accuracy {f(a['accuracy'])}, token_f1 {f(a['token_f1'])}, citation precision {f(c['precision'])}, "
        f"refusal f1 {f(ref['f1'])}, p50 {report['latency_ms']['total']['p50']} ms"
    )


# --- convert --------------------------------------------------------------------------------------


def cmd_convert(args: argparse.Namespace) -> int:
    from assistant.settings import load_settings
    from evals.convert import convert_squad_v2, convert_xquad
    from evals.dataset import DatasetError

    settings = load_settings(args)
    data_root = args.data or _shared_data()
    if data_root is None:
        raise DatasetError("eval convert: no --data given and ../shared/data does not exist")
    out = args.out or settings.data_dir / "evals" / "work" / args.source
    if args.source == "xquad":
        done = convert_xquad(data_root, out, args.lang, args.corpus_lang, sample=args.sample, seed=args.seed)
    else:
        done = convert_squad_v2(data_root, out, sample=args.sample, seed=args.seed, articles=args.articles)
    print(f"{done.questions} questions -> {done.dataset}")
    print(f"{done.documents} documents -> {done.corpus}")
    print(
        f"run: exchange-assistant eval --corpus {done.corpus} --dataset {done.dataset} --generator extractive"
    )
    return 0
