"""Evaluation suite: datasets, metrics, the eval runner, reports and converters for public QA sets."""
