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
echo "==> alembic check (SQLite and PostgreSQL)"
db="$(mktemp -d)/alembic-check.db"
LEADPACT_DATABASE_URL="sqlite:///$db" leadpact db upgrade >/dev/null
LEADPACT_DATABASE_URL="sqlite:///$db" alembic check
# A scratch schema on the test server, so the check never touches real data.
pg_url="${LEADPACT_TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/test}"
schema="alembic_check_$$"
PGOPTIONS=--client-min-messages=warning psql "$pg_url" -qc "DROP SCHEMA IF EXISTS $schema CASCADE; CREATE SCHEMA $schema" >/dev/null
pg_check_url="${pg_url}?options=-csearch_path%3D${schema}"
LEADPACT_DATABASE_URL="$pg_check_url" leadpact db upgrade >/dev/null
LEADPACT_DATABASE_URL="$pg_check_url" alembic check
PGOPTIONS=--client-min-messages=warning psql "$pg_url" -qc "DROP SCHEMA $schema CASCADE" >/dev/null
echo "==> pytest"
pytest -q -p no:cacheprovider "$@"
