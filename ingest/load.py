"""Readers: one function per file type, each turning a file into documents or raising BadFileError.

Document ids are the file's path relative to the folder given to ingest, POSIX, without
extension; records inside a file (JSON Lines rows, registry cities) get their own ids.
"""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from assistant.errors import InvalidInputError
from assistant.models import web_url
from ingest.clean import normalize_text, strip_boilerplate
from ingest.metadata import find_dates, publication_date, source_url

SUPPORTED_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".jsonl", ".csv", ".tsv"})
MIN_TEXT_CHARS = 20


class BadFileError(InvalidInputError):
    """A file (or one record of it) that cannot be ingested. The message names the input and why."""

    def __init__(self, where: str, reason: str) -> None:
        super().__init__(f"{where}: {reason}")
        self.where = where
        self.reason = reason


@dataclass
class LoadedDocument:
    doc_id: str
    title: str
    text: str
    source: str
    url: str | None = None
    date: str | None = None
    language: str | None = None
    extra: dict[str, str] = field(default_factory=dict)


@dataclass
class LoadResult:
    documents: list[LoadedDocument]
    errors: list[BadFileError]


@dataclass(frozen=True)
class Unreadable:
    """A path under an ingested folder that could not be looked at: what was indexed from it
    (a file, or everything under a folder) must be kept, not removed as gone."""

    path: Path
    reason: str
    is_dir: bool

    def __str__(self) -> str:
        return f"{self.path}: {self.reason}"


def iter_files(root: Path) -> Iterator[Path]:
    """Supported files under `root` (or `root` itself), sorted, skipping hidden files and folders."""
    yield from scan_files(root)[0]


def scan_files(root: Path) -> tuple[list[Path], list[Unreadable]]:
    """Supported files under `root` and the paths that could not be read: unreadable folders,
    broken symbolic links, symbolic-link loops. Folders reached through a symbolic link are
    followed once (a link back to a folder already walked is a loop)."""
    if not root.is_dir():
        return [root], []
    files: list[Path] = []
    problems: list[Unreadable] = []
    seen: set[tuple[int, int]] = set()

    def walk(folder: Path) -> None:
        try:
            info = folder.stat()
        except OSError as exc:
            problems.append(Unreadable(folder, _os_reason(exc), True))
            return
        if (info.st_dev, info.st_ino) in seen:
            problems.append(Unreadable(folder, "is a symbolic link loop (a folder that contains itself)", True))
            return
        seen.add((info.st_dev, info.st_ino))
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as exc:
            problems.append(Unreadable(folder, f"folder cannot be read ({_os_reason(exc)})", True))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            path = folder / entry.name
            try:
                is_dir = entry.is_dir()  # follows symbolic links
                is_file = not is_dir and entry.is_file()
            except OSError as exc:
                problems.append(Unreadable(path, _os_reason(exc), False))
                continue
            if is_dir:
                walk(path)
            elif is_file:
                if path.suffix.lower() in SUPPORTED_SUFFIXES:
                    files.append(path)
            elif entry.is_symlink() and path.suffix.lower() in SUPPORTED_SUFFIXES | {""}:
                problems.append(Unreadable(path, _broken_link_reason(path), False))

    walk(root)
    return files, problems


def _broken_link_reason(path: Path) -> str:
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return "is a symbolic link loop"
        return f"is a broken symbolic link (to {os.readlink(path)})"
    return "is not a regular file"


def _os_reason(exc: OSError) -> str:
    if exc.errno == errno.ELOOP:
        return "is a symbolic link loop"
    return exc.strerror or str(exc)


def document_id(path: Path, root: Path) -> str:
    base = root if root.is_dir() else root.parent
    return path.relative_to(base).with_suffix("").as_posix()


def load_file(path: Path, root: Path, max_bytes: int | None = None) -> LoadResult:
    """Read one file. Whole-file problems raise BadFileError; bad records are returned as errors.
    A file over `max_bytes` is refused before it is read."""
    doc_id = document_id(path, root)
    suffix = path.suffix.lower()
    if max_bytes is not None:
        _check_size(path, max_bytes)
    if suffix == ".pdf":
        return LoadResult([_load_pdf(path, doc_id)], [])
    raw = _read_bytes(path)
    if suffix == ".jsonl":
        return _load_jsonl(path, _decode(path, raw))
    if suffix in (".csv", ".tsv"):
        return _load_table(path, _decode(path, raw), doc_id)
    text = _decode(path, raw)
    if suffix in (".html", ".htm"):
        doc = _load_html(path, text, doc_id)
    elif suffix in (".md", ".markdown"):
        doc = _load_markdown(path, text, doc_id)
    else:
        doc = _load_text(path, text, doc_id)
    _require_text(path, doc.text)
    return LoadResult([doc], [])


# --- helpers ------------------------------------------------------------------------------------


def _check_size(path: Path, max_bytes: int) -> None:
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise BadFileError(str(path), f"cannot be read ({exc.strerror or exc})") from exc
    if size > max_bytes:
        raise BadFileError(
            str(path),
            f"is {size:,} bytes, over the limit of {max_bytes:,} (EXCHANGE_ASSISTANT_MAX_FILE_BYTES); "
            "split it or raise the limit",
        )


def _read_bytes(path: Path) -> bytes:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise BadFileError(str(path), f"cannot be read ({exc.strerror or exc})") from exc
    if not raw.strip():
        raise BadFileError(str(path), "is empty")
    if b"\x00" in raw[:8192]:
        raise BadFileError(str(path), "looks like binary data (NUL bytes), not text")
    return raw


def _decode(path: Path, raw: bytes) -> str:
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise BadFileError(
            str(path),
            f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save it as UTF-8",
        ) from exc
    controls = sum(1 for ch in text[:20000] if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > 0.05 * min(len(text), 20000):
        raise BadFileError(str(path), "looks like binary data (control characters), not text")
    return text


def _require_text(path: Path, text: str) -> None:
    if len(text.strip()) < MIN_TEXT_CHARS:
        raise BadFileError(str(path), "has no readable text after cleaning")


def _load_text(path: Path, text: str, doc_id: str) -> LoadedDocument:
    cleaned = strip_boilerplate(text)
    return LoadedDocument(
        doc_id=doc_id,
        title=cleaned.title or _first_line(cleaned.text) or path.stem,
        text=cleaned.text,
        source=str(path),
        url=source_url(text),
        date=publication_date(cleaned.header, cleaned.text),
    )


def _load_html(path: Path, html: str, doc_id: str) -> LoadedDocument:
    import trafilatura

    text = trafilatura.extract(
        html, include_comments=False, include_tables=True, favor_precision=True
    )
    if not text:
        raise BadFileError(str(path), "has no main content that the HTML extractor could find")
    meta = trafilatura.extract_metadata(html)
    title = (meta.title if meta else None) or _first_line(text) or path.stem
    published = meta.date if meta and meta.date else None
    return LoadedDocument(
        doc_id=doc_id,
        title=title,
        text=normalize_text(text),
        source=str(path),
        url=web_url(meta.url if meta else None),
        date=published or publication_date("", text),
        language=(meta.language if meta and meta.language else None),
    )


_FRONT_MATTER = re.compile(r"\A---\s*\n(.*?)\n---\s*\n", re.S)
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _load_markdown(path: Path, text: str, doc_id: str) -> LoadedDocument:
    meta: dict[str, str] = {}
    match = _FRONT_MATTER.match(text)
    if match:
        import yaml

        try:
            parsed = yaml.safe_load(match.group(1)) or {}
        except yaml.YAMLError as exc:
            raise BadFileError(str(path), f"has invalid front matter ({exc.__class__.__name__})") from exc
        if isinstance(parsed, dict):
            meta = {str(k).lower(): str(v) for k, v in parsed.items() if v is not None}
        text = text[match.end() :]
    plain = _markdown_to_text(text)
    return LoadedDocument(
        doc_id=doc_id,
        title=meta.get("title") or _markdown_title(text) or path.stem,
        text=plain,
        source=str(path),
        url=web_url(meta.get("url") or meta.get("source")) or source_url(plain),
        date=_iso_or_none(meta.get("date")) or publication_date("", plain),
        language=meta.get("lang") or meta.get("language"),
    )


def _markdown_title(text: str) -> str | None:
    """The most specific heading of the leading heading block (skipping '(a)'-style subsections)."""
    title = None
    for line in text.lstrip().splitlines():
        if not line.strip():
            continue
        heading = _MD_HEADING.match(line)
        if not heading:
            break
        label = heading.group(2).strip()
        if label and not label.startswith("("):
            title = label
    return title


def _markdown_to_text(text: str) -> str:
    text = re.sub(r"!\[[^\]]*\]\([^)]*\)", "", text)  # images
    text = re.sub(r"\[([^\]]+)\]\([^)]*\)", r"\1", text)  # links -> their text
    text = re.sub(r"<[^>]+>", "", text)  # inline HTML
    text = re.sub(r"^(#{1,6})\s+", "", text, flags=re.M)
    text = re.sub(r"(\*\*|__|`)", "", text)
    from html import unescape

    return normalize_text(unescape(text))


def _load_pdf(path: Path, doc_id: str) -> LoadedDocument:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            raise BadFileError(str(path), "is an encrypted PDF")
        pages = [page.extract_text() or "" for page in reader.pages]
        info_title = reader.metadata.title if reader.metadata and reader.metadata.title else None
    except BadFileError:
        raise
    except (PdfReadError, OSError, ValueError, KeyError) as exc:
        raise BadFileError(str(path), f"is not a readable PDF ({exc.__class__.__name__}: {exc})") from exc
    text = _reflow(normalize_text("\n\n".join(pages)))
    if len(text) < MIN_TEXT_CHARS:
        raise BadFileError(str(path), "has no extractable text (a scanned PDF needs OCR first)")
    return LoadedDocument(
        doc_id=doc_id,
        title=info_title or _first_line(text) or path.stem,
        text=text,
        source=str(path),
        date=publication_date("", text),
    )


def _load_jsonl(path: Path, text: str) -> LoadResult:
    docs: list[LoadedDocument] = []
    errors: list[BadFileError] = []
    for lineno, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{lineno}"
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            errors.append(BadFileError(where, f"is not valid JSON ({exc.msg})"))
            continue
        if not isinstance(record, dict):
            errors.append(BadFileError(where, "is not a JSON object"))
            continue
        missing = [key for key in ("id", "text") if not str(record.get(key) or "").strip()]
        if missing:
            errors.append(BadFileError(where, f"is missing the field(s) {', '.join(missing)}"))
            continue
        body = normalize_text(str(record["text"]))
        if len(body) < MIN_TEXT_CHARS:
            errors.append(BadFileError(where, "has no readable text in 'text'"))
            continue
        docs.append(
            LoadedDocument(
                doc_id=str(record["id"]),
                title=str(record.get("title") or _first_line(body) or record["id"]),
                text=body,
                source=web_url(str(record.get("url") or "")) or f"{path}#{record['id']}",
                url=web_url(str(record.get("url") or "")),
                date=_iso_or_none(record.get("date")),
                language=record.get("lang"),
                extra={"line": str(lineno)},
            )
        )
    if not docs and not errors:
        raise BadFileError(str(path), "is empty")
    return LoadResult(docs, errors)


# Column names that make a table a partnership registry: (city, country) on each side.
_PAIR_COLUMNS = [
    ("city1", "country1", "city2", "country2"),
    ("origincitylabel", "origincountry", "sistercitylabel", "destination_countrylabel"),
    ("city", "country", "partner_city", "partner_country"),
]


_EXTRA = "extra"  # where the values of a row longer than the header go (csv restkey)


def _load_table(path: Path, text: str, doc_id: str) -> LoadResult:
    delimiter = "\t" if path.suffix.lower() == ".tsv" else ","
    reader = csv.DictReader(io.StringIO(text), delimiter=delimiter, restkey=_EXTRA)
    try:
        fieldnames = reader.fieldnames
        if not fieldnames:
            raise BadFileError(str(path), "has no header row")
        columns = {name.strip().lower(): name for name in fieldnames if name}
        rows: list[dict[str, str]] = []
        errors: list[BadFileError] = []
        for row in reader:
            extra = row.get(_EXTRA)
            if isinstance(extra, list):  # more fields than the header: reported, values kept as text
                errors.append(BadFileError(
                    f"{path}:{reader.line_num}",
                    f"has {len(fieldnames) + len(extra)} fields but the header has {len(fieldnames)} "
                    f"(the extra values are kept in the row's text as '{_EXTRA}')",
                ))
                row[_EXTRA] = "; ".join(v for v in extra if v)
            row["\x00line"] = str(reader.line_num)
            rows.append(row)
    except csv.Error as exc:
        raise BadFileError(f"{path}:{reader.line_num}", f"is not valid CSV ({exc})") from exc
    if not rows:
        raise BadFileError(str(path), "has a header but no rows")
    for pair in _PAIR_COLUMNS:
        if all(col in columns for col in pair):
            return LoadResult(_registry_documents(path, doc_id, rows, [columns[c] for c in pair]), errors)
    return LoadResult(_row_documents(path, doc_id, rows, [*fieldnames, _EXTRA]), errors)


def _registry_documents(
    path: Path, doc_id: str, rows: list[dict[str, str]], cols: list[str]
) -> list[LoadedDocument]:
    """One document per city listing every partner, in both directions of each pair. Spellings
    that differ only in accents, case or punctuation (Bagnères-de-Bigorre / Bagneres-de-Bigorre)
    are one city: one document, every spelling kept in its text so a search finds either."""
    c1, k1, c2, k2 = cols
    spellings: dict[str, list[tuple[str, str]]] = defaultdict(list)
    partners: dict[str, dict[str, tuple[str, str]]] = defaultdict(dict)
    for row in rows:
        a = ((row.get(c1) or "").strip(), (row.get(k1) or "").strip())
        b = ((row.get(c2) or "").strip(), (row.get(k2) or "").strip())
        if not a[0] or not b[0]:
            continue
        for host, partner in ((a, b), (b, a)):
            key = f"{_slug(host[0])}-{_slug(host[1])}"  # the document id: one document per id
            if host not in spellings[key]:
                spellings[key].append(host)
            # the same partner city is sometimes listed twice with differently worded countries
            partners[key].setdefault(_slug(partner[0]), partner)
    if not partners:
        raise BadFileError(str(path), f"has no complete city pairs in columns {', '.join(cols)}")
    docs = []
    for key in sorted(partners):
        # the most accented spelling is usually the proper one (Bagnères rather than Bagneres)
        city, country = max(spellings[key], key=lambda s: sum(not ch.isascii() for ch in s[0] + s[1]))
        others = list(partners[key].values())
        where = f"{city} ({country})" if country else city
        names = "; ".join(f"{o} ({oc})" if oc else o for o, oc in others)
        lines = [
            f"{where} has {len(others)} twin town and sister city partnership"
            f"{'s' if len(others) != 1 else ''} (partner cities, villes jumelées): {names}.",
        ]
        variants = sorted({c for c, _ in spellings[key]} - {city})
        if variants:
            lines.append(f"{city} is also written {', '.join(variants)}.")
        lines += [f"{where} is twinned with {o}{f' ({oc})' if oc else ''}." for o, oc in others]
        docs.append(
            LoadedDocument(
                doc_id=f"{doc_id}/{key}",
                title=f"Sister cities of {where}",
                text="\n".join(lines),
                source=str(path),
                language="en",
            )
        )
    return docs


def _row_documents(path: Path, doc_id: str, rows: list[dict[str, str]], fields: list[str]) -> list[LoadedDocument]:
    docs = []
    for index, row in enumerate(rows, start=1):
        pairs = [(k, (row.get(k) or "").strip()) for k in fields if k and (row.get(k) or "").strip()]
        if not pairs:
            continue
        name_key = next((k for k, _ in pairs if k.lower() in {"title", "name", "program", "programme"}), None)
        title = dict(pairs)[name_key] if name_key else pairs[0][1]
        text = "\n".join(f"{k}: {v}" for k, v in pairs)
        docs.append(LoadedDocument(
            doc_id=f"{doc_id}/row-{index}", title=title, text=text, source=str(path),
            extra={"line": row.get("\x00line", "")},
        ))
    if not docs:
        raise BadFileError(str(path), "has no non-empty rows")
    return docs


def _slug(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", folded).strip("-") or "x"


def _reflow(text: str) -> str:
    """Join PDF lines that were wrapped inside a paragraph (the next line continues the sentence)."""
    return re.sub(r"(?<=[^\s.!?:;。！？])\n(?=[a-zà-ÿ0-9(])", " ", text)


def _first_line(text: str) -> str | None:
    for line in text.splitlines():
        if line.strip():
            return line.strip()[:200]
    return None


def _iso_or_none(value: object) -> str | None:
    if value is None:
        return None
    found = find_dates(str(value))
    return found[0][1] if found else None
