#!/usr/bin/env bash
# A classroom's load on `mailtutor serve`: 40 simulated students doing the whole lesson (SMTP
# with STARTTLS and AUTH, then POP3 with STLS, RETR and DELE) again and again for 60 s, then 500
# idle connections. Prints the reply latency (median, p99, max), errors, messages stored and
# read, and the server's CPU and memory. Arguments: [STUDENTS] [SECONDS] [IDLE].
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin mailtutor
# 500 connections and their sockets need more than the usual 1024 descriptors on some systems.
ulimit -n 4096 2>/dev/null || true
python3 scripts/bench-class.py target/release/mailtutor "${1:-40}" "${2:-60}" "${3:-500}"
