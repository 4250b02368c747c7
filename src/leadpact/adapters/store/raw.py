"""Plain DBAPI statements for the hot paths (ingestion and the online engine).

SQLAlchemy Core costs tens of microseconds per parameter set; at tens of thousands of events
a second that is most of the budget, so the few statements run per event use the driver
directly, inside the same transaction. The two dialects differ only in the placeholder
(``?`` vs ``%s``) and in how a list is passed to ``IN``; bulk inserts use COPY on PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection

Params = Sequence[Any]


class Raw:
    """The DBAPI cursor of a SQLAlchemy connection, with dialect-neutral helpers."""

    def __init__(self, conn: Connection) -> None:
        self.postgres = conn.dialect.name == "postgresql"
        self.mark = "%s" if self.postgres else "?"
        self._dbapi = conn.connection
        self._cursor: Any = None

    @property
    def cursor(self) -> Any:
        if self._cursor is None:
            self._cursor = self._dbapi.cursor()
        return self._cursor

    def sql(self, text: str) -> str:
        """``text`` written with ``?`` placeholders, in this driver's style."""
        return text.replace("?", "%s") if self.postgres else text

    def marks(self, count: int) -> str:
        return ", ".join([self.mark] * count)

    def in_list(self, column: str, values: Sequence[Any]) -> tuple[str, list[Any]]:
        """``column IN (...)`` for string ``values`` (one array parameter on PostgreSQL, typed
        as the columns are: an untyped text[] makes PostgreSQL compare as text and the varchar
        index scan becomes some thirty times slower)."""
        if self.postgres:
            return f"{column} = ANY(%s::varchar[])", [list(values)]
        return f"{column} IN ({self.marks(len(values))})", list(values)

    def fetchall(self, text: str, params: Params = ()) -> list[tuple[Any, ...]]:
        cursor = self.cursor
        cursor.execute(self.sql(text), tuple(params))
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows

    def execute(self, text: str, params: Params = ()) -> None:
        self.cursor.execute(self.sql(text), tuple(params))

    def executemany(self, text: str, rows: Sequence[Params]) -> None:
        """One statement for many parameter sets. On PostgreSQL the statement is prepared
        once for the batch (the connection otherwise never prepares, see
        :func:`~leadpact.adapters.store.engine.create_store_engine`): parsing and planning it
        for every row was half of the database's work. These statements look rows up by key,
        so the generic plan is the right one."""
        if not rows:
            return
        if not self.postgres:
            self.cursor.executemany(text, rows)
            return
        driver: Any = self._dbapi.driver_connection
        threshold = driver.prepare_threshold
        driver.prepare_threshold = 0
        try:
            self.cursor.executemany(self.sql(text), rows)
        finally:
            driver.prepare_threshold = threshold

    def insert_many(self, table: str, columns: Sequence[str], rows: Sequence[Params]) -> None:
        """Bulk insert: COPY on PostgreSQL, executemany on SQLite."""
        if not rows:
            return
        names = ", ".join(columns)
        if self.postgres:
            with self.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        self.cursor.executemany(f"INSERT INTO {table} ({names}) VALUES ({self.marks(len(columns))})", rows)


def chunks(values: Sequence[Any], size: int = 500) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]
