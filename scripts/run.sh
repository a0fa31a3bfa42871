#!/usr/bin/env bash
# Opens the mailtutor window with the built-in practice server selected.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
exec cargo run --release -- "$@"
