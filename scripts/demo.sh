#!/usr/bin/env bash
# Set up and run the main job on the embedded defaults: sample data in, waterfall out,
# dashboard up. Extra arguments go to `leadpact demo` (e.g. --no-serve, --leads 5000).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/leadpact demo "$@"
