"""Converters from the public QA sets under the shared data root to eval datasets + the corpus
file to ingest. Output goes to a work folder under the data dir; nothing here is committed.

- xquad: `dev.Q.jsonl` questions against `corpus.C.jsonl` paragraphs. Paragraph ids (TITLE#INDEX)
  and question ids are parallel across the 12 languages, so the gold ids hold for any pair. When
  Q != C the kind is `crosslingual` and the answers are the Q-language answer plus the C-language
  one (the text an extractive answer can quote).
- squad-v2: `dev.en.jsonl` with its unanswerable questions (`answerable: false`; their gold
  paragraph is dropped since it does not hold the answer), against `corpus.en.jsonl`.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evals.dataset import DatasetError

XQUAD_LANGS = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")


@dataclass(frozen=True)
class Converted:
    dataset: Path
    corpus: Path
    questions: int
    documents: int


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    if not path.is_file():
        raise DatasetError(f"{path}: not found (is --data the shared data root?)")
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as exc:
            raise DatasetError(f"{path}:{lineno}: is not valid JSON ({exc.msg})") from exc
    return rows


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")
            count += 1
    return count


def _article(paragraph_id: str) -> str:
    return paragraph_id.rsplit("#", 1)[0]


def _write_corpus(source: Path | list[dict[str, Any]], target: Path, lang: str) -> int:
    """Copy the corpus rows with their language; an unchanged file is left untouched so its
    mtime (part of the eval index fingerprint) does not force a re-ingest."""
    rows = [
        {"id": r["id"], "title": r.get("title", ""), "text": r["text"], "lang": lang}
        for r in (_read_jsonl(source) if isinstance(source, Path) else source)
    ]
    text = "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows)
    if not (target.is_file() and target.read_text(encoding="utf-8") == text):
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return len(rows)


def _sample(rows: list[dict[str, Any]], sample: int | None, seed: int) -> list[dict[str, Any]]:
    if not sample or sample >= len(rows):
        return rows
    keep = set(random.Random(seed).sample(range(len(rows)), sample))
    return [row for i, row in enumerate(rows) if i in keep]  # original order


def convert_xquad(
    data_root: Path,
    out_dir: Path,
    question_lang: str = "en",
    corpus_lang: str | None = None,
    sample: int | None = None,
    seed: int = 0,
) -> Converted:
    corpus_lang = corpus_lang or question_lang
    for lang in (question_lang, corpus_lang):
        if lang not in XQUAD_LANGS:
            raise DatasetError(f"xquad: language '{lang}' is not one of {', '.join(XQUAD_LANGS)}")
    folder = data_root / "xquad"
    questions = _read_jsonl(folder / f"dev.{question_lang}.jsonl")
    corpus_answers = {r["id"]: r["answers"] for r in _read_jsonl(folder / f"dev.{corpus_lang}.jsonl")}
    cross = question_lang != corpus_lang
    records = []
    for row in _sample(questions, sample, seed):
        answers = list(row["answers"])
        if cross:
            answers += [a for a in corpus_answers.get(row["id"], []) if a not in answers]
        records.append(
            {
                "id": f"xquad-{question_lang}-{row['id']}",
                "question": row["question"],
                "lang": question_lang,
                "answers": answers,
                "answerable": True,
                "gold_ids": list(row["gold_ids"]),
                "kind": "crosslingual" if cross else "factoid",
            }
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    dataset = out_dir / f"xquad.{question_lang}-{corpus_lang}.jsonl"
    corpus = out_dir / f"corpus.{corpus_lang}.jsonl"
    n = _write_jsonl(dataset, records)
    docs = _write_corpus(folder / f"corpus.{corpus_lang}.jsonl", corpus, corpus_lang)
    return Converted(dataset, corpus, n, docs)


def convert_squad_v2(
    data_root: Path, out_dir: Path, sample: int | None = None, seed: int = 0, articles: int | None = None
) -> Converted:
    """`articles` keeps only the first N articles (corpus and questions), for a cheaper index."""
    folder = data_root / "squad-v2"
    corpus_rows = _read_jsonl(folder / "corpus.en.jsonl")
    titles = list(dict.fromkeys(_article(r["id"]) for r in corpus_rows))
    keep = set(titles[:articles]) if articles else set(titles)
    questions = [r for r in _read_jsonl(folder / "dev.en.jsonl") if _article(r["gold_ids"][0]) in keep]
    records = []
    for row in _sample(questions, sample, seed):
        answerable = bool(row.get("answerable", True))
        records.append(
            {
                "id": f"squad2-{row['id']}",
                "question": row["question"],
                "lang": "en",
                "answers": list(dict.fromkeys(row["answers"])) if answerable else [],
                "answerable": answerable,
                "gold_ids": list(row["gold_ids"]) if answerable else [],
                "kind": "factoid" if answerable else "unanswerable",
            }
        )
    out_dir.mkdir(parents=True, exist_ok=True)
    part = f".articles{articles}" if articles else ""
    dataset = out_dir / f"squad-v2.en{part}{f'.sample{len(records)}' if sample else ''}.jsonl"
    corpus = out_dir / f"corpus.en{part}.jsonl"
    n = _write_jsonl(dataset, records)
    docs = _write_corpus([r for r in corpus_rows if _article(r["id"]) in keep], corpus, "en")
    return Converted(dataset, corpus, n, docs)
