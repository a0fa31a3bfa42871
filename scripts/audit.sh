#!/usr/bin/env bash
# Checks Cargo.lock and fuzz/Cargo.lock against the RustSec advisory database with cargo-audit.
# The database is a git repository on github.com; where github.com cannot be reached (this
# project's CI machines cannot) the check says SKIPPED and why, instead of passing silently.
# With ADVISORY_DB set to a copy of the database, it runs offline against that copy.
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
if [ -n "${ADVISORY_DB:-}" ]; then
    args=(--db "$ADVISORY_DB" --no-fetch --stale)
elif ! timeout 20 git ls-remote https://github.com/rustsec/advisory-db HEAD >/dev/null 2>&1; then
    echo "SKIPPED cargo audit: the RustSec advisory database (github.com) cannot be reached"
    exit 0
fi
command -v cargo-audit >/dev/null || cargo install cargo-audit --locked --version 0.22.2
cargo audit "${args[@]}"
cargo audit "${args[@]}" --file fuzz/Cargo.lock
echo "cargo audit: no advisories for Cargo.lock or fuzz/Cargo.lock"
