"""`exchange-assistant bench ingest|query|load|corpus`: benchmarks that print a table of figures
and optionally write JSON with the machine's description (see evals/benchmarks.md)."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path
from typing import Any, Literal

from assistant.settings import GENERATORS
from evals.bench.common import print_table, write_json
from evals.paths import default_data_root


def _ints(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def _cpus(text: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated CPU numbers, got {text!r}") from None
    if not values or min(values) < 0:
        raise argparse.ArgumentTypeError(f"expected CPU numbers (0, 1, ...), got {text!r}")
    return values


def _urls(text: str) -> list[str]:
    urls = [part.strip().rstrip("/") for part in text.split(",") if part.strip()]
    bad = [u for u in urls if not u.startswith(("http://", "https://"))]
    if not urls or bad:
        raise argparse.ArgumentTypeError(f"expected comma-separated http(s):// base URLs, got {text!r}")
    return urls


def _names(text: str) -> list[str]:
    names = [part.strip() for part in text.split(",") if part.strip()]
    unknown = set(names) - set(GENERATORS)
    if unknown:
        raise argparse.ArgumentTypeError(
            f"unknown generator(s) {', '.join(sorted(unknown))}; use {', '.join(sorted(GENERATORS))}"
        )
    return names


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    bench = subparsers.add_parser(
        "bench", parents=[common], help="benchmarks for maintainers (print figures)"
    )
    sub = bench.add_subparsers(dest="bench_command", required=True)
    out = argparse.ArgumentParser(add_help=False)
    out.add_argument(
        "--json", type=Path, metavar="FILE", help="also write the figures and machine info as JSON"
    )
    data = argparse.ArgumentParser(add_help=False)
    data.add_argument("--data", type=Path, default=None, help="shared data folder (default ../shared/data)")
    data.add_argument(
        "--limit-docs",
        type=int,
        default=None,
        metavar="N",
        help="at most N documents per source (small runs)",
    )

    p = sub.add_parser("ingest", parents=[common, out, data], help="ingest throughput and peak memory")
    p.add_argument("--server", action="store_true", help="also ingest into a `chroma run` server on loopback")
    p.add_argument(
        "--reencode",
        action="store_true",
        help="encode again in the server run (default: reuse the embedded run's vectors, add its encoding time)",
    )
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("query", parents=[common, out, data], help="query latency as the index grows")
    p.add_argument(
        "--sizes",
        type=_ints,
        default=[1000, 10000, 100000],
        help="index sizes in chunks (at least; default 1000,10000,100000)",
    )
    p.add_argument("--queries", type=int, default=50, help="questions per size (default 50)")
    p.add_argument(
        "--cache-dir", type=Path, help="where built indexes are kept (default <data-dir>/bench/query)"
    )
    p.set_defaults(handler=cmd_query)

    p = sub.add_parser(
        "start", parents=[common, out, data], help="process start to first answer (`ask`) as the index grows"
    )
    p.add_argument("--sizes", type=_ints, default=[10000, 100000], help="index sizes in chunks (default 10000,100000)")
    p.add_argument("--runs", type=int, default=3, help="timed fresh processes per size and generator (default 3)")
    p.add_argument(
        "--generators", type=_names, default=["extractive", "local"],
        help="default extractive,local (local when its model file exists)",
    )
    p.add_argument("--question", default=None, help="what to ask (default one the synthetic indexes answer)")
    p.add_argument(
        "--cache-dir", type=Path, help="where built indexes are kept (default <data-dir>/bench/query, as bench query)"
    )
    p.set_defaults(handler=cmd_start)

    p = sub.add_parser("load", parents=[common, out], help="API load test on loopback (extractive generator)")
    p.add_argument(
        "--concurrency",
        type=_ints,
        default=[8, 32, 64],
        help="concurrent clients per level (default 8,32,64)",
    )
    p.add_argument("--requests", type=int, default=200, help="requests per level (default 200)")
    p.add_argument(
        "--cache-dir", type=Path, help="where the index of corpus/ is kept (default <data-dir>/bench/load)"
    )
    p.add_argument(
        "--processes", type=int, default=1, help="API processes sharing a `chroma run` server (default 1)"
    )
    p.add_argument(
        "--pin", type=_cpus, default=None, metavar="CPUS",
        help="pin process i to CPU CPUS[i mod len] (e.g. 0 or 0,1), to measure scaling with cores",
    )
    p.add_argument(
        "--chroma-server", action="store_true",
        help="serve the index from a `chroma run` server even with one process (always with several)",
    )
    p.add_argument(
        "--blas-threads", type=int, default=1, metavar="N",
        help="OMP/OpenBLAS/MKL threads per API process (default 1: no oversubscription)",
    )
    p.add_argument(
        "--targets", type=_urls, default=None, metavar="URLS",
        help="comma-separated base URLs of running servers (or one proxy): no server is started",
    )
    p.set_defaults(handler=cmd_load)

    p = sub.add_parser(
        "compare",
        parents=[common, out],
        help="this project against the plain LangChain RAG pipeline on the same model, side by side",
    )
    p.add_argument("--corpus", type=Path, action="append", help="folder to ingest (default corpus/; repeatable)")
    p.add_argument(
        "--dataset", type=Path, default=None,
        help="questions (JSON Lines eval records; default evals/datasets/corpus_dev.jsonl)",
    )
    p.add_argument(
        "--generators", type=_names, default=["extractive", "local"], help="ours to run (default extractive,local)"
    )
    p.add_argument(
        "--llm-questions", type=int, default=20, help="questions answered by the local model, both sides (default 20)"
    )
    p.set_defaults(handler=cmd_compare)

    p = sub.add_parser(
        "keyword", parents=[common, out, data], help="keyword index: build vs save once and open (SQL store)"
    )
    p.add_argument("--sizes", type=_ints, default=[10000, 100000], help="chunks (default 10000,100000)")
    p.add_argument(
        "--database-url", action="append", default=None, metavar="URL",
        help="SQL store(s) to save to and open from (repeatable; default a SQLite file in <data-dir>/bench)",
    )
    p.set_defaults(handler=cmd_keyword)

    p = sub.add_parser(
        "corpus",
        parents=[common, out, data],
        help="ingest and query figures on the bundled and U.S. Code corpora",
    )
    p.add_argument(
        "--generators",
        type=_names,
        default=["extractive", "local"],
        help="default extractive,local (local when its model file exists)",
    )
    p.add_argument("--queries", type=int, default=30, help="questions per corpus (default 30)")
    p.add_argument(
        "--llm-queries", type=int, default=10, help="questions per corpus for LLM generators (default 10)"
    )
    p.set_defaults(handler=cmd_corpus)


def _setup(args: argparse.Namespace, purpose: Literal["query", "ingest"] = "query") -> tuple[Any, dict[str, Any]]:
    from assistant.components import build_encoders
    from assistant.settings import load_settings

    settings = load_settings(args)
    _quiet(args)
    print("loading encoders …", flush=True)
    return settings, build_encoders(settings, purpose=purpose)


def _quiet(args: argparse.Namespace) -> None:
    """Per-question INFO lines would drown the tables; -v keeps them."""
    if not args.verbose:
        for name in ("assistant", "ingest"):
            logging.getLogger(name).setLevel(logging.WARNING)


def _data_root(args: argparse.Namespace) -> Path:
    root = args.data or default_data_root()
    if not root.is_dir():
        raise SystemExit(f"--data {root}: no such folder (the shared benchmark corpora)")
    return root


def _row_latency(row: dict[str, Any], prefix: str, key: str) -> dict[str, Any]:
    return {
        f"{prefix}_p50": row[key]["p50_ms"],
        f"{prefix}_p95": row[key]["p95_ms"],
        f"{prefix}_p99": row[key]["p99_ms"],
    }


def cmd_ingest(args: argparse.Namespace) -> int:
    from evals.bench import ingest_bench

    settings, encoders = _setup(args, purpose="ingest")
    results = ingest_bench.run(settings, encoders, _data_root(args), args.limit_docs, args.server, args.reencode)
    print_table(
        "ingest throughput",
        results,
        [
            "mode",
            "vectors",
            "documents",
            "chunks",
            "failed",
            "seconds",
            "encode_s",
            "store_s",
            "docs_per_s",
            "chunks_per_s",
            "peak_rss_mb",
            "server_peak_rss_mb",
        ],
    )
    write_json(
        args.json,
        "ingest",
        {"limit_docs": args.limit_docs, "server": args.server, "reencode": args.reencode},
        results,
    )
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    from assistant.components import build_encoders
    from evals.bench import query_bench

    settings, encoders = _setup(args)
    cache = args.cache_dir or settings.data_dir / "bench" / "query"
    results = query_bench.run(
        settings, encoders, build_encoders(settings, purpose="ingest"), _data_root(args), args.sizes, args.queries,
        cache, args.limit_docs,
    )
    rows = [
        {
            "size": r["size"],
            "documents": r["documents"],
            "chunks": r["chunks"],
            "kw_index_s": r["keyword_index_s"],
            **_row_latency(r, "retrieve", "retrieve"),
            **_row_latency(r, "e2e", "end_to_end"),
            "retrieve_cpu": r["retrieve_cpu_ms"],
            "e2e_cpu": r["end_to_end_cpu_ms"],
        }
        for r in results
    ]
    title = "query latency (ms) as the index grows; e2e = extractive generator; *_cpu = process CPU ms per question"
    print_table(title, rows, list(rows[0]))
    write_json(args.json, "query", {"sizes": args.sizes, "queries": args.queries}, results)
    return 0


def cmd_start(args: argparse.Namespace) -> int:
    from assistant.components import build_encoders
    from assistant.settings import load_settings
    from evals.bench import query_bench, start_bench

    settings = load_settings(args)
    _quiet(args)
    cache = args.cache_dir or settings.data_dir / "bench" / "query"
    generators = list(args.generators)
    if "local" in generators and not start_bench.model_path(settings).is_file():
        print(f"local generator skipped: no model file at {start_bench.model_path(settings)}")
        generators.remove("local")
    loaded: list[dict[str, Any]] = []

    def records(chunk_size: int, chunk_overlap: int) -> list[dict[str, Any]]:
        if not loaded:  # only when some size has to be built
            loaded.extend(query_bench.base_records(_data_root(args), args.limit_docs, chunk_size, chunk_overlap))
        return loaded

    results = start_bench.run(
        settings, build_encoders(settings, purpose="ingest"), records, args.sizes, generators, args.runs, cache,
        args.question,
    )
    columns = ["size", "chunks", "generator", "runs", "p50_s", "min_s", "max_s", "exit_p50_s", "cpu_p50_s",
               "imports_ms", *start_bench.PHASES.values()]
    print_table(
        "process start to first answer (s, spawn to answer on stdout; cpu = the child's user+sys s); "
        "phases = median ms from the child's logs",
        results, columns,
    )
    write_json(
        args.json, "start", {"sizes": args.sizes, "runs": args.runs, "generators": generators}, results
    )
    return 0


def cmd_load(args: argparse.Namespace) -> int:
    from evals.bench import load_bench

    columns = [
        "processes", "pinned_cpus", "concurrency", "sent", "answered", "lost", "duplicated", "crossed", "errors",
        "throughput_rps", "p50_ms", "p95_ms", "p99_ms", "api_cpu_s_per_answer", "chroma_cpu_s_per_answer",
        "server_peak_rss_mb", "ok",
    ]
    if args.targets:
        results = load_bench.measure(args.targets, args.concurrency, args.requests)
        for row in results:
            row["processes"], row["pinned_cpus"] = f"{len(args.targets)} URL(s)", "-"
        title = f"API load test against {', '.join(args.targets)}, {args.requests} requests per level"
    else:
        results = _load_on_own_servers(args)
        title = (
            f"API load test, {args.processes} API process(es), {args.requests} requests per level "
            "(extractive generator)"
        )
    print_table(title, results, columns)
    write_json(
        args.json, "load",
        {"concurrency": args.concurrency, "requests": args.requests, "processes": args.processes, "pin": args.pin,
         "targets": args.targets, "blas_threads": args.blas_threads},
        results,
    )
    return 0 if all(r["ok"] for r in results) else 1


def _load_on_own_servers(args: argparse.Namespace) -> list[dict[str, Any]]:
    from assistant.components import build_encoders, build_keyword_store, build_store
    from assistant.errors import AssistantError
    from assistant.settings import load_settings
    from evals.bench import load_bench
    from evals.bench.common import chroma_server
    from evals.paths import REPO_ROOT
    from ingest.pipeline import run_ingest

    settings = load_settings(args)
    _quiet(args)
    cache = args.cache_dir or settings.data_dir / "bench" / "load"
    index_settings = settings.model_copy(update={"data_dir": cache, "collection": "bench-load"})
    encoders = build_encoders(index_settings)
    store = build_store(index_settings, encoders)
    try:
        store.check_readable()
        rebuild = False
    except AssistantError:  # not built yet, or built with other settings: build it afresh
        rebuild = True
    stats = run_ingest(
        [REPO_ROOT / "corpus"], store, encoders, rebuild=rebuild, progress=False,
        keywords=build_keyword_store(index_settings),
    )
    print(f"index of corpus/: {stats.summary()}")
    del encoders, store  # the server processes load their own
    env = load_bench.index_env(index_settings)
    threads = str(args.blas_threads)
    env.update({"OMP_NUM_THREADS": threads, "OPENBLAS_NUM_THREADS": threads, "MKL_NUM_THREADS": threads})
    if args.processes == 1 and not args.chroma_server:
        return load_bench.run(cache, "bench-load", args.concurrency, args.requests, env, pin=args.pin)
    with chroma_server(cache / "chroma") as chroma:
        return load_bench.run(
            cache, "bench-load", args.concurrency, args.requests, env, processes=args.processes, pin=args.pin,
            chroma_host=(chroma.host, chroma.port), chroma_pid=chroma.pid,
        )


def cmd_keyword(args: argparse.Namespace) -> int:
    from assistant.settings import load_settings
    from evals.bench import keyword_bench

    settings = load_settings(args)
    _quiet(args)
    bench_dir = settings.data_dir / "bench"
    bench_dir.mkdir(parents=True, exist_ok=True)
    urls = args.database_url or [f"sqlite:///{(bench_dir / 'keyword-bench.sqlite3').resolve()}"]
    results = keyword_bench.run(
        _data_root(args), args.sizes, args.limit_docs, urls, settings.chunk_size, settings.chunk_overlap
    )
    print_table("keyword index: build from chunks vs open from the SQL store (s)", results, list(results[0]))
    write_json(args.json, "keyword", {"sizes": args.sizes, "limit_docs": args.limit_docs}, results)
    return 0


def cmd_compare(args: argparse.Namespace) -> int:
    from evals.bench import compare_bench
    from evals.dataset import load_dataset
    from evals.paths import DATASETS, REPO_ROOT

    settings, encoders = _setup(args)
    corpus = args.corpus or [REPO_ROOT / "corpus"]
    records = load_dataset(args.dataset or DATASETS / "corpus_dev.jsonl")
    rows = compare_bench.run(settings, encoders, corpus, records, args.generators, args.llm_questions)
    title = "ours vs the plain LangChain RAG pipeline (same corpus, questions, model, process)"
    print_table(title, rows, list(rows[0]))
    write_json(args.json, "compare", {"generators": args.generators, "corpus": [str(c) for c in corpus]}, rows)
    return 0


def cmd_corpus(args: argparse.Namespace) -> int:
    from evals.bench import corpus_bench

    settings, encoders = _setup(args)
    results = corpus_bench.run(
        settings, encoders, _data_root(args), args.generators, args.queries, args.llm_queries, args.limit_docs
    )
    rows = [
        {
            "corpus": r["corpus"],
            "chunks": r["chunks"],
            "chunks_per_s": r["chunks_per_s"],
            "generator": r["generator"],
            "queries": r["queries"],
            **_row_latency(r, "retrieve", "retrieve"),
            **_row_latency(r, "e2e", "end_to_end"),
        }
        for r in results
    ]
    print_table(
        "corpus benchmark (issue 2): ingest and query latency (ms)",
        rows,
        list(rows[0]) if rows else ["corpus"],
    )
    write_json(args.json, "corpus", {"generators": args.generators, "queries": args.queries}, results)
    return 0
