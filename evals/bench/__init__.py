"""Benchmarks for maintainers: `exchange-assistant bench ingest|query|load|corpus`.

Commands and recorded figures: evals/benchmarks.md.
"""
