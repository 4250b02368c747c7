"""The durable store: SQLAlchemy 2 models, the engine factory and the repositories.

SQLite (a file, WAL) by default, PostgreSQL (psycopg 3) in production; the same code serves
both. All writes go through :meth:`Store.write`, which serialises them (see ``docs/store.md``).
"""
