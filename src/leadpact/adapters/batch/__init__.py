"""Batch engines: the reference replay's results for large histories, on DuckDB or Spark.

See docs/batch.md. Entry point for callers: :func:`leadpact.service.batch.score_file`.
"""
