#!/usr/bin/env bash
# Runs the whole test suite: unit, integration and property tests, builds the fuzz targets and
# replays every saved fuzz input through its check;
# with MAILTUTOR_INTEROP set, also the tests against the real Postfix and Dovecot lab.
set -euo pipefail
cd "$(dirname "$0")/.."
# Chromium renders the exported HTML pages in one test (with a CJK font, as a Chinese PC has).
scripts/setup-debian.sh chromium fonts-noto-cjk
cargo test --all-targets
# The tests against real Postfix and Dovecot, once scripts/interop.sh has set up the lab.
if [ -n "${MAILTUTOR_INTEROP:-}" ]; then
    cargo test --test interop -- --ignored
fi
cargo build --manifest-path fuzz/Cargo.toml --bins
cargo test --manifest-path fuzz/Cargo.toml
