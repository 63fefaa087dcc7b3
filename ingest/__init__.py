"""Ingest: program documents (txt, md, html, pdf, jsonl, csv) -> clean text -> chunks -> Chroma."""
