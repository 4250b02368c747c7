#!/usr/bin/env bash
# Set up everything leadpact needs on a fresh Debian machine, idempotently:
# system packages (only those missing), the virtual environment, the package and its extras.
# Usage: scripts/setup.sh [--dev]   (--dev adds test tools, Chromium for browser tests, PostgreSQL start)
set -euo pipefail
cd "$(dirname "$0")/.."

DEV=0
[[ "${1:-}" == "--dev" ]] && DEV=1

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }
# Japanese glyphs for charts and the rendered agreement.
if ! fc-list :lang=ja 2>/dev/null | grep -q .; then need_apt+=(fonts-noto-cjk); fi
if [[ $DEV == 1 ]]; then
  have chromium || need_apt+=(chromium)
  have java || need_apt+=(default-jre-headless)   # Apache Spark (local mode) runs on the JVM
fi
if (( ${#need_apt[@]} )); then
  echo "==> apt-get install ${need_apt[*]}"
  if [[ $(id -u) -ne 0 ]]; then SUDO=sudo; else SUDO=; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "==> creating .venv"
  "$PY" -m venv .venv
fi
stamp=.venv/.leadpact-installed
extras="."
[[ $DEV == 1 ]] && extras=".[dev,spark]"
# Reinstall only when the dependency list changed (fast re-runs).
want="$(sha1sum pyproject.toml | cut -c1-40) $extras"
if [[ ! -f $stamp || "$(cat $stamp)" != "$want" ]]; then
  echo "==> pip install -e '$extras'"
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
  .venv/bin/python -m pip install -q -e "$extras"
  echo "$want" > $stamp
fi

if [[ $DEV == 1 ]]; then
  # PostgreSQL for the store tests (127.0.0.1:5432, trust auth, database `test`).
  if [[ -z "${LEADPACT_TEST_POSTGRES_URL:-}" ]] && have pg_ctlcluster && ! pg_isready -q -h 127.0.0.1 -p 5432; then
    echo "==> starting PostgreSQL"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  fi
fi
