#!/usr/bin/env bash
# Runs the whole test suite: unit, integration and property tests, and builds the fuzz targets.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup-debian.sh
cargo test --all-targets
cargo build --manifest-path fuzz/Cargo.toml --bins
