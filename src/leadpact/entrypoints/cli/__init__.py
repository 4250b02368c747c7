"""The ``leadpact`` command line.

Each module in :mod:`leadpact.entrypoints.cli.commands` defines ``register(app)`` and adds its
commands; this keeps one concept per module and lets commands be added without touching a
central list. Commands parse arguments, call a service and render: no business logic here.
"""

from __future__ import annotations

import importlib
import pkgutil

import typer

from leadpact import __version__
from leadpact.entrypoints.cli import commands

app = typer.Typer(
    name="leadpact",
    help="leadpact — the marketing-to-sales hand-off as an executable, measured agreement.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"leadpact {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """leadpact — the marketing-to-sales hand-off as an executable, measured agreement."""


for _info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
    importlib.import_module(f"{commands.__name__}.{_info.name}").register(app)


def main() -> None:
    app()
