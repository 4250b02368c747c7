"""Alembic migrations of the store; shipped with the package (``leadpact db upgrade``)."""
