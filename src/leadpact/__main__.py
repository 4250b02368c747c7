"""``python -m leadpact`` runs the command line."""

from leadpact.entrypoints.cli import main

main()
