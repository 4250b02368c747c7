"""Generate straight to a file (or a text stream), atomically: a failed run leaves no file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Final

from leadpact.adapters.file_modes import as_created_by_open
from leadpact.adapters.synthetic.generator import Block, GenerationStats, Generator, GeneratorConfig
from leadpact.adapters.synthetic.writer import JsonlWriter, MessageWriter, ParquetWriter, write_all

FORMATS: Final = ("jsonl", "parquet")
_PROGRESS_EVERY: Final = 200


def format_for(path: str) -> str:
    """``parquet`` for ``*.parquet``/``*.pq``, else ``jsonl``."""
    return "parquet" if path.lower().endswith((".parquet", ".pq")) else "jsonl"


def _blocks(generator: Generator, on_progress: Callable[[int], None] | None) -> Iterator[Block]:
    for block in generator.blocks():
        yield block
        if on_progress is not None and generator.stats.leads % _PROGRESS_EVERY == 0:
            on_progress(generator.stats.leads)


def generate_to_stream(
    config: GeneratorConfig, stream: IO[str], on_progress: Callable[[int], None] | None = None
) -> GenerationStats:
    generator = Generator(config)
    write_all(_blocks(generator, on_progress), JsonlWriter(stream))
    return generator.stats


def generate_to_file(
    config: GeneratorConfig,
    path: str | Path,
    fmt: str,
    on_progress: Callable[[int], None] | None = None,
) -> GenerationStats:
    """Write to a temporary file next to ``path`` and rename it into place when complete."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    target = Path(path)
    generator = Generator(config)
    handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        writer: MessageWriter
        if fmt == "parquet":
            os.close(handle)
            writer = ParquetWriter(temp_name)
            write_all(_blocks(generator, on_progress), writer)
        else:
            with os.fdopen(handle, "w", encoding="utf-8", buffering=1 << 20) as stream:
                write_all(_blocks(generator, on_progress), JsonlWriter(stream))
        as_created_by_open(temp_name)
        Path(temp_name).replace(target)
    except BaseException:
        Path(temp_name).unlink(missing_ok=True)
        raise
    return generator.stats
