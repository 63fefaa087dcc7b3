"""Benchmarks for maintainers: `exchange-assistant bench ingest|query|load|corpus` (see evals/benchmarks.md)."""
