"""The ``leadpact`` command line.

Each module in :mod:`leadpact.entrypoints.cli.commands` defines ``register(app)`` and adds its
commands; this keeps one concept per module and lets commands be added without touching a
central list. Commands parse arguments, call a service and render: no business logic here.

A command's module is named after it (``import-csv`` → ``import_csv.py``; modules whose name
starts with ``_`` are a command's helpers, not commands), so ``main`` imports
only the module of the command being run: ``leadpact score`` never loads SQLAlchemy or
scikit-learn. ``leadpact --help`` (or an unknown command) loads them all to list them.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
from typing import Any

import typer

from leadpact import __version__
from leadpact.entrypoints.cli import commands

HELP = "leadpact — the marketing-to-sales hand-off as an executable, measured agreement."


def _version(value: bool) -> None:
    if value:
        typer.echo(f"leadpact {__version__}")
        raise typer.Exit()


def _command_modules() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(commands.__path__) if not m.name.startswith("_"))


def build_app(only: str | None = None) -> typer.Typer:
    """The Typer app with every command, or with just the module ``only``."""
    app = typer.Typer(
        name="leadpact",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        rich_markup_mode=None,
    )

    @app.callback()
    def _root(
        version: bool = typer.Option(
            False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ) -> None:
        """leadpact — the marketing-to-sales hand-off as an executable, measured agreement."""

    for name in [only] if only is not None else _command_modules():
        module = importlib.import_module(f"{commands.__name__}.{name}")
        register = getattr(module, "register", None)
        if register is None:  # raised as TypeError: an AttributeError would read "cannot import name 'app'"
            raise TypeError(f"{module.__name__} defines no register(app); name a helper module _{name}.py")
        register(app)
    return app


def _requested_module(argv: list[str]) -> str | None:
    """The command module named by the first non-option argument, if there is one."""
    word = next((arg for arg in argv if not arg.startswith("-")), None)
    if word is None:
        return None
    name = word.replace("-", "_")
    return name if name in _command_modules() else None


def main() -> None:
    build_app(_requested_module(sys.argv[1:]))()


def __getattr__(name: str) -> Any:
    """``app`` (every command) is built on first use, for tests and tools that import it."""
    if name == "app":
        built = build_app()
        globals()["app"] = built
        return built
    raise AttributeError(name)
