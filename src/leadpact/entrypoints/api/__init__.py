"""The HTTP API (FastAPI): Segment-compatible ingestion, leads, agreements, SLA watch."""
