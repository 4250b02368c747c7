#!/usr/bin/env bash
# Set up (scripts/setup.sh --dev) and run every check: ruff, mypy --strict, migrations, tests.
# This is the README's test command, and the only thing CI runs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --dev
export PATH="$PWD/.venv/bin:$PATH"

echo "==> ruff"
ruff check src tests benchmarks
ruff format --check src tests benchmarks
echo "==> mypy --strict src/"
mypy src/leadpact
if [[ -f alembic.ini ]]; then
  echo "==> alembic check"
  db="$(mktemp -d)/alembic-check.db"
  LEADPACT_DATABASE_URL="sqlite:///$db" leadpact db upgrade >/dev/null
  LEADPACT_DATABASE_URL="sqlite:///$db" alembic check
fi
echo "==> pytest"
pytest -q -p no:cacheprovider "$@"
