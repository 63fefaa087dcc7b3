"""`exchange-assistant feedback export`: feedback given on answers, as draft eval cases."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any


def register(subparsers: Any, common: argparse.ArgumentParser) -> None:
    p = subparsers.add_parser("feedback", parents=[common], help="feedback given on answers")
    feedback_sub = p.add_subparsers(dest="feedback_command", required=True)
    e = feedback_sub.add_parser(
        "export", parents=[common], help="write feedback as draft eval cases (JSON Lines)"
    )
    e.add_argument("--out", type=Path, help="file to write (default: stdout)")
    e.set_defaults(handler=cmd_feedback_export)


def cmd_feedback_export(args: argparse.Namespace) -> int:
    from assistant.components import build_sql_stores
    from assistant.settings import load_settings

    settings = load_settings(args)
    store = build_sql_stores(settings).feedback
    lines = [json.dumps(case, ensure_ascii=False) + "\n" for case in store.export_cases()]
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text("".join(lines), encoding="utf-8")
        sys.stderr.write(f"wrote {len(lines)} draft cases to {args.out}\n")
    else:
        sys.stdout.writelines(lines)
    return 0
