"""The batch engine on Apache Spark: the same plan, distributed by lead.

* Reading: Spark reads the file; each Arrow batch is validated and canonicalised by the same
  SQL as the embedded engine (``canonical``), in an in-memory DuckDB inside the task, with
  ``parse_message`` for the unusual rows.
* The global prelude (duplicates, as-of, identity links) runs as Spark SQL, with the same SQL
  text as the embedded engine (``prelude``).
* Leads are hashed into buckets; ``groupBy(bucket).applyInArrow`` runs the embedded engine's
  bucket plan and the reference per-lead replay on each bucket (``bucket``, ``lead_runner``).
* The driver gives system assignments their owners with the domain's round robin, sorts, and
  returns the results.

Spark is optional (``pip install 'leadpact[spark]'``), imported only here, and never downloads
anything: no packages are configured, and the driver binds to 127.0.0.1 unless told otherwise.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator
from typing import Any, Final

from leadpact.adapters.batch import prelude
from leadpact.adapters.batch.agreement_sql import AgreementSql
from leadpact.adapters.batch.assignment import assign_system_owners
from leadpact.adapters.batch.bucket import SqlRows, fetch, machine_batches, plan_bucket, quiet_results
from leadpact.adapters.batch.duckdb_engine import needs_event_properties
from leadpact.adapters.batch.events_table import EVENT_COLUMNS, EVENT_NAMES
from leadpact.adapters.batch.lead_runner import replay_batch
from leadpact.adapters.batch.matching import RuleMatching
from leadpact.adapters.batch.reader import NESTED_COLUMNS, BadRow, is_parquet
from leadpact.adapters.batch.results_table import result_schema
from leadpact.adapters.batch.run import BatchRun, RunStats
from leadpact.domain.agreement import Agreement
from leadpact.domain.results import RefusedAction

DEFAULT_MASTER: Final = "local[*]"
ROWS_PER_BUCKET: Final = 500_000
_TASK_CHUNK_ROWS: Final = 200_000
"""Fed rows per replay batch inside a task (bounds the batch's Python objects)."""
INSTALL_HINT: Final = (
    "the Spark engine needs Apache Spark: pip install 'leadpact[spark]' (and Java 17 or newer); or use --engine duckdb"
)

Progress = Callable[[str], None]


class SparkUnavailableError(RuntimeError):
    pass


class SparkInputError(ValueError):
    """An events file Spark cannot read although the other engines can (named, with the way out)."""


LOCAL_DRIVER_MEMORY: Final = "2g"
"""In local mode the driver is the only JVM: Spark's 1 GB default is too small for 10 M events."""


def spark_session(master: str | None = None, *, shuffle_partitions: int | None = None) -> Any:
    """A SparkSession bound to 127.0.0.1 (unless SPARK_LOCAL_IP says otherwise), no web UI.

    An existing session (``spark-submit``, a notebook) is reused with its own settings."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SparkUnavailableError(INSTALL_HINT) from None
    host = os.environ["SPARK_LOCAL_IP"]
    builder = (
        SparkSession.builder.master(master or DEFAULT_MASTER)
        .appName("leadpact")
        .config("spark.driver.host", host)
        .config("spark.driver.bindAddress", host)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
        .config("spark.sql.adaptive.enabled", "true")
        # Each Arrow batch is canonicalised by an in-task DuckDB: fewer, larger batches.
        .config("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
    )
    if (master or DEFAULT_MASTER).startswith("local"):
        builder = builder.config(
            "spark.driver.memory", os.environ.get("LEADPACT_SPARK_DRIVER_MEMORY", LOCAL_DRIVER_MEMORY)
        )
    if shuffle_partitions is not None:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    try:
        return builder.getOrCreate()
    except Exception as exc:  # the JVM failed to start: Java missing or too old, ...
        raise SparkUnavailableError(f"could not start Spark ({exc}); {INSTALL_HINT}") from None


def _spark_type(arrow_type: Any) -> str:
    import pyarrow as pa

    if pa.types.is_list(arrow_type):
        return f"array<{_spark_type(arrow_type.value_type)}>"
    if pa.types.is_struct(arrow_type):
        fields = ", ".join(f"`{f.name}`: {_spark_type(f.type)}" for f in arrow_type)
        return f"struct<{fields}>"
    names = {
        "int64": "bigint",
        "string": "string",
        "double": "double",
        "bool": "boolean",
        "int16": "smallint",
        "uint64": "decimal(20,0)",
    }
    return names[str(arrow_type)]


def _ddl(schema: Any) -> str:
    return ", ".join(f"`{f.name}` {_spark_type(f.type)}" for f in schema)


def _canonical_schema(matching: RuleMatching) -> Any:
    import pyarrow as pa

    types = {"BIGINT": pa.int64(), "VARCHAR": pa.string(), "BOOLEAN": pa.bool_(), "SMALLINT": pa.int16()}
    fields = [pa.field(name, types[kind]) for name, kind in EVENT_COLUMNS]
    # Masks travel as signed 64-bit values: Spark has no unsigned type (the bits are the same).
    fields += [pa.field(name, pa.int64() if kind == "UBIGINT" else types[kind]) for name, kind in matching.columns]
    fields += [pa.field("bad_reason", pa.string())]
    return pa.schema(fields)


def _read_parquet(spark: Any, path: str) -> Any:
    from pyspark.errors import AnalysisException

    try:
        return spark.read.parquet(path)
    except AnalysisException as exc:
        if "PARQUET_TYPE_ILLEGAL" not in str(exc):
            raise
        found = str(exc).split("Illegal Parquet type:", 1)[-1].split(". SQLSTATE", 1)[0].strip()
        raise SparkInputError(
            f"{path}: Spark cannot read a column of Parquet type {found} (e.g. nanosecond timestamps);"
            " use --engine duckdb, or write the file with microsecond timestamps"
        ) from None


def _json_typed_columns(path: str) -> dict[str, Any]:
    """The file's nested columns that hold fields of Arrow's JSON type, with their Arrow type.
    Spark reads such a field as its storage string; the tasks cast it back, so DuckDB decodes
    it as the embedded engine and the replay do. Empty when the file's schema cannot be read
    here (a cluster path this machine cannot open): those fields are then read as text."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        schema = pq.read_schema(path)
    except (OSError, pa.ArrowException):
        return {}
    return {field.name: field.type for field in schema if field.name in NESTED_COLUMNS and _has_json(field.type)}


def _has_json(arrow_type: Any) -> bool:
    if getattr(arrow_type, "extension_name", None) == "arrow.json":
        return True
    children = [arrow_type.field(i).type for i in range(arrow_type.num_fields)] if arrow_type.num_fields else []
    value_type = getattr(arrow_type, "value_type", None) or getattr(arrow_type, "item_type", None)
    return any(_has_json(child) for child in [*children, *([value_type] if value_type is not None else [])])


def _as_in_file(table: Any, json_columns: dict[str, Any]) -> Any:
    """``table`` with each JSON-holding column cast back to the file's type (see
    :func:`_json_typed_columns`); a column Spark delivered in another shape is left as it is."""
    import pyarrow as pa

    for name, file_type in json_columns.items():
        index = table.schema.get_field_index(name)
        if index < 0:
            continue
        try:
            table = table.set_column(index, name, table.column(index).cast(file_type))
        except (pa.ArrowException, ValueError):
            continue
    return table


def _canonicalise(
    agreement: Agreement,
    source_kind: str,
    parquet_columns: dict[str, str] | None,
    source_name: str,
    json_columns: dict[str, Any] | None = None,
) -> Callable[[Iterator[Any]], Iterator[Any]]:
    """A ``mapInArrow`` function: raw batches in, canonical rows (and bad rows) out."""
    keep = needs_event_properties(agreement)
    typed = json_columns or {}

    def run(batches: Iterator[Any]) -> Iterator[Any]:
        import duckdb
        import pyarrow as pa

        from leadpact.adapters.batch.reader import load_batch

        matching = RuleMatching(agreement)
        schema = _canonical_schema(matching)
        con = duckdb.connect(config={"threads": 1})
        for batch in batches:
            raw = _as_in_file(pa.Table.from_batches([batch]), typed) if typed else pa.Table.from_batches([batch])
            table = load_batch(con, raw, source_kind, parquet_columns, matching, keep, source_name)
            yield from table.cast(schema).to_batches()
        con.close()

    return run


def run_spark(
    agreement: Agreement,
    events_path: str,
    as_of: int | None,
    *,
    master: str | None = None,
    session: Any = None,
    with_traits: bool = False,
    progress: Progress | None = None,
) -> BatchRun:
    say = progress or (lambda _: None)
    spark = session or spark_session(master)
    from pyspark.sql import functions as sf

    matching = RuleMatching(agreement)
    canonical_ddl = _ddl(_canonical_schema(matching))
    say("reading events (Spark)")
    if is_parquet(events_path):
        raw = _read_parquet(spark, events_path)
        columns = {f.name: _duckdb_type(f.dataType.simpleString()) for f in raw.schema.fields}
        raw = raw.withColumn("file_row_number", sf.monotonically_increasing_id())
        canonical = raw.mapInArrow(
            _canonicalise(agreement, "parquet", columns, events_path, _json_typed_columns(events_path)),
            canonical_ddl,
        )
    else:
        raw = spark.read.text(events_path).withColumn("seq", sf.monotonically_increasing_id() + 1)
        raw = raw.withColumnRenamed("value", "line")
        canonical = raw.mapInArrow(_canonicalise(agreement, "jsonl", None, events_path), canonical_ddl)
    canonical = canonical.cache()
    bad_rows = _bad_rows(canonical, raw, events_path)
    events = canonical.filter(sf.col("bad_reason").isNull()).drop("bad_reason")
    stats = RunStats(rows=raw.count())
    names = [*EVENT_NAMES, *(name for name, _ in matching.columns)]
    say("placing events under their leads (Spark)")
    events.createOrReplaceTempView("lp_events")
    spark.sql(prelude.later_copies_sql("lp_events")).createOrReplaceTempView("lp_later")
    if as_of is None:
        newest = spark.sql(prelude.newest_sql("lp_events", "lp_later")).collect()[0][0]
        as_of = int(newest) if newest is not None else 0
    kept = spark.sql(prelude.kept_sql("lp_events", "lp_later", as_of, names))
    kept.createOrReplaceTempView("lp_kept")
    spark.sql(prelude.links_sql("lp_kept")).createOrReplaceTempView("lp_links")
    placed = spark.sql(prelude.placed_sql("lp_kept", "lp_links", names))
    total = events.count()
    stats.duplicates = spark.sql("SELECT count(*) FROM lp_later").collect()[0][0]
    n_kept = kept.count()
    stats.after_as_of = total - stats.duplicates - n_kept
    stats.unlinked_anonymous = placed.filter(sf.col("lead_id").isNull()).count()
    placed = placed.filter(sf.col("lead_id").isNotNull())
    n_buckets = max(spark.sparkContext.defaultParallelism, -(-n_kept // ROWS_PER_BUCKET))
    placed = placed.withColumn("bucket", sf.pmod(sf.xxhash64("lead_id"), sf.lit(n_buckets)))
    say(f"scoring and replaying leads in {n_buckets} buckets (Spark)")
    out_schema = _out_schema()
    results = placed.groupBy("bucket").applyInArrow(
        _bucket_function(agreement, as_of, with_traits, matching.n_masks), _ddl(out_schema)
    )
    table = results.toArrow()
    canonical.unpersist()
    return _finish(table, agreement, as_of, bad_rows, stats)


def _duckdb_type(spark_type: str) -> str:
    """The DuckDB name of a Spark column type (what the Parquet reader would have seen)."""
    simple = {
        "string": "VARCHAR",
        "bigint": "BIGINT",
        "int": "INTEGER",
        "smallint": "SMALLINT",
        "timestamp": "TIMESTAMP WITH TIME ZONE",
        "boolean": "BOOLEAN",
        "double": "DOUBLE",
    }
    return simple.get(spark_type, "STRUCT" if spark_type.startswith(("struct", "map")) else spark_type.upper())


def _out_schema() -> Any:
    """The results table plus ``unknown``: rows that carry refused actions of leads that
    never existed (their ``errors``), not results."""
    import pyarrow as pa

    schema = result_schema()
    return schema.append(pa.field("unknown", pa.bool_()))


def _bucket_function(agreement: Agreement, as_of: int, with_traits: bool, n_masks: int) -> Callable[[Any], Any]:
    def run(table: Any) -> Any:
        import duckdb
        import pyarrow as pa

        from leadpact.adapters.batch.results_table import error_rows

        con = duckdb.connect(config={"threads": 1})
        masks = [f"mask_{m}" for m in range(n_masks)]
        con.register("lp_in", table)
        cast = ", ".join(f"CAST({m} AS UBIGINT) AS {m}" for m in masks)
        con.execute(
            f"CREATE TABLE lp_rows AS SELECT * EXCLUDE ({', '.join(masks)}, bucket), {cast},"
            " CAST(dense_rank() OVER (ORDER BY lead_id) - 1 AS BIGINT) AS lk FROM lp_in"
        )
        con.unregister("lp_in")
        a = AgreementSql(agreement)
        rows = SqlRows(con, a, wide="lp_rows", placed="lp_rows")
        plan = plan_bucket(a, as_of, rows.core(), rows.traits())
        lead_ids = rows.lead_ids()
        schema = result_schema()
        (got,) = fetch(rows, [plan], detail=with_traits)
        con.close()
        parts = [quiet_results(a, plan, lead_ids, got).cast(schema)]
        unknown: list[tuple[str, RefusedAction]] = []
        for batch in machine_batches(plan, lead_ids, got, _TASK_CHUNK_ROWS):
            replayed = replay_batch(batch, agreement, as_of, with_traits=with_traits)
            parts.append(replayed.results.cast(schema))
            unknown.extend(replayed.unknown)
        n_results = sum(part.num_rows for part in parts)
        parts.append(error_rows(unknown))
        merged = pa.concat_tables(parts)
        flags = [False] * n_results + [True] * (merged.num_rows - n_results)
        return merged.append_column("unknown", pa.array(flags, type=pa.bool_()))

    return run


def _finish(table: Any, agreement: Agreement, as_of: int, bad_rows: list[BadRow], stats: RunStats) -> BatchRun:
    import pyarrow.compute as pc

    unknown_mask = table.column("unknown")
    unknown_rows = table.filter(unknown_mask).to_pylist()
    results = table.filter(pc.invert(unknown_mask)).drop_columns(["unknown"]).cast(result_schema())
    results = assign_system_owners(results, agreement)
    results = results.sort_by("lead_id")
    unknown = [
        (row["lead_id"], RefusedAction(**error))
        for row in sorted(unknown_rows, key=lambda r: r["lead_id"])
        for error in row["errors"]
    ]
    stats.leads = results.num_rows
    return BatchRun("spark", as_of, results, unknown, bad_rows, stats)


def _bad_rows(canonical: Any, raw: Any, source: str) -> list[BadRow]:
    """Bad rows with their real line (JSONL) or row (Parquet) number.

    Rows carry Spark's monotonically increasing id (partition index in the high bits, position
    in the partition in the low 33 bits); the number is the rows of earlier partitions plus
    the position.
    """
    from pyspark.sql import functions as sf

    bad = canonical.filter(sf.col("bad_reason").isNotNull()).select("seq", "bad_reason").collect()
    if not bad:
        return []
    id_column = "file_row_number" if "file_row_number" in raw.columns else "seq"
    offset = 0 if id_column == "file_row_number" else 1
    sizes = dict(
        raw.select((sf.shiftright(sf.col(id_column) - offset, 33)).alias("part")).groupBy("part").count().collect()
    )
    before: dict[int, int] = {}
    running = 0
    for part in sorted(sizes):
        before[part] = running
        running += sizes[part]
    unit = "row" if id_column == "file_row_number" else "line"
    out = []
    for seq, reason in bad:
        ident = seq - 1  # seq = id + 1 for both inputs
        number = before.get(ident >> 33, 0) + (ident & ((1 << 33) - 1)) + 1
        out.append(BadRow(source, number, reason, unit=unit))
    out.sort(key=lambda b: b.line)
    return out
